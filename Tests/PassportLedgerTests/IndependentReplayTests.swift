import Foundation
import PassportDemoData
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

/// The passport the ledger projects, checked against a naive replay of the exported records that
/// applies the rules of `Specs/passport-semantics.md` §3–§4 and `Specs/governance.md` §2–§3
/// directly — written without the projector, the fact index or the event catalog.
@Suite("Passports equal an independent replay of the records")
struct IndependentReplayTests {
    // MARK: The replay

    /// One fact a record states, as the spec reads it.
    struct SpecFact {
        let field: String
        let key: String?
        let value: JSONValue
        let validFrom: Timestamp?
        let validUntil: Timestamp?
        let index: UInt64
        let subject: String
        let recordedAt: Timestamp
        let source: String
        let sourceKind: String?
        /// 0 value, 1 override, 2 withdrawal.
        let kind: Int
    }

    /// A record as exported: the members the replay needs.
    struct Exported {
        let index: UInt64
        let subject: String
        let recordedAt: Timestamp
        let event: JSONObject
        let key: String
    }

    static let keepsExpired: Set<String> = ["declarations", "manufacturing.certifications", "compliance.testReports"]

    /// The replay's whole input: every record of the log.
    struct Log {
        let records: [Exported]
        let kinds: [String: String]  // key reference → source kind
        let policies: [(index: UInt64, recordedAt: Timestamp, fields: [String: [String]])]
        let facts: [String: [SpecFact]]  // subject → facts

        init(_ ledger: Ledger) throws {
            var records: [Exported] = []
            try ledger.forEachRecord { _, bytes in
                let o = try JSONParser.parse([UInt8](bytes)).objectValue!
                records.append(Exported(
                    index: UInt64(o["index"]!.numberValue!.double), subject: o["subject"]!.stringValue!,
                    recordedAt: try Timestamp(canonical: o["recordedAt"]!.stringValue!), event: o["event"]!.objectValue!,
                    key: o["signature"]!.objectValue!["key"]!.stringValue!))
            }
            var kinds: [String: String] = [:]
            var policies: [(UInt64, Timestamp, [String: [String]])] = []
            for r in records where r.subject == "system" {
                let data = r.event["data"]?.objectValue ?? [:]
                switch r.event["type"]?.stringValue {
                case "key.registered":
                    // A vkey is <name>+<hex id>+<key>; records name keys by <name>+<hex id>.
                    let parts = data["vkey"]!.stringValue!.split(separator: "+")
                    kinds[parts[0] + "+" + parts[1]] = data["kind"]?.stringValue
                case "policy.updated":
                    var fields: [String: [String]] = [:]
                    for (k, v) in data["fields"]!.objectValue! { fields[k] = v.arrayValue!.map { $0.stringValue! } }
                    policies.append((r.index, r.recordedAt, fields))
                default: break
                }
            }
            var facts: [String: [SpecFact]] = [:]
            for r in records where r.subject != "system" {
                facts[r.subject, default: []] += try IndependentReplayTests.facts(of: r, kind: kinds[r.key])
            }
            self.records = records
            self.kinds = kinds
            self.policies = policies.map { (index: $0.0, recordedAt: $0.1, fields: $0.2) }
            self.facts = facts
        }

        /// The policy in force at `asOf`: the last one recorded at or before it (none: no owners).
        func policy(asOf: Timestamp) -> [String: [String]] {
            policies.last { $0.recordedAt <= asOf }?.fields ?? [:]
        }
    }

    static func ts(_ v: JSONValue?) throws -> Timestamp? { try v?.stringValue.map { try Timestamp(canonical: $0) } }

    /// The facts a record states, per the event types' "sets" column of the spec.
    static func facts(of r: Exported, kind: String?) throws -> [SpecFact] {
        let e = r.event
        let data = e["data"]?.objectValue ?? [:]
        let type = e["type"]!.stringValue!
        let validFrom = try ts(e["validFrom"])
        let validUntil = try ts(e["validUntil"])
        let createdAt = try ts(e["createdAt"])!
        var out: [SpecFact] = []
        func put(_ field: String, _ key: String? = nil, _ value: JSONValue, from: Timestamp? = validFrom, kind factKind: Int = 0) {
            out.append(SpecFact(field: field, key: key, value: value, validFrom: from, validUntil: validUntil, index: r.index, subject: r.subject,
                recordedAt: r.recordedAt, source: e["source"]!.stringValue!, sourceKind: kind, kind: factKind))
        }
        func copy(_ pairs: [(String, String)], from: Timestamp? = validFrom) {
            for (member, field) in pairs { if let v = data[member] { put(field, nil, v, from: from) } }
        }
        /// An entry that keeps its status: the data, status valid, the validity window.
        func kept() -> JSONObject {
            var v = data
            v["status"] = "valid"
            if let validFrom { v["validFrom"] = .string(validFrom.description) }
            if let validUntil { v["validUntil"] = .string(validUntil.description) }
            return v
        }
        switch type {
        case "product.registered":
            copy([("name", "identity.name"), ("category", "identity.category"), ("manufacturer", "identity.manufacturer"),
                ("manufacturerGLN", "identity.manufacturerGLN"), ("economicOperator", "identity.economicOperator"), ("facility", "identity.facility"),
                ("productionDate", "identity.productionDate"), ("weightKg", "identity.weightKg"), ("countryOfOrigin", "logistics.countryOfOrigin"),
                ("markets", "logistics.destinationMarkets")])
        case "batch.produced":
            copy([("quantity", "manufacturing.batchQuantity"), ("facility", "manufacturing.site"), ("productionDate", "identity.productionDate"),
                ("countryOfOrigin", "logistics.countryOfOrigin")])
        case "item.registered":
            copy([("lot", "identity.lot"), ("productionDate", "identity.productionDate"), ("facility", "identity.facility")])
        case "bom.released": put("composition.billOfMaterials", nil, .object(data))
        case "composition.declared": copy([("materials", "composition.materials"), ("substancesOfConcern", "composition.substancesOfConcern")])
        case "carbon-footprint.declared": put("environment.carbonFootprint", nil, .object(data))
        case "certification.recorded": put("manufacturing.certifications", data["id"]!.stringValue!, .object(kept()))
        case "test-report.recorded": put("compliance.testReports", data["id"]!.stringValue!, .object(kept()))
        case "declaration.recorded":
            var v = kept()
            v["supplier"] = .string(r.subject)
            put("declarations", data["kind"]!.stringValue!, .object(v))
        case "declaration.revoked":
            put("declarations", data["kind"]!.stringValue!,
                ["status": "revoked", "supplier": .string(r.subject), "kind": data["kind"]!, "reason": data["reason"]!], from: validFrom ?? createdAt)
        case "shipment.dispatched":
            let id = data["shipmentId"]!.stringValue!
            var shipment = data
            shipment["customsDocument"] = nil
            put("logistics.shipments", id, .object(shipment))
            if let doc = data["customsDocument"] { put("logistics.customsDocuments", id, doc) }
        case "batch.transformed": put("manufacturing.genealogy", e["sourceRef"]!.stringValue!, .object(data))
        case "unit.packed": put("logistics.contents", e["sourceRef"]!.stringValue!, .object(data))
        case "custody.transferred":
            var v = data
            v["since"] = .string((validFrom ?? createdAt).description)
            put("logistics.chainOfCustody", data["transferId"]!.stringValue!, .object(v), from: validFrom ?? createdAt)
        case "end-of-life.published":
            copy([("disassembly", "endOfLife.disassembly"), ("recyclability", "endOfLife.recyclability"), ("takeBack", "endOfLife.takeBack"),
                ("safety", "endOfLife.safety")])
        case "repair.published":
            var repairability = JSONObject()
            if let s = data["repairabilityScore"] { repairability["score"] = s }
            if let i = data["instructions"] { repairability["instructions"] = i }
            if repairability.count > 0 { put("repair.repairability", nil, .object(repairability)) }
            if let p = data["spareParts"] { put("repair.spareParts", nil, p) }
        case "passport.status-changed":
            copy([("status", "identity.status"), ("predecessor", "identity.predecessor"), ("successor", "identity.successor")], from: validFrom ?? createdAt)
        case "field.overridden": put(data["field"]!.stringValue!, data["key"]?.stringValue, data["value"]!, kind: 1)
        case "field.override-withdrawn": put(data["field"]!.stringValue!, data["key"]?.stringValue, .null, kind: 2)
        default: Issue.record("the replay does not know event type \(type)")
        }
        return out
    }

    /// One value of the replayed passport.
    struct Value: Equatable, CustomStringConvertible {
        let value: JSONValue
        let index: UInt64
        let subject: String
        let overrideReason: Bool
        var description: String { "\(CanonicalJSON.string(value)) ← #\(index) on \(subject)\(overrideReason ? " (override)" : "")" }
    }

    /// The precedence rank of a source for a field under a policy (governance.md §2).
    static func rank(_ f: SpecFact, _ policy: [String: [String]]) -> Int {
        let section = f.field.firstIndex(of: ".").map { String(f.field[..<$0]) + ".*" }
        let owners = policy[f.field] ?? section.flatMap { policy[$0] } ?? policy["*"] ?? []
        if owners.isEmpty { return 0 }
        return owners.firstIndex { $0 == f.source || $0 == f.sourceKind } ?? Int.max
    }

    /// One subject's own passport: field path → value (§3, governance §2–§3).
    static func project(_ subject: String, _ log: Log, asOf: Timestamp, validAt: Timestamp) -> [String: (SpecFact, Value)] {
        let policy = log.policy(asOf: asOf)
        let known = (log.facts[subject] ?? []).filter { $0.recordedAt <= asOf }
        var slots: [String: [SpecFact]] = [:]
        for f in known { slots[f.key.map { "\(f.field)[\($0)]" } ?? f.field, default: []].append(f) }
        var out: [String: (SpecFact, Value)] = [:]
        for (path, facts) in slots {
            let field = facts[0].field
            let applicable = facts.filter { ($0.validFrom.map { $0 <= validAt } ?? true) && $0.kind != 2 }
            func inForce(_ f: SpecFact) -> Bool { f.validUntil.map { validAt < $0 } ?? true }
            func choose(_ group: [SpecFact]) -> SpecFact? {
                if let o = group.filter({ $0.kind == 1 }).max(by: { $0.index < $1.index }),
                    !facts.contains(where: { ($0.kind == 0 || $0.kind == 2) && $0.index > o.index })
                {
                    return o
                }
                return group.filter { $0.kind == 0 }.min { a, b in
                    let (ra, rb) = (rank(a, policy), rank(b, policy))
                    if ra != rb { return ra < rb }
                    let (fa, fb) = (a.validFrom?.microseconds ?? .min, b.validFrom?.microseconds ?? .min)
                    if fa != fb { return fa > fb }
                    return a.index > b.index
                }
            }
            let winner = choose(applicable.filter(inForce)) ?? (keepsExpired.contains(field) ? choose(applicable.filter { !inForce($0) }) : nil)
            guard let w = winner else { continue }
            var value = w.value
            if keepsExpired.contains(field), case .object(var o) = value, o["status"] != "revoked" {
                o["status"] = inForce(w) ? "valid" : "expired"
                value = .object(o)
            }
            out[path] = (w, Value(value: value, index: w.index, subject: w.subject, overrideReason: w.kind == 1))
        }
        return out
    }

    /// The composed passport (§4), or nil if the subject did not exist at `asOf`.
    static func passport(_ id: Subject, _ log: Log, asOf: Timestamp, validAt: Timestamp) -> [String: Value]? {
        guard log.records.contains(where: { $0.subject == id.rawValue && $0.recordedAt <= asOf }) else { return nil }
        func own(_ s: String) -> [String: (SpecFact, Value)] { project(s, log, asOf: asOf, validAt: validAt) }
        var layers: [[String: (SpecFact, Value)]]
        switch id.kind {
        case .model: layers = [own(id.rawValue)]
        case .batch: layers = [own("01/\(id.gtin!)"), own(id.rawValue)]
        case .item:
            let item = own(id.rawValue)
            layers = [own("01/\(id.gtin!)")]
            if let lot = item["identity.lot"]?.1.value.stringValue { layers.append(own("01/\(id.gtin!)/10/\(lot)")) }
            layers.append(item)
        default: layers = [own(id.rawValue)]
        }
        var composed: [String: (SpecFact, Value)] = [:]
        for layer in layers { composed.merge(layer) { _, new in new } }
        if id.kind == .model || id.kind == .batch || id.kind == .item,
            let lines = composed["composition.billOfMaterials"]?.1.value.objectValue?["lines"]?.arrayValue
        {
            var seen: Set<String> = []
            for line in lines {
                guard let supplier = line.objectValue?["supplier"]?.stringValue, seen.insert(supplier).inserted else { continue }
                for v in own(supplier).values where v.0.field == "declarations" {
                    composed["declarations[\(supplier):\(v.0.key!)]"] = v
                }
            }
        }
        return composed.mapValues(\.1)
    }

    // MARK: The property

    static let dates = ["2026-01-01", "2026-04-01", "2026-07-01", "2026-10-01", "2027-01-01", "2027-04-01"].map { $0 + "T00:00:00.000000Z" }
    static let model = Fixtures.model
    static let batches = [Fixtures.model + "/10/LOT1", Fixtures.model + "/10/LOT2"]
    static let item = Fixtures.model + "/21/SN1"
    static let supplier = "supplier/ACME"
    static let unit = "00/095060000000000015"

    /// The number of kinds `randomEvent` makes: one per passport event type, then a policy change.
    static let choices = 21

    /// A random event of the given kind (0..<19, one per event type; 19: a policy change), from a
    /// source that owns what it writes under the default policy.
    static func randomEvent(_ n: Int, choice: Int, _ rng: inout SplitMix64) -> (source: String, json: JSONObject) {
        func pick<T>(_ xs: [T]) -> T { xs[rng.next(upTo: xs.count)] }
        var extra: JSONObject = ["createdAt": .string(pick(dates))]
        let from = rng.next(upTo: dates.count + 1) - 1
        if from >= 0 { extra["validFrom"] = .string(dates[from]) }
        if rng.next(upTo: 2) == 0, from + 1 < dates.count { extra["validUntil"] = .string(dates[from + 1 + rng.next(upTo: dates.count - from - 1)]) }
        func window() -> JSONObject {
            var e = extra
            let a = rng.next(upTo: dates.count - 1)
            e["validFrom"] = .string(dates[a])
            e["validUntil"] = .string(dates[a + 1 + rng.next(upTo: dates.count - a - 1)])
            return e
        }
        let products = [model] + batches + [item]
        let num: JSONValue = .number(JSONNumber(n))
        func event(_ type: String, _ subject: String, _ source: String, _ data: JSONObject, _ x: JSONObject? = nil) -> (String, JSONObject) {
            (source, Fixtures.eventJSON(type: type, subject: subject, source: source, sourceRef: "E\(n)", data: data, extra: x ?? extra))
        }
        switch choice {
        case 0: return event("product.registered", pick(products), "plm", ["name": .string("N\(n)"), "manufacturer": "M", "weightKg": num])
        case 1:
            var bom = Fixtures.bom
            bom["revision"] = .string("R\(n)")
            return event("bom.released", pick([model] + batches), "plm", bom)
        case 2: return event("composition.declared", pick([model] + batches), "plm", ["materials": [["name": .string("m\(n)"), "sharePercent": 50]]])
        case 3: return event("carbon-footprint.declared", pick([model] + batches), pick(["plm", "erp"]), ["totalKgCO2e": num, "method": "PEF"])
        case 4:
            return event("certification.recorded", pick([model] + batches), "qa",
                ["id": .string("C\(rng.next(upTo: 2))"), "scheme": .string("S\(n)"), "issuer": "I"], window())
        case 5:
            return event("declaration.recorded", supplier, "supplier-portal",
                ["kind": .string(pick(["conflict-minerals", "substances"])), "scope": .string("S\(n)")], window())
        case 6: return event("declaration.revoked", supplier, "supplier-portal", ["kind": .string(pick(["conflict-minerals", "substances"])), "reason": "r"])
        case 8:
            var data: JSONObject = ["shipmentId": .string("S\(rng.next(upTo: 3))"), "destination": "FR", "quantity": num]
            if rng.next(upTo: 2) == 0 { data["customsDocument"] = ["number": .string("MRN\(n)")] }
            return event("shipment.dispatched", pick(batches + [item, unit]), pick(["tms", "erp"]), data)
        case 9: return event("batch.produced", pick(batches), "erp", ["quantity": num, "facility": "facility/F1", "productionDate": "2026-05-01"])
        case 10: return event("item.registered", item, "erp", ["lot": .string(pick(["LOT1", "LOT2"]))])
        case 11:
            return event("batch.transformed", pick(batches), pick(["erp", "tms"]), ["inputs": [["subject": .string(pick(batches)), "quantity": num]]])
        case 12:
            return event("custody.transferred", pick(products), pick(["tms", "erp"]),
                ["transferId": .string("T\(rng.next(upTo: 2))"), "custodian": .string("C\(n)"), "location": "dock"])
        case 13: return event("end-of-life.published", model, "plm", ["safety": .string("S\(n)"), "takeBack": ["scheme": "T"]])
        case 14: return event("repair.published", model, "plm", ["repairabilityScore": .number(JSONNumber(n % 10)), "spareParts": []])
        case 15: return event("passport.status-changed", pick(products), pick(["erp", "plm"]), ["status": .string(pick(["active", "suspended", "recalled"]))])
        case 16:
            return event("test-report.recorded", pick([model] + batches), "qa",
                ["id": .string("TR\(rng.next(upTo: 2))"), "standard": "IEC", "result": .string(pick(["pass", "fail"]))])
        case 7:
            return event("declaration.recorded", supplier, "supplier-portal",
                ["kind": .string(pick(["conflict-minerals", "substances"])), "scope": .string("renewal \(n)")], window())
        case 17, 18:
            let (subject, field, key, value): (String, String, String?, JSONValue) = switch rng.next(upTo: 5) {
            case 0: (pick([model] + batches), "environment.carbonFootprint", nil, ["totalKgCO2e": num, "method": "fixed"])
            case 1: (pick([model] + batches), "manufacturing.certifications", "C\(rng.next(upTo: 2))", ["scheme": .string("fixed \(n)")])
            case 2: (pick(products), "identity.status", nil, "suspended")
            case 3: (supplier, "declarations", "conflict-minerals", ["kind": "conflict-minerals", "scope": .string("fixed \(n)")])
            default: (pick(batches + [item]), "logistics.shipments", "S\(rng.next(upTo: 3))", ["destination": "DE"])
            }
            var data: JSONObject = ["field": .string(field), "reason": .string("fix \(n)")]
            if let key { data["key"] = .string(key) }
            if choice == 18 { return event("field.override-withdrawn", subject, "fixer", data) }
            data["value"] = value
            return event("field.overridden", subject, "fixer", data)
        case 19:
            return event("unit.packed", unit, "tms", ["contents": [["subject": .string(pick(batches + [item])), "quantity": num]]])
        default: return ("policy", [:])
        }
    }

    /// A random ownership policy: the default with owners reordered or dropped for some fields.
    static func randomPolicy(_ rng: inout SplitMix64) -> OwnershipPolicy {
        var fields = OwnershipPolicy.default.fields
        let variants: [(String, [[String]])] = [
            ("environment.carbonFootprint", [["plm", "erp"], ["erp", "plm"], ["plm"], ["erp"]]),
            ("identity.status", [["erp", "plm"], ["plm", "erp"], ["erp"]]),
            ("logistics.shipments", [["tms", "wms", "erp"], ["erp", "tms"], ["tms"]]),
            ("manufacturing.genealogy", [["erp", "wms", "tms"], ["tms", "erp"], ["erp"]]),
            ("logistics.chainOfCustody", [["wms", "tms", "erp"], ["erp", "tms"]]),
        ]
        for (field, options) in variants { fields[field] = options[rng.next(upTo: options.count)] }
        return OwnershipPolicy(fields: fields)
    }

    @Test("property: Ledger.passport equals an independent replay of the exported records, before and after reindex")
    func passportEqualsIndependentReplay() throws {
        let seed = SplitMix64.testSeed()
        var rng = SplitMix64(seed: seed)
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let (ledger, signers) = try Fixtures.store(in: dir, sources: ["plm", "erp", "supplier-portal", "qa", "tms"], options: clock.options)
        try ledger.addKey(name: "fixer", permissions: Permissions(eventTypes: ["*"], fields: ["*"], override: true))
        let fixer = try ledger.sourceSigner("fixer")
        var times: [Timestamp] = [Timestamp(microsecondsSinceEpoch: 0)]
        var appended = 0
        var types: Set<String> = []
        for round in 0..<14 {
            var batch: [Submission] = []
            // The first round has one event of every type, under the default policy.
            let choices = round == 0 ? Array(0..<(Self.choices - 1)) : (0..<(1 + rng.next(upTo: 10))).map { _ in rng.next(upTo: Self.choices) }
            for choice in choices {
                let (source, json) = Self.randomEvent(1000 * round + batch.count, choice: choice, &rng)
                if source == "policy" {
                    try ledger.setPolicy(Self.randomPolicy(&rng), reason: "test \(seed)")
                    continue
                }
                batch.append(Fixtures.submission(try Fixtures.sign(json, with: source == "fixer" ? fixer : signers[source]!)))
            }
            for o in try ledger.appendSync(batch) {
                switch o {
                case .rejected(let e, _):
                    // Under a random policy a source may no longer own what it writes; nothing else may fail.
                    #expect(e.code == .notPermitted, "seed \(seed) (DPP_TEST_SEED): unexpected rejection \(e)")
                default:
                    appended += 1
                    if let r = o.record { types.insert(try ledger.record(r.index).event.type) }
                }
            }
            clock.advance()
            times.append(clock.now())
            clock.advance()
        }
        #expect(appended > 40, "seed \(seed) (DPP_TEST_SEED): only \(appended) events appended")
        let log = try Log(ledger)
        let validTimes = Self.dates.map { try! Timestamp(canonical: $0) }
            + ["2026-02-15", "2026-05-15", "2026-12-31", "2030-01-01", "2000-01-01"].map { try! Timestamp(canonical: $0 + "T00:00:00.000000Z") }
        var compared = 0
        var notFound = 0
        func compareAll(_ phase: String) throws {
            for id in [Self.model] + Self.batches + [Self.item, Self.supplier, Self.unit] {
                let subject = try Subject(id)
                for _ in 0..<25 {
                    let asOf = times[rng.next(upTo: times.count)]
                    let validAt = rng.next(upTo: 4) == 0 ? asOf : validTimes[rng.next(upTo: validTimes.count)]
                    let expected = Self.passport(subject, log, asOf: asOf, validAt: validAt)
                    let context = "seed \(seed) (DPP_TEST_SEED) \(phase): \(id) asOf \(asOf) validAt \(validAt)"
                    do {
                        let p = try ledger.passport(subject, asOf: asOf, validAt: validAt)
                        let got = Dictionary(uniqueKeysWithValues: p.entries.map {
                            ($0.path, Value(value: $0.value, index: $0.provenance.index, subject: $0.provenance.subject, overrideReason: $0.overrideReason != nil))
                        })
                        guard let expected else {
                            Issue.record("\(context): the subject did not exist yet, but the ledger shows a passport")
                            continue
                        }
                        for path in Set(got.keys).union(expected.keys).sorted() where got[path] != expected[path] {
                            Issue.record("\(context): \(path) is \(got[path]?.description ?? "absent"), the replay says \(expected[path]?.description ?? "absent")")
                        }
                        compared += 1
                    } catch let e as LedgerError where e.code == .notFound {
                        #expect(expected == nil, "\(context): not found (\(e.message)) but the replay has a passport")
                        notFound += 1
                    }
                }
            }
        }
        try compareAll("indexed")
        #expect(try ledger.reindex() == (try ledger.size()))
        try compareAll("after reindex")
        #expect(compared > 100 && notFound > 0, "seed \(seed) (DPP_TEST_SEED): \(compared) compared, \(notFound) not found")
        // Every passport event type was exercised.
        let passportTypes = Set(EventCatalog.all.map(\.type))
        #expect(types == passportTypes, "seed \(seed) (DPP_TEST_SEED): types not exercised: \(passportTypes.subtracting(types).sorted())")
    }
}
