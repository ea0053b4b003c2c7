import Foundation
import HTTPTypes
import PassportDemoData
import PassportLedger
import PassportModel
import PassportServer
import PassportTestSupport
import Sodium
import Testing

/// The connectors' own fixtures (Tests/PassportIngestTests/Fixtures/files, see its README).
enum IngestFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../PassportIngestTests/Fixtures/files").standardizedFileURL
    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: folder.appendingPathComponent(name))) }
}

@Suite("HTTP API: every connector over POST /ingest")
struct IngestAPITests {
    /// A harness whose server knows the demo's ERP mapping and the attestation CSV mapping.
    static func harness() throws -> (TemporaryDirectory, ServerHarness) {
        let dir = TemporaryDirectory()
        try Data(DemoDataSet.erpProductionOrdersMapping.utf8).write(to: dir.path("erp.yaml"))
        var c = ServerConfiguration()
        try c.addMapping(name: "erp-orders", file: dir.path("erp.yaml").path)
        try c.addMapping(name: "recycled", file: IngestFixtures.folder.appendingPathComponent("recycled-content.yaml").path)
        return (dir, try ServerHarness(configuration: c))
    }

    func token(_ h: ServerHarness, _ source: String) throws -> String {
        "Bearer " + (try h.server.tokens.add(name: "t-\(source)", tier: .public, source: source, admin: false).token)
    }

    @Test("Debezium envelopes: mapped in order, a redelivery skipped, an unmapped table rejected and kept")
    func debezium() async throws {
        let (dir, h) = try Self.harness()
        defer { withExtendedLifetime(dir) {} }
        let gtin = try Subject(h.model).gtin!
        func envelope(_ op: String, qty: Int, lsn: Int, table: String = "production_orders") -> String {
            let row = #"{"order_id":9001,"material_gtin":"\#(gtin)","batch_no":"HTTP-CDC","qty_done":\#(qty),"plant":"PACK-DE-01","finish_date":20415,"country":"DE"}"#
            return #"{"before":null,"after":\#(row),"source":{"version":"2.7.0.Final","connector":"postgresql","name":"erp","ts_ms":1763900000000,"snapshot":"false","db":"erp","schema":"erp","table":"\#(table)","txId":\#(lsn / 8),"lsn":\#(lsn)},"op":"\#(op)","ts_ms":1763900000001}"#
        }
        let body = [envelope("c", qty: 480, lsn: 9800), envelope("u", qty: 500, lsn: 9864), envelope("u", qty: 500, lsn: 9864),
            envelope("c", qty: 1, lsn: 9900, table: "goods_receipts")].joined(separator: "\n")
        let t = try token(h, "erp-sap")
        let r = try await h.request("/ingest/debezium?mapping=erp-orders&name=erp.jsonl", method: .post, token: t,
            headers: [.contentType: "application/x-ndjson"], body: Array(body.utf8))
        #expect(r.status.code == 207, "\(r.text)")
        let results = r.json.objectValue?["results"]?.arrayValue?.map { $0.objectValue?["result"]?.stringValue ?? "" }
        #expect(results == ["appended", "appended", "skipped", "rejected"])
        #expect(r.json.objectValue?["results"]?.arrayValue?[2].objectValue?["line"] == "erp.jsonl:3")
        // The same stream again: every envelope is known by its position.
        let again = try await h.request("/ingest/debezium?mapping=erp-orders", method: .post, token: t, headers: [.contentType: "application/x-ndjson"],
            body: Array(body.utf8))
        #expect(again.json.objectValue?["appended"] == 0, "\(again.text)")
        #expect(try await h.request("/ingest/debezium", method: .post, token: t, body: Array(body.utf8)).problem?.detail.contains("mapping is required") == true)
        #expect(try await h.request("/ingest/debezium?mapping=nope", method: .post, token: t, body: Array(body.utf8)).problem?.detail.contains("erp-orders") == true)
    }

    @Test("an attestation CSV through its mapping; a CMRT workbook, an IPC-1752A document and a certificate are kept as uploads for retry")
    func documents() async throws {
        let (dir, h) = try Self.harness()
        defer { withExtendedLifetime(dir) {} }
        let portal = try token(h, "supplier-portal")
        let csv = try await h.request("/ingest/csv?mapping=recycled&name=recycled-content.csv", method: .post, token: portal,
            headers: [.contentType: "text/csv"], body: try IngestFixtures.bytes("recycled-content.csv"))
        #expect(csv.status == .ok, "\(csv.text)")
        #expect((csv.json.objectValue?["appended"]?.numberValue?.intValue ?? 0) >= 1)

        let workbook = try XLSXFixture.workbook(XLSXFixture.cmrt())
        let cmrt = try await h.request("/ingest/cmrt?supplier=supplier/ACME&name=acme-cmrt.xlsx", method: .post, token: portal,
            headers: [.contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"], body: workbook)
        #expect(cmrt.status == .ok, "\(cmrt.text)")
        let index = try #require(cmrt.json.objectValue?["results"]?.arrayValue?.first?.objectValue?["index"]?.numberValue?.intValue)
        let record = try h.ledger.record(UInt64(index))
        #expect(record.event.type == "declaration.recorded")
        #expect(record.event.attachments.first?.name == "acme-cmrt.xlsx")
        #expect(try h.ledger.blob(sha256: record.event.attachments[0].sha256) == workbook)
        let upload = h.ledger.directory.appendingPathComponent("uploads/\(Hex.encode(SHA256.hash(workbook)))/acme-cmrt.xlsx")
        #expect(try FileManager.default.attributesOfItem(atPath: upload.path)[.posixPermissions] as? Int == 0o600)

        let xml = try IngestFixtures.bytes("ipc1752-bms.xml")
        let plm = try token(h, "plm-windchill")
        let ipc = try await h.request("/ingest/ipc1752?subject=01/09506000134352&name=bms.xml", method: .post, token: plm,
            headers: [.contentType: "application/xml"], body: xml)
        // The composition is the PLM's; the supplier's substances declaration is not (ownership holds over HTTP too).
        #expect(ipc.status.code == 207, "\(ipc.text)")
        #expect(ipc.json.objectValue?["results"]?.arrayValue?.map { $0.objectValue?["line"]?.stringValue ?? "" } == ["bms.xml#composition", "bms.xml#declaration"])
        #expect(ipc.json.objectValue?["results"]?.arrayValue?.map { $0.objectValue?["status"] } == [201, 403])

        let qa = try token(h, "qa-lab")
        let pdf = try IngestFixtures.bytes("un38.3-certificate.pdf")
        let cert = try await h.request(
            "/ingest/document?name=un38.3.pdf&type=certification&subject=01/09506000134352&id=UN38.3-HTTP&scheme=UN%2038.3&issuer=Lab&validFrom=2026-09-01&validUntil=2029-09-01",
            method: .post, token: qa, headers: [.contentType: "application/pdf"], body: pdf)
        #expect(cert.status == .ok, "\(cert.text)")
        // Missing metadata: rejected, kept in quarantine by its upload, and retried once fixed is possible.
        let missing = try await h.request("/ingest/document?name=other.pdf&type=certification", method: .post, token: qa,
            headers: [.contentType: "application/pdf"], body: pdf + [0x0A])
        #expect(missing.status == .unprocessableContent, "\(missing.text)")
        #expect(missing.json.objectValue?["results"]?.arrayValue?.first?.objectValue?["quarantine"] != nil)
        #expect(try await h.request("/ingest/document?name=..", method: .post, token: qa, body: pdf).problem?.code == "bad-query")
        #expect(try await h.request("/ingest/cmrt?colour=red", method: .post, token: portal, body: workbook).problem?.detail.contains("unknown query parameter colour") == true)
    }
}
