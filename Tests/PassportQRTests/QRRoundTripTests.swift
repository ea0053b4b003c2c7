import PassportQR
import Testing

@Suite("QR codes decode to their text with an independent reader (zbarimg)")
struct QRRoundTripTests {
    static let texts = [
        "https://id.example.com/01/09506000134352/21/SN-1",
        "https://id.example.com/01/09506000134352/21/SN-000123",
        // Serials with reserved characters are percent-encoded in a Digital Link URI (GS1 DL 1.2 §7).
        "https://id.example.com/01/09506000134352/21/AB%2F12%2F34",
        "https://id.example.com/01/09506000134352/10/LOT%2307/21/x%25y%26z%2Fw?17=271231",
        text300,
    ]

    @Test("PNG → zbarimg gives back the text", arguments: QRCode.ErrorCorrection.allCases, texts)
    func pngDecodes(correction: QRCode.ErrorCorrection, text: String) throws {
        let code = try QRCode(encoding: text, correction: correction)
        #expect(try Zbar.decode(code.png()) == text)
    }

    @Test("small modules and a thin margin still decode", arguments: [(2, 4), (1, 4), (3, 1)])
    func smallRendering(moduleSize: Int, margin: Int) throws {
        let text = "https://id.example.com/01/09506000134352/21/SN-000123"
        let code = try QRCode(encoding: text)
        #expect(try Zbar.decode(code.png(moduleSize: moduleSize, margin: margin)) == text)
    }

    @Test("the 300-byte text is 300 bytes")
    func fixture() {
        #expect(text300.utf8.count == 300)
    }
}
