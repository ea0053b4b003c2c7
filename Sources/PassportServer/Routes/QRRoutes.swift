import Foundation
import Hummingbird
import PassportLedger
import PassportModel
import PassportQR

extension PassportServer {
    /// `GET /01/…/qr.svg` and `…/qr.png`: the QR code of the product's GS1 Digital Link URI on the
    /// public URL (`--public-url`), for a product that has a passport. Parameters: `ecc` (L, M, Q,
    /// H; default M), `size` (pixels per module, 1–40; default 8), `margin` (quiet-zone modules,
    /// 0–16; default 4).
    func qrCode(_ link: DigitalLinkPath, png: Bool, _ request: Request) async throws -> Response {
        let q = try Query(request, allowed: ["ecc", "size", "margin"])
        let correction: QRCode.ErrorCorrection
        switch q["ecc"] {
        case nil: correction = .medium
        case let e?:
            guard let c = QRCode.ErrorCorrection(rawValue: e.uppercased()) else {
                throw Problem(.badRequest, "bad-query", "ecc=\(e): the error correction level is L, M, Q or H")
            }
            correction = c
        }
        let moduleSize = Int(try q.count("size", max: UInt64(QRCode.moduleSizes.upperBound)) ?? 8)
        let margin = Int(try q.count("margin", max: UInt64(QRCode.margins.upperBound)) ?? 4)
        let ledger = self.ledger
        let subject = link.subject
        // Only products with a passport get a code (a typo in a GTIN should not print a dead link).
        guard try await blocking({ try ledger.hasRecords(subject) }) else {
            throw Problem(.notFound, "not-found", "no passport for \(subject): QR codes are made only for products that have records")
        }
        let uri = "\(configuration.baseURL)/\(link.path)"
        do {
            let code = try QRCode(encoding: uri, correction: correction)
            let headers: HTTPFields = [.cacheControl: "public, max-age=86400"]
            if png { return Reply.bytes(try code.png(moduleSize: moduleSize, margin: margin), headers: headers, type: "image/png") }
            return Reply.text(try code.svg(moduleSize: moduleSize, margin: margin), headers: headers, type: "image/svg+xml")
        } catch {
            throw Problem(.badRequest, "bad-query", error.description)
        }
    }
}
