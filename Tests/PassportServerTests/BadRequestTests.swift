import Foundation
import HTTPTypes
import PassportLedger
import PassportModel
import PassportServer
import Testing

/// Malformed requests that once broke the server, each answered now with problem details and
/// nothing written.
@Suite("HTTP API: malformed requests")
struct BadRequestTests {
    /// An event the harness's `erp` token (source erp-sap) may write.
    static let event: JSONValue = ["type": "batch.produced", "subject": "01/09506000005003/10/CL99W01", "sourceRef": "CT-1",
        "createdAt": "2026-11-25T10:00:00Z", "data": ["countryOfOrigin": "PL", "facility": "facility/CELL-PL-02", "productionDate": "2026-11-25", "quantity": 10]]

    @Test("POST /events with a Content-Type that names no media type is 415, not a crash", arguments: [";", ";;", "; charset=utf-8", ""])
    func contentTypeWithoutMediaType(_ contentType: String) async throws {
        let h = try ServerHarness()
        let size = try h.ledger.size()
        let quarantined = try h.ledger.quarantineEntries().count
        let body = Array(CanonicalJSON.encode(Self.event))
        let r = try await h.request("/events?sign=server", method: .post, token: "erp", headers: [.contentType: contentType], body: body)
        #expect(r.status == .unsupportedMediaType, "\(r.text)")
        #expect(r.problem?.code == "bad-media-type")
        #expect(r.problem?.detail.contains("Content-Type \"\(contentType)\" names no media type") == true, "\(r.text)")
        #expect(try h.ledger.size() == size, "nothing appended")
        #expect(try h.ledger.quarantineEntries().count == quarantined, "nothing quarantined")
        // The same body with a media type is taken.
        let ok = try await h.request("/events?sign=server", method: .post, token: "erp", headers: [.contentType: "application/x-ndjson; charset=utf-8"], body: body)
        #expect(ok.status == .ok, "\(ok.text)")
        #expect(try h.ledger.size() == size + 1)
    }

    @Test("HEAD is answered wherever GET is, with GET's status and headers and no body")
    func head() async throws {
        let h = try ServerHarness()
        for uri in ["/passports/\(h.item)", "/checkpoint", "/openapi.json", "/\(h.item)/qr.svg"] {
            let get = try await h.request(uri)
            let head = try await h.request(uri, method: .head)
            #expect(get.status == .ok, "\(uri): \(get.text)")
            #expect(head.status == .ok, "\(uri): \(head.text)")
            #expect(head.body.readableBytes == 0, "\(uri)")
            #expect(head.headers[.contentType] == get.headers[.contentType], "\(uri)")
            #expect(head.headers[.eTag] == get.headers[.eTag], "\(uri)")
        }
        // Errors stay problem details.
        let missing = try await h.request("/passports/01/09506000134352", method: .head)
        #expect(missing.status == .notFound)
        #expect(missing.headers[.contentType] == "application/problem+json")
    }
}
