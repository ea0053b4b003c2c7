import Foundation
import PassportQR
import Testing

@Suite("Bad input is refused with an error naming what is wrong")
struct QRErrorTests {
    @Test("empty text")
    func empty() {
        let error = #expect(throws: QRError.self) { try QRCode(encoding: "") }
        #expect(error?.code == .emptyText)
        #expect(error?.message == "the text to encode is empty; a QR code needs at least one byte")
    }

    @Test("2,049 bytes are refused before libqrencode; 2,048 are encoded at level L")
    func overLimit() throws {
        let error = #expect(throws: QRError.self) { try QRCode(encoding: String(repeating: "a", count: 2049), correction: .low) }
        #expect(error?.code == .textTooLong)
        #expect(error?.message == "the text to encode is 2049 bytes of UTF-8; at most 2048 bytes are accepted")
        #expect(error?.underlyingCode == nil)
        #expect(try QRCode(encoding: String(repeating: "a", count: 2048), correction: .low).version <= 40)
    }

    @Test("the limit counts UTF-8 bytes, not characters")
    func utf8Bytes() {
        let error = #expect(throws: QRError.self) { try QRCode(encoding: String(repeating: "é", count: 1025)) }
        #expect(error?.message == "the text to encode is 2050 bytes of UTF-8; at most 2048 bytes are accepted")
    }

    @Test("2,000 bytes do not fit at level H: libqrencode's ERANGE, with the level and the capacity")
    func tooLongForLevel() {
        let error = #expect(throws: QRError.self) { try QRCode(encoding: String(repeating: "x", count: 2000), correction: .high) }
        #expect(error?.code == .textTooLong)
        #expect(error?.underlyingCode == ERANGE)
        #expect(
            error?.message
                == "the text is too long for a QR code at error correction H: 2000 bytes; at most 1273 bytes fit at H — use a lower error correction level or a shorter text")
    }

    @Test("a version 40 symbol holds exactly its 8-bit capacity", arguments: [(QRCode.ErrorCorrection.quartile, 1663), (.high, 1273)])
    func capacity(correction: QRCode.ErrorCorrection, bytes: Int) throws {
        let full = try QRCode(encoding: String(repeating: "x", count: bytes), correction: correction)
        #expect(full.version == 40 && full.size == 177)
        let error = #expect(throws: QRError.self) {
            try QRCode(encoding: String(repeating: "x", count: bytes + 1), correction: correction)
        }
        #expect(error?.message.contains("at error correction \(correction.rawValue): \(bytes + 1) bytes; at most \(bytes) bytes") == true)
    }

    static let badParameters: [(moduleSize: Int, margin: Int, message: String)] = [
        (0, 4, "moduleSize 0 is out of range: it must be 1...40 pixels per module"),
        (41, 4, "moduleSize 41 is out of range: it must be 1...40 pixels per module"),
        (-8, 4, "moduleSize -8 is out of range: it must be 1...40 pixels per module"),
        (8, 17, "margin 17 is out of range: it must be 0...16 modules (4 is the standard quiet zone)"),
        (8, -1, "margin -1 is out of range: it must be 0...16 modules (4 is the standard quiet zone)"),
    ]

    @Test("module size and margin out of range, for SVG and PNG", arguments: badParameters)
    func parameters(moduleSize: Int, margin: Int, message: String) throws {
        let code = try QRCode(encoding: "https://id.example.com/01/09506000134352")
        let svgError = #expect(throws: QRError.self) { try code.svg(moduleSize: moduleSize, margin: margin) }
        let pngError = #expect(throws: QRError.self) { try code.png(moduleSize: moduleSize, margin: margin) }
        #expect(svgError?.code == .parameterOutOfRange)
        #expect(svgError?.message == message)
        #expect(pngError == svgError)
    }

    @Test("the largest image is rendered: version 40, module size 40, margin 16")
    func largest() throws {
        let code = try QRCode(encoding: String(repeating: "x", count: 1273), correction: .high)
        let png = try code.png(moduleSize: QRCode.moduleSizes.upperBound, margin: QRCode.margins.upperBound)
        let header = try #require(pngChunks(png)?.first).data
        #expect(bigEndian32(header[0..<4]) == 8360)
        #expect(try code.svg(moduleSize: 40, margin: 16).hasPrefix(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8360 8360""#))
    }
}
