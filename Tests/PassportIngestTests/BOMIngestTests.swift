import Foundation
import PassportIngest
import PassportLedger
import PassportModel
import PassportTestSupport
import Sodium
import Testing

/// PLM BoM exports: released only, every incomplete line named, the export kept as attachment,
/// re-exports writing nothing, new revisions superseding from their effectivity date.
@Suite("BoM exports")
struct BOMIngestTests {
    let dir = TemporaryDirectory()

    func releases(_ text: String, _ format: BOMExport.Format = .json) -> Result<[BOMExport.Release], ValidationError> {
        BOMExport.read(Array(text.utf8), format: format, fileName: "bom.\(format.rawValue)")
    }

    func rejection(_ text: String, _ format: BOMExport.Format = .json) throws -> ValidationError {
        let rels = try releases(text, format).get()
        try #require(rels.count == 1)
        return try #require(rels[0].event.failure)
    }

    @Test("the JSON and the CSV export of a two-level pack give the same events: one per assembly, the module named as component")
    func jsonAndCSVAgree() throws {
        let json = try BOMExport.read(Files.bytes("pack-bom-rev-B.json"), format: .json, fileName: "x").get()
        let csv = try BOMExport.read(Files.bytes("pack-bom-rev-B.csv"), format: .csv, fileName: "x").get()
        #expect(json.map(\.key) == ["09506000134352/B", "09506000134369/C"])
        #expect(csv.map(\.key) == json.map(\.key))
        for (j, c) in zip(json, csv) {
            var a = try j.event.get(), b = try c.event.get()
            // Only the attachment differs: each event carries its own export file.
            #expect(a["attachments"] != b["attachments"])
            a["attachments"] = nil
            b["attachments"] = nil
            #expect(a == b)
        }
        let pack = try json[0].event.get()
        #expect(pack["subject"] == .string(Files.pack) && pack["sourceRef"] == "09506000134352/B")
        #expect(pack["validFrom"] == "2026-12-01T00:00:00.000000Z" && pack["createdAt"] == "2026-11-19T15:30:00.000000Z")
        let lines = try #require(pack["data"]?.objectValue?["lines"]?.arrayValue)
        #expect(lines.count == 4 && lines[0].objectValue?["component"] == .string(Files.module))
        #expect(lines[1].objectValue?["supplier"] == "supplier/ELEKTRA" && lines[0].objectValue?["massKg"] == 5.2)
        #expect(try json[1].event.get()["data"]?.objectValue?["lifecycle"] == "released")
    }

    @Test("drafts and in-work BoMs are rejected naming their state; the released assembly of the same export stands")
    func draftsRejected() throws {
        var text = try Files.text("pack-bom-rev-B.json")
        text = text.replacingOccurrences(of: "\"lifecycle\": \"released\"", with: "\"lifecycle\": \"In Work\"")
        let rels = try releases(text).get()
        #expect(rels[0].event.failure == nil)
        let e = try #require(rels[1].event.failure)
        #expect(e.violations.map(\.path) == ["assemblies[1].lifecycle"])
        #expect(e.description.contains("in work, not released: release it in the PLM system"))
        let draft = try rejection(#"{"assemblies":[{"assembly":"09506000134352","revision":"A","lifecycle":"draft","effectiveFrom":"2026-12-01","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}]}"#)
        #expect(draft.violations.map(\.code) == [.rule] && draft.description.contains("a draft, not released"))
        let obsolete = try rejection(#"{"assemblies":[{"assembly":"09506000134352","revision":"A","lifecycle":"obsolete","effectiveFrom":"2026-12-01","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"}]}]}"#)
        #expect(obsolete.violations.map(\.code) == [.oneOf])
    }

    @Test("an incomplete BoM names every missing part, quantity, mass and material by line and field (JSON and CSV)")
    func incomplete() throws {
        let e = try rejection(#"{"assemblies":[{"assembly":"09506000134352","revision":"A","lifecycle":"released","effectiveFrom":"2026-12-01","lines":[{"part":"P","quantity":1,"massKg":1,"material":"steel"},{"quantity":2,"material":"copper"},{"part":"Q","massKg":0.5}]}]}"#)
        #expect(Files.paths(e) == ["assemblies[0].lines[1].part", "assemblies[0].lines[1].massKg", "assemblies[0].lines[2].quantity", "assemblies[0].lines[2].material"])
        #expect(e.violations.allSatisfy { $0.code == .required })
        let header = "assembly,revision,lifecycle,effectiveFrom,part,quantity,massKg,material\n"
        let c = try rejection(header + "09506000134352,A,released,2026-12-01,P,1,1,steel\n09506000134352,A,released,2026-12-01,,2,,copper\n09506000134352,A,released,2026-12-01,Q,,0.5,\n", .csv)
        #expect(Files.paths(c) == ["line 3: part", "line 3: massKg", "line 4: quantity", "line 4: material"])
        #expect(c.description.contains("line 3: massKg: is required: every BoM line has its mass in kg"))
    }

    @Test("bad numbers, a zero quantity, a bad GTIN, supplier or effectivity date, unknown fields and columns are named")
    func badValues() throws {
        let header = "assembly,revision,lifecycle,effectiveFrom,part,quantity,massKg,material,supplier\n"
        let c = try rejection(header + "09506000134353,A/1,released,1.12.2026,P,0,\"5,2\",steel,ACME CORP\n", .csv)
        #expect(Files.paths(c) == ["line 2: assembly", "line 2: revision", "line 2: effectiveFrom", "line 2: quantity", "line 2: massKg", "line 2: supplier"])
        #expect(c.description.contains("is not a number") && c.description.contains("must be greater than 0") && c.description.contains("check digit"))
        let unknown = releases("assembly,revision,lifecycle,effectiveFrom,part,quantity,mass,massKg,material\n", .csv).failure
        #expect(unknown?.violations.map(\.path) == ["line 1: mass", "line 1"])
        let missingColumn = try #require(releases("assembly,revision,lifecycle,effectiveFrom,part,quantity,material\nx\n", .csv).failure)
        #expect(missingColumn.description.contains("the header has no column massKg"))
        let j = try rejection(#"{"assemblies":[{"assembly":"09506000134352","revision":"A","lifecycle":"released","effectiveFrom":"2026-12-01","lines":[{"part":"P","quantity":"1","massKg":1,"material":"steel","weight":3}]}]}"#)
        #expect(Files.paths(j) == ["assemblies[0].lines[0].weight", "assemblies[0].lines[0].quantity"])
        #expect(releases("not json").failure?.violations.first?.code == .format)
    }

    @Test("rows of one assembly must agree on its columns; a row with the wrong field count is named")
    func csvConsistency() throws {
        let header = "assembly,revision,lifecycle,effectiveFrom,part,quantity,massKg,material\n"
        let e = try rejection(header + "09506000134352,A,released,2026-12-01,P,1,1,steel\n09506000134352,A,released,2027-01-01,Q,1,1,steel\n", .csv)
        #expect(Files.paths(e) == ["line 3: effectiveFrom"])
        let rels = try releases(header + "09506000134352,A,released,2026-12-01,P,1,1,steel\n09506000134352,A,released\n", .csv).get()
        #expect(rels.count == 2 && rels[0].key == "line 3" && rels[0].event.failure?.description.contains("has 3 fields; the header has 8") == true)
    }

    @Test("appended with the export as attachment: the signed event's hash is the file's SHA-256 and the blob is the file")
    func attachment() throws {
        let ledger = try Files.store(dir)
        let bytes = try Files.bytes("pack-bom-rev-B.json")
        let ingest = try BOMIngest(ledger: ledger, source: "plm-tc")
        let outcomes = try ledger.appendSync(ingest.submissions(bytes, format: .json, fileName: "pack-bom-rev-B.json"))
        #expect(outcomes.count == 2)
        for o in outcomes {
            let ref = try #require(o.record)
            let record = try ledger.record(ref.index)
            #expect(record.event.type == "bom.released" && record.event.source == "plm-tc")
            #expect(record.event.attachments.map(\.sha256) == [Hex.encode(SHA256.hash(bytes))])
            #expect(record.event.attachments.first?.name == "pack-bom-rev-B.json" && record.event.attachments.first?.mediaType == "application/json")
            #expect(try ledger.blob(sha256: Hex.encode(SHA256.hash(bytes))) == bytes)
        }
        // The same export again writes nothing.
        let size = try ledger.size()
        let again = try ledger.appendSync(ingest.submissions(bytes, format: .json, fileName: "pack-bom-rev-B.json"))
        #expect(again.allSatisfy { if case .duplicate = $0 { true } else { false } })
        #expect(try ledger.size() == size)
        // Different content under a released revision: the ledger's idempotency conflict, kept in quarantine.
        let changed = Array(try Files.text("pack-bom-rev-B.json").replacingOccurrences(of: "\"quantity\": 8", with: "\"quantity\": 9").utf8)
        let conflict = try ledger.appendSync(ingest.submissions(changed, format: .json, fileName: "pack-bom-rev-B.json"))
        guard case .rejected(let e, let q?) = conflict[0] else { Issue.record("expected a rejection, got \(conflict[0])"); return }
        #expect(e.code == .idempotencyConflict)
        #expect(try ledger.size() == size)
        let entry = try ledger.quarantineEntry(id: q)
        #expect(entry.raw == changed && entry.intake["connector"] == "bom" && entry.intake["item"] == "09506000134352/B")
        #expect(entry.origin == "pack-bom-rev-B.json#09506000134352/B")
    }

    @Test("a new revision supersedes the old one from its effectivity date")
    func supersedes() throws {
        let ledger = try Files.store(dir)
        let ingest = try BOMIngest(ledger: ledger, source: "plm-tc")
        _ = try ledger.appendSync(ingest.submissions(try Files.bytes("pack-bom-rev-B.json"), format: .json, fileName: "rev-B.json"))
        let revC = #"{"assemblies":[{"assembly":"01/09506000134352","revision":"C","lifecycle":"released","effectiveFrom":"2027-03-01","releasedAt":"2027-02-10","lines":[{"part":"MOD-12S","quantity":8,"massKg":5.0,"material":"LFP module","component":"01/09506000134369"}]}]}"#
        let c = try ledger.appendSync(ingest.submissions(Array(revC.utf8), format: .json, fileName: "rev-C.json"))
        #expect(c.count == 1 && c[0].record != nil)
        func revision(at date: String) throws -> JSONValue? {
            try ledger.passport(Subject(Files.pack), validAt: Timestamp(rfc3339: date)).entry("composition.billOfMaterials")?.value.objectValue?["revision"]
        }
        #expect(try revision(at: "2026-11-30T00:00:00Z") == nil)
        #expect(try revision(at: "2027-01-15T00:00:00Z") == "B")
        #expect(try revision(at: "2027-03-01T00:00:00Z") == "C")
    }

    @Test("an export over 1 MiB is rejected too-large naming the limit, keeping only a prefix with its length and hash")
    func tooLarge() throws {
        let ledger = try Files.store(dir)
        let ingest = try BOMIngest(ledger: ledger, source: "plm-tc")
        let big = Array(try Files.text("pack-bom-rev-B.json").replacingOccurrences(of: "\"exportedBy\": \"", with: "\"exportedBy\": \"" + String(repeating: "x", count: 1 << 20)).utf8)
        let subs = ingest.submissions(big, format: .json, fileName: "big.json")
        let o = try ledger.appendSync(subs)
        guard case .rejected(let e, let q?) = o[0] else { Issue.record("expected a rejection"); return }
        #expect(o.count == 1 && e.code == .tooLarge && e.message.contains("at most 1048576 bytes"))
        let entry = try ledger.quarantineEntry(id: q)
        #expect(entry.raw.count == 4096 && entry.truncated?.length == big.count)
    }

    @Test("a quarantined assembly is read again from the kept export on retry and appended")
    func retry() throws {
        let ledger = try Files.store(dir)
        let bytes = try Files.bytes("pack-bom-rev-B.json")
        // A rejection the export cannot fix itself: the key of the source is not permitted yet.
        let ingest = try BOMIngest(ledger: ledger, source: "plm-tc")
        var subs = ingest.submissions(bytes, format: .json, fileName: "pack.json")
        subs[1].content = .failure(LedgerError(.invalidEvent, "held back by the test"))
        let o = try ledger.appendSync(subs)
        guard case .rejected(_, let q?) = o[1] else { Issue.record("expected a rejection"); return }
        let retried = try ledger.retryQuarantine(id: q)
        #expect(retried.record?.subject == Files.module)
        #expect(try ledger.record(retried.record!.index).event.attachments.first?.sha256 == Hex.encode(SHA256.hash(bytes)))
    }
}
