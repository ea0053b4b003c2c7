import Foundation
import PassportIngest
import PassportLedger
import PassportModel
import PassportTestSupport
import Sodium
import Testing

/// Supplier attestations as CSV, and certificates and test reports with their sidecars.
@Suite("CSV attestations and documents")
struct AttestationAndDocumentTests {
    let dir = TemporaryDirectory()

    func mapping(_ yaml: String? = nil) throws -> AttestationMapping {
        try AttestationMapping(yaml: yaml ?? Files.text("recycled-content.yaml"))
    }

    @Test("each row is a declaration of its supplier: decimal commas, percent signs and a cell with a line break are read")
    func rows() throws {
        let (_, rows) = try AttestationCSV(mapping: mapping()).map(Files.bytes("recycled-content.csv")).get()
        #expect(rows.map(\.line) == [2, 3, 4])
        let first = try rows[0].event.get()
        #expect(first["subject"] == "supplier/ACME" && first["sourceRef"] == "supplier/ACME/recycled-content/RC-2026-001")
        #expect(first["createdAt"] == "2025-12-15T00:00:00.000000Z" && first["validUntil"] == "2027-01-01T00:00:00.000000Z")
        #expect(first["data"] == ["kind": "recycled-content", "scope": "cobalt sulphate (cathode precursor)", "supplierName": "ACME Metals GmbH", "recycledContentPercent": 16.5])
        let third = try rows[2].event.get()
        #expect(third["data"]?.objectValue?["scope"] == "aluminium ingots (EN AC-43000)" && third["data"]?.objectValue?["supplierName"] == "Alu-Werk Süd; Werk 2")
        #expect(third["data"]?.objectValue?["recycledContentPercent"] == nil)
    }

    @Test("a bad row is rejected naming its line and column while the others are mapped")
    func badRows() throws {
        let csv = """
            supplier_id;supplier_name;attestation_no;declaration_type;material;recycled_pct;valid_from;valid_to;issued
            ACME;A;RC-1;recycled-content;cobalt;12,5;2026-01-01;2027-01-01;2025-12-15
            ACME CORP;A;RC-2;recycled-content;nickel;abc;2026-01-01;2027-01-01;2025-12-15
            ACME;A;RC-3;recycled;nickel;140;2026-01-01;31.12.2026;
            ACME;A;RC-4;recycled-content;tin;5;2027-01-01;2026-01-01;
            ACME;A;RC-5
            """
        let (_, rows) = try AttestationCSV(mapping: mapping()).map(Array(csv.utf8)).get()
        #expect(rows.count == 5 && rows[0].event.failure == nil)
        let r3 = try #require(rows[1].event.failure)
        #expect(Files.paths(r3) == ["line 3: supplier_id", "line 3: recycled_pct"])
        #expect(r3.description.contains("a supplier is supplier/<id> or its <id>") && r3.description.contains("is not a number"))
        let r4 = try #require(rows[2].event.failure)
        #expect(Files.paths(r4) == ["line 4: valid_to"])
        #expect(r4.description.contains("accepted: a date YYYY-MM-DD"))
        let r5 = try #require(rows[3].event.failure)
        #expect(Files.paths(r5) == ["line 5: valid_to"] && r5.description.contains("must be later than validFrom"))
        #expect(rows[4].event.failure?.description.contains("has 3 fields; the header has 9") == true)
        // A kind outside the catalog's list and a percent over 100 are named by their columns too.
        let kinds = """
            supplier_id;supplier_name;attestation_no;declaration_type;material;recycled_pct;valid_from;valid_to;issued
            ACME;A;RC-3;recycled;nickel;140;2026-01-01;2026-12-31;
            """
        let k = try #require(try AttestationCSV(mapping: mapping()).map(Array(kinds.utf8)).get().rows[0].event.failure)
        #expect(Set(Files.paths(k)) == ["line 2: declaration_type", "line 2: recycled_pct"])
    }

    @Test("a column the mapping names but the file lacks stops the file, naming it and the file's columns")
    func unknownColumn() throws {
        let e = try #require(AttestationCSV(mapping: mapping()).map(Array("supplier_id;material\nACME;x\n".utf8)).failure)
        #expect(e.violations.contains { $0.path == "line 1: recycled_pct" && $0.message.contains("its columns: supplier_id, material") })
    }

    @Test("the supplier from --supplier when the mapping has none; without either the file is refused")
    func supplierOption() throws {
        let yaml = "version: 1\ncolumns:\n  kind: {value: sustainability}\n  scope: scope\n  validFrom: from\n  validUntil: until\n"
        let m = try mapping(yaml)
        let csv = Array("scope,from,until\nall sites,2026-01-01,2027-01-01\n".utf8)
        let rows = try AttestationCSV(mapping: m, supplier: "supplier/ELEKTRA").map(csv).get().rows
        let event = try rows[0].event.get()
        #expect(event["subject"] == "supplier/ELEKTRA" && event["sourceRef"] == "supplier/ELEKTRA/sustainability/2026-01-01")
        #expect(AttestationCSV(mapping: m).map(csv).failure?.description.contains("--supplier supplier/<id>") == true)
    }

    @Test("a mapping with mistakes is refused listing each")
    func badMapping() throws {
        do {
            _ = try AttestationMapping(yaml: "version: 2\ndelimiter: '|'\ncolumns:\n  kind: k\n  colour: c\n")
            Issue.record("the mapping was accepted")
        } catch {
            #expect(Set(error.violations.map(\.path)) == ["version", "delimiter", "columns.colour", "columns.scope", "columns.validFrom", "columns.validUntil"])
        }
    }

    @Test("appended rows and rejected rows: each rejected row is kept with its header and retried alone")
    func ledger() throws {
        let ledger = try Files.store(dir)
        let mappingFile = dir.path("m.yaml")
        try Data(try Files.bytes("recycled-content.yaml")).write(to: mappingFile)
        let ingest = try AttestationIngest(ledger: ledger, source: "supplier-portal", mappingFile: mappingFile.path)
        let csv = try Files.text("recycled-content.csv").replacingOccurrences(of: ";6;", with: ";6 percent;")
        let o = try ledger.appendSync(ingest.submissions(Array(csv.utf8), fileName: "rc.csv"))
        #expect(o[0].record != nil && o[2].record != nil)
        guard case .rejected(let e, let q?) = o[1] else { Issue.record("expected a rejection"); return }
        #expect(e.message.contains("line 3: recycled_pct: is not a number"))
        let entry = try ledger.quarantineEntry(id: q)
        #expect(entry.origin == "rc.csv:3" && String(decoding: entry.raw, as: UTF8.self).hasPrefix("supplier_id;") && entry.raw.count < 300)
        // Still bad on retry, with the same line named.
        guard case .rejected(let again, _) = try ledger.retryQuarantine(id: q) else { Issue.record("the retry was accepted"); return }
        #expect(again.message.contains("line 3: recycled_pct"))
        let appended = try ledger.record(try #require(o[2].record).index)
        #expect(appended.event.type == "declaration.recorded" && appended.event.subject.rawValue == "supplier/ALU-WERK")
    }

    @Test("a certificate: the file is the attachment, its SHA-256 the documentSha256; the blob is the file; the same file again writes nothing")
    func certificate() throws {
        let ledger = try Files.store(dir)
        let ingest = try DocumentIngest(ledger: ledger, source: "qa-lab")
        let bytes = try Files.bytes("un38.3-certificate.pdf")
        let sha = Hex.encode(SHA256.hash(bytes))
        let s = ingest.submission(path: Files.path("un38.3-certificate.pdf"), options: [:])
        let o = try ledger.appendSync([s])
        let record = try ledger.record(try #require(o[0].record).index)
        #expect(record.event.type == "certification.recorded" && record.event.data["documentSha256"] == .string(sha))
        #expect(record.event.attachments.map(\.sha256) == [sha] && record.event.attachments.first?.mediaType == "application/pdf")
        #expect(record.event.validUntil?.description == "2029-09-01T00:00:00.000000Z")
        #expect(try ledger.blob(sha256: sha) == bytes)
        let again = try ledger.appendSync([ingest.submission(path: Files.path("un38.3-certificate.pdf"), options: [:])])
        #expect(again[0] == .duplicate(o[0].record!))
    }

    @Test("a test report from options alone; missing metadata is named and kept in quarantine by path")
    func testReport() throws {
        let ledger = try Files.store(dir)
        let ingest = try DocumentIngest(ledger: ledger, source: "qa-lab")
        let file = dir.path("report.bin")
        try Data("IEC 62619 report".utf8).write(to: file)
        let options: [String: JSONValue] = ["subject": .string(Files.pack), "id": "TR-2026-0001", "standard": "IEC 62619", "result": "pass", "issuedAt": "2026-10-01"]
        let o = try ledger.appendSync([ingest.submission(path: file.path, options: options)])
        let record = try ledger.record(try #require(o[0].record).index)
        #expect(record.event.type == "test-report.recorded" && record.event.data["reportSha256"] == .string(Hex.encode(SHA256.hash(Array("IEC 62619 report".utf8)))))
        let missing = try ledger.appendSync([ingest.submission(path: file.path, options: ["type": "certification", "subject": .string(Files.pack)])])
        guard case .rejected(let e, let q?) = missing[0] else { Issue.record("expected a rejection"); return }
        #expect(e.violations.map(\.path) == ["id", "scheme", "issuer"])
        #expect(try ledger.quarantineEntry(id: q).intake["connector"] == "document")
        // A sidecar written afterwards, and a retry reads it.
        try Data(#"{"id": "CB-77", "scheme": "IECEE CB", "issuer": "Example Lab", "validFrom": "2026-01-01", "validUntil": "2028-01-01"}"#.utf8).write(to: dir.path("report.bin.json"))
        #expect(try ledger.retryQuarantine(id: q).record != nil)
    }
}
