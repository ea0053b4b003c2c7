import Foundation
import PassportModel
import PassportTestSupport
import Testing

/// `dpp ingest`: source systems' own formats in, signed passport events out, nothing written twice.
@Suite("dpp ingest", .serialized)
struct IngestCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }
    static let fixtures = CLI.packageRoot.appendingPathComponent("Tests/PassportIngestTests/Fixtures/debezium")

    func dpp(_ args: String..., stdin: String? = nil) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], stdin: stdin, in: dir.url)
    }

    @Test("Debezium streams: appended once, a replay writes nothing, an unmapped table is kept and resolved by a mapping fix")
    func debezium() throws {
        #expect(try dpp("init", "--origin", "cli.example/passports").status == 0)
        #expect(try dpp("keys", "add", "erp-sap", "--kind", "erp").status == 0)
        let mapping = Self.fixtures.appendingPathComponent("mapping.yaml").path
        let streams = ["postgresql-stream.jsonl", "mysql-stream.jsonl"].map { Self.fixtures.appendingPathComponent($0).path }
        let first = try CLI.run(["ingest", "debezium", "--source", "erp-sap", "--mapping", mapping] + streams + ["--store", store], in: dir.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("2 files: 3 appended, 0 duplicates (nothing written), 7 skipped (nothing to write), 0 rejected"), "\(first.stderr)")
        #expect(first.stdout.contains("postgresql-stream.jsonl:4 skipped: tombstone"))
        // The pipeline (a batch mapped while the previous one commits) gives the same answers with one envelope a batch.
        let small = dir.path("small").path
        #expect(try CLI.run(["init", "--origin", "cli.example/passports", "--store", small], in: dir.url).status == 0)
        #expect(try CLI.run(["keys", "add", "erp-sap", "--kind", "erp", "--store", small], in: dir.url).status == 0)
        let one = try CLI.run(["ingest", "debezium", "--source", "erp-sap", "--mapping", mapping, "--batch", "1"] + streams + ["--store", small], in: dir.url)
        func results(_ out: String) -> [String] { out.split(separator: "\n").map { String($0.split(separator: " ").prefix(2).joined(separator: " ")) } }
        #expect(results(one.stdout) == results(first.stdout), "\(one.stdout)")
        let again = try CLI.run(["ingest", "debezium", "--source", "erp-sap", "--mapping", mapping] + streams + ["--store", store], in: dir.url)
        #expect(again.status == 0 && again.stderr.contains("0 appended"), "\(again.stderr)")
        #expect(again.stdout.contains("skipped: replay of public.customers/1"))

        // A table the mapping does not name: kept in quarantine with the reason; fixing the mapping and retrying resolves it.
        let order = #"{"before":null,"after":{"order_id":7,"material_gtin":"09506000134352","batch_no":"LOT-7","qty_done":500,"plant":"PLANT-1","finish_date":20410,"country":"DE"},"source":{"version":"2.7.0.Final","connector":"postgresql","name":"erp","db":"erp","schema":"erp","table":"production_orders","lsn":100,"txId":5,"ts_ms":1764000000000},"op":"c","ts_ms":1764000000001}"#
        let full = try String(contentsOfFile: mapping, encoding: .utf8)
        let start = try #require(full.range(of: "  # ERP production orders"))
        let end = try #require(full.range(of: "  # Serial numbers"))
        let partial = dir.path("mapping.yaml")
        try Data((String(full[..<start.lowerBound]) + String(full[end.lowerBound...])).utf8).write(to: partial)
        let rejected = try dpp("ingest", "debezium", "--source", "erp-sap", "--mapping", partial.path, "-", stdin: order + "\n")
        #expect(rejected.status == 3)
        #expect(rejected.stdout.contains("stdin:1 rejected invalid-event quarantine=1: source.table: table erp.production_orders is not in the mapping"), "\(rejected.stdout)")
        let entry = try JSONParser.parse(try dpp("quarantine", "show", "1", "--format", "json").stdout).objectValue!
        #expect(entry["raw"]?.stringValue == order && entry["intake"]?.objectValue?["connector"] == "debezium")
        try Data(full.utf8).write(to: partial)
        let retried = try dpp("quarantine", "retry", "--all")
        #expect(retried.status == 0 && retried.stdout.contains("#1 resolved: appended"), "\(retried.stdout)\(retried.stderr)")
        let batch = try JSONParser.parse(try dpp("passport", "01/09506000134352/10/LOT-7", "--view", "authority", "--format", "json").stdout)
        #expect(batch.objectValue?["passport"]?.objectValue?["manufacturing"]?.objectValue?["batchQuantity"] == 500)
        #expect(try dpp("verify").status == 0)
        // A value the event type refuses is rejected at its column (checked on all cores, after the mapping).
        let zero = order.replacingOccurrences(of: #""order_id":7"#, with: #""order_id":8"#).replacingOccurrences(of: #""qty_done":500"#, with: #""qty_done":0"#)
            .replacingOccurrences(of: #""lsn":100"#, with: #""lsn":200"#)
        let refused = try dpp("ingest", "debezium", "--source", "erp-sap", "--mapping", partial.path, "-", stdin: zero + "\n")
        #expect(refused.status == 3 && refused.stdout.contains("after.qty_done: data.quantity: must be at least 1 (got 0)"), "\(refused.stdout)")
        // A mapping file with mistakes is refused whole, naming them.
        try Data("version: 1\ntables:\n  erp.x:\n    event: no.such-type\n".utf8).write(to: partial)
        let bad = try dpp("ingest", "debezium", "--source", "erp-sap", "--mapping", partial.path, "-", stdin: order + "\n")
        #expect(bad.status == 1 && bad.stderr.contains("mapping.yaml"), "\(bad.stderr)")
    }
}
