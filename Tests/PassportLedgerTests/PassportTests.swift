import Foundation
import LMDB
import PassportAudit
import PassportDemoData
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

@Suite("Passports: projections, time travel, provenance, tiers")
struct PassportTests {
    static func t(_ s: String) -> Timestamp { try! Timestamp(rfc3339: s) }

    @Test("the regulator's question: the passport as it stood on a date, every value traceable and provable")
    func passportAtTwoDates() throws {
        let dir = TemporaryDirectory()
        let (ledger, data) = try Fixtures.demoStore(in: dir)
        let pack = try Subject(data.models[0])
        let before = try ledger.passport(pack, validAt: Self.t("2027-01-15T00:00:00Z")).view(.authority)
        let after = try ledger.passport(pack, validAt: Self.t("2027-03-15T00:00:00Z")).view(.authority)
        #expect(before.entry("composition.billOfMaterials")?.value.objectValue?["revision"] == "A")
        #expect(after.entry("composition.billOfMaterials")?.value.objectValue?["revision"] == "B")
        #expect(before.entry("environment.carbonFootprint")?.provenance.sourceRef == "PCF-0-2026")
        #expect(after.entry("environment.carbonFootprint")?.provenance.sourceRef == "PCF-0-2027")
        // Before rev A took effect there is no BoM at all.
        #expect(try ledger.passport(pack, validAt: Self.t("2026-08-15T00:00:00Z")).entry("composition.billOfMaterials") == nil)
        // Every value names the record that set it, and that record states exactly this value.
        for entry in after.entries {
            let record = try ledger.record(entry.provenance.index)
            #expect(Fact.of(record).contains { $0.field == entry.field && ($0.key == entry.key || entry.field == "declarations") })
            let bundle = try ledger.proofBundle(index: entry.provenance.index)
            _ = try RecordAudit.verify(recordBytes: try ledger.recordBytes(entry.provenance.index), bundle: bundle, ledgerKey: ledger.vkey)
        }
        let changes = after.changes(since: before)
        #expect(changes.contains { if case .changed(let a, let b) = $0 { a.field == "composition.billOfMaterials" && b.provenance.sourceRef == "ECN-PACK-0-B" } else { false } })
    }

    @Test("system time: a later correction does not change what the ledger knew before it")
    func asOfIgnoresLaterRecords() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let (ledger, signers) = try Fixtures.store(in: dir, options: clock.options)
        let plm = signers["plm"]!
        func pcf(_ ref: String, _ total: Int) throws -> Submission {
            Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(
                type: "carbon-footprint.declared", sourceRef: ref, data: ["totalKgCO2e": .number(JSONNumber(total)), "method": "PEF"]), with: plm))
        }
        _ = try ledger.appendSync([try pcf("PCF-1", 120)])
        clock.advance()
        let between = clock.now()
        clock.advance()
        _ = try ledger.appendSync([try pcf("PCF-1-CORRECTED", 118)])
        let model = try Subject(Fixtures.model)
        #expect(try ledger.passport(model, asOf: between).entry("environment.carbonFootprint")?.value.objectValue?["totalKgCO2e"] == 120)
        #expect(try ledger.passport(model).entry("environment.carbonFootprint")?.value.objectValue?["totalKgCO2e"] == 118)
        // Before its first record the subject did not exist: not found, naming when it first appeared.
        let first = try ledger.history(model)[0]
        let e = #expect(throws: LedgerError.self) { try ledger.passport(model, asOf: Self.t("2020-01-01T00:00:00Z")) }
        #expect(e?.code == .notFound)
        #expect(e?.message.contains("first appeared at \(first.recordedAt) (record \(first.index))") == true, "\(e?.message ?? "")")
        // From its first record's recordedAt on, it has a passport.
        #expect(try ledger.passport(model, asOf: first.recordedAt).entry("environment.carbonFootprint")?.value.objectValue?["totalKgCO2e"] == 120)
    }

    @Test("an item recorded after its model has no passport before its own first record, though its model has one")
    func composedSubjectBeforeItExisted() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let (ledger, signers) = try Fixtures.store(in: dir, sources: ["plm", "erp"], options: clock.options)
        let item = Fixtures.model + "/21/SN1"
        _ = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(
            type: "product.registered", sourceRef: "P-1", data: ["name": "Pack", "manufacturer": "Example"]), with: signers["plm"]!))])
        clock.advance()
        let between = clock.now()
        clock.advance()
        let out = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(
            type: "item.registered", subject: item, source: "erp", sourceRef: "I-1", data: ["lot": "LOT1"]), with: signers["erp"]!))])
        let first = try ledger.record(try #require(out[0].record).index)
        #expect(try ledger.passport(try Subject(Fixtures.model), asOf: between).entry("identity.name")?.value == "Pack")
        let e = #expect(throws: LedgerError.self) { try ledger.passport(try Subject(item), asOf: between) }
        #expect(e?.code == .notFound)
        #expect(e?.message == "no passport for \(item) as of \(between): the subject first appeared at \(first.recordedAt) (record \(first.index))")
        let p = try ledger.passport(try Subject(item), asOf: first.recordedAt)
        #expect(p.entry("identity.name")?.value == "Pack" && p.entry("identity.lot")?.value == "LOT1")
    }

    @Test("declarations expire, are renewed, and can be revoked; an item passport shows its suppliers' declarations")
    func declarationsOverTime() throws {
        let dir = TemporaryDirectory()
        let (ledger, data) = try Fixtures.demoStore(in: dir)
        let item = try Subject(data.items[0])
        func declaration(_ at: String, _ key: String) throws -> JSONObject? {
            try ledger.passport(item, validAt: Self.t(at)).entry("declarations[\(key)]")?.value.objectValue
        }
        // CellCo and Packwell are named in the pack's BoM; ACME and Nordmet only in the cell module's.
        #expect(try declaration("2026-11-01T00:00:00Z", "supplier/CELLCO:conflict-minerals")?["status"] == "valid")
        #expect(try declaration("2027-02-01T00:00:00Z", "supplier/CELLCO:conflict-minerals")?["template"] == "RMI CMRT 6.5")  // renewed
        #expect(try declaration("2027-02-01T00:00:00Z", "supplier/PACKWELL:conflict-minerals")?["status"] == "expired")  // lapsed
        let nordmet = try ledger.passport(try Subject("supplier/NORDMET"), validAt: Self.t("2027-06-01T00:00:00Z"))
        #expect(nordmet.entry("declarations[recycled-content]")?.value.objectValue?["status"] == "revoked")
        // The item is composed from model, batch and item.
        let p = try ledger.passport(item, validAt: Self.t("2026-11-01T00:00:00Z")).view(.authority)
        #expect(p.entry("identity.name")?.provenance.subject == data.models[0])
        #expect(p.entry("manufacturing.batchQuantity")?.provenance.subject == data.batches[0])
        #expect(p.entry("identity.lot")?.provenance.subject == data.items[0])
        #expect(p.entry("identity.productionDate")?.provenance.subject == data.items[0])  // the item overrides its batch
        #expect(try ledger.passport(item, validAt: Self.t("2027-05-01T00:00:00Z")).entry("identity.status")?.value == "recalled")
    }

    @Test("no view contains a field above its tier, over every field of a fully populated passport")
    func accessTiersOverEveryField() throws {
        let dir = TemporaryDirectory()
        let (ledger, data) = try Fixtures.demoStore(in: dir)
        let full = try ledger.passport(try Subject(data.items[0]), validAt: Self.t("2027-05-01T00:00:00Z"))
        // The demo's pallet holds what only a logistic unit has (its contents).
        let pallet = try ledger.passport(try Subject("00/095060000000000015"), validAt: Self.t("2027-05-01T00:00:00Z"))
        let fields = Set(full.entries.map(\.field)).union(pallet.entries.map(\.field))
        #expect(fields == Set(PassportFields.all.map(\.path)), "the demo data populates every field: missing \(Set(PassportFields.all.map(\.path)).subtracting(fields))")
        for tier in AccessTier.allCases {
            for e in pallet.view(tier).entries { #expect(AccessPolicy.defaults.tier(of: e.field) <= tier, "\(e.field) leaked into \(tier)") }
            let view = full.view(tier)
            for e in view.entries { #expect(AccessPolicy.defaults.tier(of: e.field) <= tier, "\(e.field) leaked into \(tier)") }
            let expected = full.entries.filter { AccessPolicy.defaults.tier(of: $0.field) <= tier }.map(\.path)
            #expect(view.entries.map(\.path) == expected)
            // The JSON a client receives holds the same and nothing more.
            let json = view.json.objectValue!
            #expect(json["view"]?.stringValue == tier.rawValue)
            #expect(Set(json["provenance"]!.objectValue!.keys) == Set(expected))
        }
        #expect(full.view(.public).entry("composition.billOfMaterials") == nil)
        #expect(full.view(.legitimateInterest).entry("logistics.customsDocuments[SHP-001]") == nil)
        // A deployment can change a field's tier.
        try Data(#"{"composition.billOfMaterials":"public","identity.name":"authority"}"#.utf8).write(to: dir.path("store/access-tiers.json"))
        let policy = try ledger.accessPolicy()
        #expect(full.view(.public, policy: policy).entry("composition.billOfMaterials") != nil)
        #expect(full.view(.public, policy: policy).entry("identity.name") == nil)
        try Data(#"{"composition.bom":"public","identity.name":"secret"}"#.utf8).write(to: dir.path("store/access-tiers.json"))
        let e = #expect(throws: LedgerError.self) { try ledger.accessPolicy() }
        #expect(e?.message.contains("composition.bom: unknown passport field") == true)
        #expect(e?.message.contains("identity.name: must be public, legitimate-interest or authority") == true)
    }

    @Test("batch genealogy and chain of custody are separate fields; an index of another version is not read but replayed")
    func genealogyAndCustodyAndStaleIndex() throws {
        let dir = TemporaryDirectory()
        let (ledger, data) = try Fixtures.demoStore(in: dir)
        let batch = try Subject(data.batches[0])
        let p = try ledger.passport(batch, validAt: Self.t("2027-05-01T00:00:00Z"))
        let genealogy = try #require(p.entries.first { $0.field == "manufacturing.genealogy" })
        #expect(genealogy.provenance.type == "batch.transformed" && genealogy.provenance.source == "erp-sap")
        let custody = p.entries.filter { $0.field == "logistics.chainOfCustody" }
        #expect(!custody.isEmpty && custody.allSatisfy { $0.provenance.type == "custody.transferred" && $0.provenance.source == "tms-logistics" })
        #expect(OwnershipPolicy.default.owners(of: "manufacturing.genealogy") == ["erp", "wms", "tms"])
        #expect(OwnershipPolicy.default.owners(of: "logistics.chainOfCustody") == ["wms", "tms", "erp"])
        // An index written by an older dpp (e.g. format 3 kept batch.transformed under logistics.chainOfCustody)
        // is not read: the passport is replayed from the records until the index is rebuilt.
        try ledger.env.write { txn in
            try txn.put(Keys.metaFactsVersion, Array("3".utf8), in: ledger.dbs.meta)
            try txn.withCursor(ledger.dbs.facts) { c in
                var keys: [[UInt8]] = []
                var pos: Cursor.Position = .first
                while let k = try c.move(pos, { k, _ in [UInt8](k) }) {
                    keys.append(k)
                    pos = .next
                }
                for k in keys { try txn.delete(k, in: ledger.dbs.facts) }
            }
        }
        #expect(try ledger.passport(batch, asOf: p.asOf, validAt: p.validAt) == p)
        try ledger.reindex()
        #expect(try ledger.passport(batch, asOf: p.asOf, validAt: p.validAt) == p)
    }

    @Test("unknown and malformed subjects get clear errors, not empty passports")
    func badQueries() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir)
        let e = #expect(throws: LedgerError.self) { try ledger.passport(try Subject("01/09506000134352/21/NOPE")) }
        #expect(e?.code == .notFound)
        #expect(throws: SubjectError.self) { try Subject("01/0950600013435") }
        #expect(throws: LedgerError.self) { try ledger.passport(.system) }
    }

    @Test("data that breaks its event type is rejected with every violation and kept in quarantine")
    func typedValidationOnAppend() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir)
        let json = Fixtures.eventJSON(type: "composition.declared", sourceRef: "MAT-1", data: [
            "materials": [["name": "steel", "sharePercent": 70], ["name": "copper", "sharePercent": 40]],
            "substancesOfConcern": [["name": "lead", "casNumber": "7439-92-2", "concentrationPercent": 0.1]],
        ])
        let out = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(json, with: signers["plm"]!))])[0]
        guard case .rejected(let error, let q?) = out else {
            Issue.record("expected rejection, got \(out)")
            return
        }
        #expect(error.code == .invalidEvent)
        #expect(error.message.contains("data.substancesOfConcern[0].casNumber: CAS number 7439-92-2 has check digit 2, expected 1"))
        #expect(try ledger.quarantineEntry(id: q).code == "invalid-event")
        let shares = Fixtures.eventJSON(type: "composition.declared", sourceRef: "MAT-2", data: [
            "materials": [["name": "steel", "sharePercent": 70], ["name": "copper", "sharePercent": 40]]])
        let out2 = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(shares, with: signers["plm"]!))])[0]
        guard case .rejected(let e2, _) = out2 else {
            Issue.record("expected a rejection")
            return
        }
        #expect(e2.message.contains("data.materials: sharePercent values sum to more than 100 % (tolerance 0.5) (got 110)"))
        let unknown = Fixtures.eventJSON(type: "widget.painted", sourceRef: "W-1", data: [:])
        let out3 = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(unknown, with: signers["plm"]!))])[0]
        guard case .rejected(let e3, _) = out3 else {
            Issue.record("expected a rejection")
            return
        }
        #expect(e3.message.contains("type: unknown event type"))
    }

    @Test("property: the indexed passport equals a full replay, for random histories and random asOf/validAt")
    func snapshotEqualsReplay() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let (ledger, signers) = try Fixtures.store(in: dir, sources: ["plm", "erp", "supplier-portal"], options: clock.options)
        let seed = SplitMix64.testSeed()
        var rng = SplitMix64(seed: seed)
        let dates = ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01", "2027-01-01", "2027-04-01"].map { $0 + "T00:00:00.000000Z" }
        let model = Fixtures.model
        let batch = model + "/10/LOT1"
        let item = model + "/21/SN1"
        var times: [Timestamp] = [Timestamp(microsecondsSinceEpoch: 0)]
        var n = 0
        for _ in 0..<12 {
            var batchSubs: [Submission] = []
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                n += 1
                var extra: JSONObject = [:]
                let from = Int.random(in: -1..<dates.count, using: &rng)
                if from >= 0 { extra["validFrom"] = .string(dates[from]) }
                if Bool.random(using: &rng), from + 1 < dates.count {
                    extra["validUntil"] = .string(dates[Int.random(in: (from + 1)..<dates.count, using: &rng)])
                }
                let json: JSONObject
                let source: String
                switch Int.random(in: 0..<6, using: &rng) {
                case 0:
                    source = "plm"
                    json = Fixtures.eventJSON(type: "carbon-footprint.declared", subject: [model, batch].randomElement(using: &rng)!, source: source,
                        sourceRef: "E\(n)", data: ["totalKgCO2e": .number(JSONNumber(n)), "method": "PEF"], extra: extra)
                case 1:
                    source = "plm"
                    var bom = Fixtures.bom
                    bom["revision"] = .string("R\(n)")
                    json = Fixtures.eventJSON(subject: [model, batch].randomElement(using: &rng)!, source: source, sourceRef: "E\(n)", data: bom, extra: extra)
                case 2:
                    source = "erp"
                    json = Fixtures.eventJSON(type: "passport.status-changed", subject: [model, batch, item].randomElement(using: &rng)!, source: source,
                        sourceRef: "E\(n)", data: ["status": .string(["active", "suspended", "recalled"].randomElement(using: &rng)!)], extra: extra)
                case 3:
                    source = "erp"
                    json = Fixtures.eventJSON(type: "shipment.dispatched", subject: [batch, item].randomElement(using: &rng)!, source: source,
                        sourceRef: "E\(n)", data: ["shipmentId": .string("S\(Int.random(in: 0..<3, using: &rng))"), "destination": "FR", "quantity": .number(JSONNumber(n))], extra: extra)
                case 4:
                    source = "erp"
                    json = Fixtures.eventJSON(type: "item.registered", subject: item, source: source, sourceRef: "E\(n)",
                        data: ["lot": .string(["LOT1", "LOT2"].randomElement(using: &rng)!)], extra: extra)
                default:
                    source = "supplier-portal"
                    var e = extra
                    if e["validFrom"] == nil { e["validFrom"] = "2025-01-01T00:00:00.000000Z" }
                    if e["validUntil"] == nil { e["validUntil"] = "2029-01-01T00:00:00.000000Z" }
                    let type = Int.random(in: 0..<4, using: &rng) == 0 ? "declaration.revoked" : "declaration.recorded"
                    let data: JSONObject = type == "declaration.revoked" ? ["kind": "conflict-minerals", "reason": "test"] : ["kind": "conflict-minerals", "scope": .string("S\(n)")]
                    json = Fixtures.eventJSON(type: type, subject: "supplier/ACME", source: source, sourceRef: "E\(n)", data: data,
                        extra: type == "declaration.revoked" ? extra : e)
                }
                batchSubs.append(Fixtures.submission(try Fixtures.sign(json, with: signers[source]!)))
            }
            for o in try ledger.appendSync(batchSubs) {
                if case .rejected(let e, _) = o { Issue.record("seed \(seed): unexpected rejection: \(e)") }
            }
            clock.advance()
            times.append(clock.now())
            clock.advance()
        }
        let validTimes = dates.map { try! Timestamp(canonical: $0) } + [Self.t("2026-05-15T00:00:00Z"), Self.t("2030-01-01T00:00:00Z"), Self.t("2000-01-01T00:00:00Z")]
        func compareAll() throws {
            for id in [model, batch, item, "supplier/ACME"] {
                let subject = try Subject(id)
                for _ in 0..<15 {
                    let asOf = times.randomElement(using: &rng)!
                    let validAt = validTimes.randomElement(using: &rng)!
                    let replayed: Passport?
                    do {
                        replayed = try ledger.passportByReplay(subject, asOf: asOf, validAt: validAt)
                    } catch let e as LedgerError where e.code == .notFound {
                        replayed = nil
                    }
                    do {
                        let indexed = try ledger.passport(subject, asOf: asOf, validAt: validAt)
                        #expect(indexed.entries == replayed?.entries, "seed \(seed) (DPP_TEST_SEED): \(id) asOf \(asOf) validAt \(validAt)")
                    } catch let e as LedgerError where e.code == .notFound {
                        // A subject with no records at or before asOf is not found, by the replay too.
                        #expect(replayed == nil, "seed \(seed) (DPP_TEST_SEED): \(id) not found but its replay has a passport")
                    }
                }
            }
        }
        try compareAll()
        #expect(try ledger.reindex() == (try ledger.size()))
        try compareAll()
    }

    @Test("the demo data set is valid at any size and deterministic")
    func demoDataSetScales() throws {
        let dir = TemporaryDirectory()
        let (ledger, data) = try Fixtures.demoStore(in: dir, options: .init(models: 7, batchesPerModel: 6, itemsPerBatch: 4))
        #expect(data.items.count == 7 * 6 * 4)
        #expect(try ledger.verify().isIntact)
        let again = DemoDataSet(.init(models: 7, batchesPerModel: 6, itemsPerBatch: 4))
        #expect(again.events.map { $0.events.map { CanonicalJSON.encode(.object($0)) } } == data.events.map { $0.events.map { CanonicalJSON.encode(.object($0)) } })
    }
}
