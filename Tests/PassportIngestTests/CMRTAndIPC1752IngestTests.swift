import Foundation
import PassportDemoData
import PassportIngest
import PassportLedger
import PassportModel
import PassportTestSupport
import Sodium
import Testing

/// CMRT workbooks and IPC-1752A declarations into a ledger: signed, appended with the file as the
/// attachment, shown on the passports, rejected ones kept and retried by path.
@Suite("CMRT and IPC-1752A ingest")
struct CMRTAndIPC1752IngestTests {
    let dir = TemporaryDirectory()

    /// A store whose policy lets the supplier portal declare compositions (the default gives them to PLM).
    func supplierComposition() throws -> Ledger {
        var options = Ledger.Options()
        var fields = OwnershipPolicy.default.fields
        fields["composition.*"] = ["plm", "supplier"]
        options.initialPolicy = OwnershipPolicy(fields: fields)
        return try Fixtures.store(in: dir, sources: ["plm-tc", "supplier-portal"], options: options).0
    }

    func workbook(_ sheets: [(String, [String: XLSXFixture.Cell])] = XLSXFixture.cmrt(), name: String = "acme-cmrt.xlsx") throws -> (String, [UInt8]) {
        let bytes = try XLSXFixture.workbook(sheets)
        let url = dir.path(name)
        try Data(bytes).write(to: url)
        return (url.path, bytes)
    }

    @Test("a CMRT: declaration.recorded for the supplier, the workbook as attachment and blob, on the supplier's passport; again is a duplicate")
    func cmrt() throws {
        let ledger = try Files.store(dir)
        let ingest = try CMRTIngest(ledger: ledger, source: "supplier-portal")
        let (path, bytes) = try workbook()
        let sha = Hex.encode(SHA256.hash(bytes))
        let o = try ledger.appendSync([ingest.submission(path: path, options: ["supplier": "supplier/ACME"])])
        let record = try ledger.record(try #require(o[0].record).index)
        let e = record.event
        #expect(e.type == "declaration.recorded" && e.subject.rawValue == "supplier/ACME")
        #expect(e.data["kind"] == "conflict-minerals" && e.data["template"] == "RMI CMRT 6.5" && e.data["supplierName"] == "ACME Metals GmbH")
        #expect(e.data["scope"] == "A. Company: tantalum, tin, gold, tungsten" && e.data["documentSha256"] == .string(sha))
        #expect(e.validFrom?.description == "2025-12-09T00:00:00.000000Z" && e.validUntil?.description == "2026-12-09T00:00:00.000000Z")
        #expect(e.attachments.map(\.sha256) == [sha] && e.attachments.first?.name == "acme-cmrt.xlsx")
        #expect(e.data["smelters"] == [
            ["metal": "gold", "rows": 1, "smelterIds": ["CID000002"]], ["metal": "tin", "rows": 1, "smelterIds": ["CID000001"]],
        ])
        #expect(try ledger.blob(sha256: sha) == bytes)
        let passport = try ledger.passport(try Subject("supplier/ACME"), validAt: try Timestamp(rfc3339: "2026-06-01T00:00:00Z"))
        let declaration = try #require(passport.entries.first { $0.field == "declarations" && $0.key == "conflict-minerals" })
        #expect(declaration.value.objectValue?["template"] == "RMI CMRT 6.5")
        let again = try ledger.appendSync([ingest.submission(path: path, options: ["supplier": "supplier/ACME"])])
        #expect(again[0] == .duplicate(o[0].record!))
    }

    @Test("the supplier from the suppliers file; an unmapped company ID is rejected, kept by path, and a retry after the fix appends")
    func suppliersFile() throws {
        let ledger = try Files.store(dir)
        let ingest = try CMRTIngest(ledger: ledger, source: "supplier-portal")
        let (path, _) = try workbook()
        let before = try ledger.size()
        let map = dir.path("suppliers.json")
        try Data(#"{"DUNS-999": "supplier/OTHER"}"#.utf8).write(to: map)
        let o = try ledger.appendSync([ingest.submission(path: path, options: ["suppliers": map.path])])
        guard case .rejected(let e, let q?) = o[0] else { Issue.record("expected a rejection"); return }
        #expect(e.message.contains("company unique ID \"DUNS-123456789\" is not in the suppliers file"), "\(e.message)")
        let entry = try ledger.quarantineEntry(id: q)
        #expect(entry.intake["connector"] == "cmrt" && entry.intake["file"] == .string(path))
        #expect(try ledger.size() == before)
        try Data(#"{"DUNS-123456789": "supplier/ACME"}"#.utf8).write(to: map)
        let retried = try ledger.retryQuarantine(id: q)
        #expect(try ledger.record(try #require(retried.record).index).event.subject.rawValue == "supplier/ACME")
    }

    @Test("no metal answered, no date of completion (unless --valid-from), no company ID to look up: rejected naming the cell")
    func cmrtIncomplete() throws {
        func violations(_ sheets: [(String, [String: XLSXFixture.Cell])], supplier: String? = "supplier/ACME", validFrom: String? = nil) throws -> [Violation] {
            switch CMRTIngest.event(try XLSXFixture.workbook(sheets), name: "x.xlsx", supplier: supplier, validFrom: validFrom) {
            case .success: return []
            case .failure(let e): return e.violations
            }
        }
        var noAnswers = XLSXFixture.cmrt()
        for row in [24, 25, 26, 27, 30, 31, 32, 33] { noAnswers[1].1["D\(row)"] = nil }
        let metals = try violations(noAnswers)
        #expect(metals.first?.path == "Declaration!D24" && metals.first?.message.contains("no metal is answered") == true, "\(metals)")
        let noDate = try violations(XLSXFixture.cmrt(completion: nil))
        #expect(noDate.first?.message.contains("the date of completion is empty") == true, "\(noDate)")
        #expect(try violations(XLSXFixture.cmrt(completion: nil), validFrom: "2026-01-01T00:00:00Z").isEmpty)
        let noID = try violations(XLSXFixture.cmrt(companyID: nil), supplier: nil)
        #expect(noID.first?.path == "Declaration!D11" && noID.first?.message.contains("no company unique ID") == true, "\(noID)")
    }

    @Test("a workbook that is not a CMRT, and one of an unknown revision, are rejected with the reason and nothing is written")
    func cmrtRejected() throws {
        let ledger = try Files.store(dir)
        let ingest = try CMRTIngest(ledger: ledger, source: "supplier-portal")
        let (invoice, _) = try workbook([("Sheet1", ["A1": .text("Invoice")])], name: "invoice.xlsx")
        let (future, _) = try workbook(XLSXFixture.cmrt(version: "Revision 7.0"), name: "future.xlsx")
        let before = try ledger.size()
        let o = try ledger.appendSync([invoice, future].map { ingest.submission(path: $0, options: ["supplier": "supplier/ACME"]) })
        guard case .rejected(let a, _) = o[0], case .rejected(let b, _) = o[1] else { Issue.record("expected rejections"); return }
        #expect(a.message.contains("the workbook is not a CMRT"))
        #expect(b.violations.first?.path == "Declaration!C2" && b.message.contains("CMRT revision 7.0 is not one this reader knows"))
        #expect(try ledger.size() == before)
    }

    @Test("an IPC-1752A declaration: the product's composition (masses, shares, substances of concern) and the supplier's substances declaration")
    func ipc1752() throws {
        let ledger = try supplierComposition()
        let ingest = try IPC1752Ingest(ledger: ledger, source: "supplier-portal")
        let path = Files.path("ipc1752-bms.xml")
        let sha = Hex.encode(SHA256.hash(try Files.bytes("ipc1752-bms.xml")))
        let subs = ingest.submissions(path: path, options: ["subject": Files.pack])
        #expect(subs.map(\.origin) == ["ipc1752-bms.xml#composition", "ipc1752-bms.xml#declaration"])
        let o = try ledger.appendSync(subs)
        let composition = try ledger.record(try #require(o[0].record).index).event
        #expect(composition.type == "composition.declared" && composition.subject.rawValue == Files.pack)
        let materials = composition.data["materials"]?.arrayValue ?? []
        #expect(materials.map { $0.objectValue?["sharePercent"] } == [58.8235, 5.8824, 35.2941])
        #expect(materials.first?.objectValue?["massKg"] == 0.5)
        let concern = composition.data["substancesOfConcern"]?.arrayValue ?? []
        #expect(concern == [
            ["name": "Lead", "casNumber": "7439-92-1", "concentrationPercent": 0.1, "location": "Solder alloy SnAgCu"],
            ["name": "Bis(2-ethylhexyl) phthalate (DEHP)", "casNumber": "117-81-7", "concentrationPercent": 0.08, "location": "PVC cable insulation"],
        ])
        #expect(composition.attachments.map(\.sha256) == [sha])
        let declaration = try ledger.record(try #require(o[1].record).index).event
        #expect(declaration.subject.rawValue == "supplier/ELEKTRA" && declaration.data["kind"] == "substances")
        #expect(declaration.data["template"] == "IPC-1752A 2.0" && declaration.data["supplierName"] == "Elektra Components GmbH")
        let passport = try ledger.passport(try Subject("supplier/ELEKTRA"), validAt: try Timestamp(rfc3339: "2027-01-01T00:00:00Z"))
        #expect(passport.entries.contains { $0.field == "declarations" && $0.key == "substances" })
    }

    @Test("a CAS number the ledger refuses is rejected by the catalog's rule and kept in quarantine with the file's path")
    func ipcCAS() throws {
        let ledger = try supplierComposition()
        let ingest = try IPC1752Ingest(ledger: ledger, source: "supplier-portal")
        let text = try Files.text("ipc1752-bms.xml").replacingOccurrences(of: "7439-92-1", with: "7439-92-2")
        let file = dir.path("bad-cas.xml")
        try Data(text.utf8).write(to: file)
        let o = try ledger.appendSync(ingest.submissions(path: file.path, options: ["subject": Files.pack]))
        #expect(o.count == 1)
        guard case .rejected(let e, let q?) = o[0] else { Issue.record("expected a rejection"); return }
        #expect(e.violations.contains { $0.path.contains("casNumber") }, "\(e.violations)")
        #expect(try ledger.quarantineEntry(id: q).intake["connector"] == "ipc1752")
        try Data(try Files.bytes("ipc1752-bms.xml")).write(to: file)
        #expect(try ledger.retryQuarantine(id: q).record != nil)
        #expect(try ledger.history(try Subject("supplier/ELEKTRA")).count == 1)
    }

    @Test("an items file maps the document's item number to the product; an unmapped or ambiguous document is rejected naming the fix")
    func ipcItems() throws {
        let ledger = try supplierComposition()
        let ingest = try IPC1752Ingest(ledger: ledger, source: "supplier-portal")
        let path = Files.path("ipc1752-bms.xml")
        let items = dir.path("items.json")
        func rejection(_ o: [AppendOutcome]) -> LedgerError? {
            if case .rejected(let e, _)? = o.first { return e }
            return nil
        }

        try Data(#"{"OTHER-ITEM": "01/09506000134352"}"#.utf8).write(to: items)
        let unmapped = try #require(rejection(try ledger.appendSync(ingest.submissions(path: path, options: ["items": items.path]))))
        #expect(unmapped.message.contains("no item number of the document (BMS-48V) is in the items file"), "\(unmapped.message)")

        try Data(#"{"BMS-48V": "ACME-PACK"}"#.utf8).write(to: items)
        let badValue = try #require(rejection(try ledger.appendSync(ingest.submissions(path: path, options: ["items": items.path]))))
        #expect(badValue.violations.first?.path == "items.json: BMS-48V" && badValue.message.contains("must map to a product model"), "\(badValue)")

        try Data("not json".utf8).write(to: items)
        let notJSON = try #require(rejection(try ledger.appendSync(ingest.submissions(path: path, options: ["items": items.path]))))
        #expect(notJSON.message.contains("must be a readable JSON object of item number"), "\(notJSON.message)")

        // Two products and no way to tell which is which.
        let text = try Files.text("ipc1752-bms.xml")
        let product = try #require(text.range(of: "<Product>").map { $0.lowerBound }.flatMap { start in
            text.range(of: "</Product>").map { String(text[start..<$0.upperBound]) }
        })
        let two = text.replacingOccurrences(of: product, with: product + "\n" + product.replacingOccurrences(of: "BMS-48V", with: "BMS-24V"))
        if case .failure(let e) = IPC1752Ingest.events(Array(two.utf8), name: "two.xml", subject: nil) {
            #expect(e.violations.first?.message.contains("no item number of the document (BMS-48V, BMS-24V)") == true, "\(e)")
        } else { Issue.record("a document of two products was read without an items file") }
        if case .failure(let e) = IPC1752Ingest.events(Array(two.utf8), name: "two.xml", subject: Files.pack) {
            #expect(e.violations.first?.message.contains("declares 2 products") == true, "\(e)")
        } else { Issue.record("a document of two products was read with one --subject") }
        if case .success(let events) = IPC1752Ingest.events(Array(two.utf8), name: "two.xml", subject: nil, items: ["BMS-24V": Files.pack]) {
            #expect(events.first?.1["subject"] == .string(Files.pack))
        } else { Issue.record("the mapped product of two was not read") }

        // The right map: the composition lands on the mapped product.
        try Data(#"{"BMS-48V": "09506000134352"}"#.utf8).write(to: items)
        let o = try ledger.appendSync(ingest.submissions(path: path, options: ["items": items.path]))
        let composition = try ledger.record(try #require(o.first?.record).index).event
        #expect(composition.type == "composition.declared" && composition.subject.rawValue == Files.pack)
    }

    @Test("a suppliers file whose value is not a supplier is refused naming the member")
    func suppliersFileValues() throws {
        let ledger = try Files.store(dir)
        let ingest = try CMRTIngest(ledger: ledger, source: "supplier-portal")
        let (path, _) = try workbook()
        let map = dir.path("suppliers.json")
        try Data(#"{"DUNS-123456789": "ACME Metals GmbH"}"#.utf8).write(to: map)
        let before = try ledger.size()
        let o = try ledger.appendSync([ingest.submission(path: path, options: ["suppliers": map.path])])
        guard case .rejected(let e, _) = o[0] else { Issue.record("expected a rejection"); return }
        #expect(e.violations.first?.path == "suppliers.json: DUNS-123456789" && e.message.contains("must map to supplier/<id>"), "\(e)")
        #expect(try ledger.size() == before)
    }

    @Test("a 1,000-line Smelter List: every row counted per metal, the distinct smelter IDs kept, and the record still fits")
    func longSmelterList() throws {
        var sheets = XLSXFixture.cmrt()
        var list: [String: XLSXFixture.Cell] = [:]
        let metals = ["Tantalum", "Tin", "Gold", "Tungsten"]
        for i in 0..<1000 {
            let row = 5 + i
            list["B\(row)"] = .text(metals[i % 4])
            list["D\(row)"] = .text("Smelter \(i)")
            list["E\(row)"] = .text("COUNTRY \(i % 40)")
            // Every fifth row repeats the ID four rows up (the same smelter again); every 50th has none.
            if i % 50 != 49 { list["F\(row)"] = .text(String(format: "CID%06d", i % 5 == 4 ? i - 4 : i)) }
        }
        sheets[2].1 = list
        let ledger = try Files.store(dir)
        let ingest = try CMRTIngest(ledger: ledger, source: "supplier-portal")
        let (path, _) = try workbook(sheets, name: "long.xlsx")
        let o = try ledger.appendSync([ingest.submission(path: path, options: ["supplier": "supplier/ACME"])])
        let record = try ledger.record(try #require(o[0].record, "\(o[0])").index)
        let smelters = try #require(record.event.data["smelters"]?.arrayValue)
        #expect(smelters.compactMap { $0.objectValue?["metal"]?.stringValue } == ["gold", "tantalum", "tin", "tungsten"])
        #expect(smelters.compactMap { $0.objectValue?["rows"] } == [250, 250, 250, 250])
        let ids = smelters.flatMap { $0.objectValue?["smelterIds"]?.arrayValue ?? [] }
        // 1,000 rows: 800 smelters of their own, 180 repeats of one of them, 20 without an ID.
        #expect(ids.count == Set(ids).count && ids.count == 800, "\(ids.count)")
        #expect(record.canonicalBytes.count <= 65_535)
    }
}
