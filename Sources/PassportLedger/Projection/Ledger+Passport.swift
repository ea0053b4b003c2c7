import Foundation
import LMDB
import PassportAudit
import PassportModel

extension Ledger {
    /// The passport of a subject as it stood at system time `asOf` (default: now, by ``Options/clock``) for valid time
    /// `validAt` (default: `asOf`), with the provenance of every value.
    ///
    /// A batch is composed from its model and itself; an item from its model, its batch (named
    /// by its `identity.lot`) and itself — the more specific subject wins for the same field — plus
    /// the declarations of every supplier its bill of materials names.
    /// - Throws: ``LedgerError`` `not-found` if the subject has no records, or none recorded at or
    ///   before `asOf` (it did not exist then; the message names when it first appeared). The rule
    ///   is about `id` itself: an item recorded after its model still has no passport before that.
    public func passport(_ id: Subject, asOf: Timestamp? = nil, validAt: Timestamp? = nil) throws -> Passport {
        try passportAndNextChange(id, asOf: asOf, validAt: validAt).passport
    }

    /// ``passport(_:asOf:validAt:)``, with the first valid time after `validAt` at which a fact it
    /// rests on starts or ends (nil: none known, or not computed). Until the log grows, the
    /// passport for any valid time before that instant is the same — what a server may cache.
    /// - Returns: the passport, the log's size it was read at, and the next change in valid time.
    public func passportAndNextChange(_ id: Subject, asOf: Timestamp? = nil, validAt: Timestamp? = nil) throws
        -> (passport: Passport, size: UInt64, nextChange: Timestamp?)
    {
        let asOf = asOf ?? options.clock()
        let validAt = validAt ?? asOf
        guard id.kind != .system else { throw LedgerError(.invalidArgument, "the system subject has no passport; see dpp keys list") }
        var nextChange = Int64.max
        var size: UInt64 = 0
        let indexed = try env.read { txn -> Passport? in
            size = try txn.get(Keys.metaSize, in: dbs.meta).map(Keys.readU64) ?? 0
            try requireExisted(txn, id, asOf: asOf)
            // An index written by another version (a store opened read-only, not yet reindexed) is not read.
            guard try txn.get(Keys.metaFactsVersion, in: dbs.meta) == Array(FactIndex.version.utf8) else { return nil }
            let policy = try self.policy(txn, asOf: asOf)
            func project(_ s: String) throws -> [PassportEntry] {
                try FactIndex.project(
                    s, asOf: asOf, validAt: validAt, policy: policy, txn: txn, db: dbs.facts, records: dbs.records, cache: factCache, nextChange: &nextChange)
            }
            return Passport(id: id, asOf: asOf, validAt: validAt, entries: try Ledger.composed(id) { try project($0) })
        }
        if let indexed {
            return (indexed, size, nextChange == .max ? nil : Timestamp(microsecondsSinceEpoch: nextChange))
        }
        // Replayed without the index: no change time is computed, so the earliest possible one is given.
        return (try passportByReplay(id, asOf: asOf, validAt: validAt), size, validAt)
    }

    /// Throws `not-found` unless the subject has a record at or before `asOf`.
    func requireExisted(_ txn: Transaction, _ id: Subject, asOf: Timestamp) throws {
        guard let index = try txn.get(Keys.subject(id.rawValue, 1), in: dbs.subjects).map({ $0.withUnsafeBytes { Keys.readU64($0) } }) else {
            throw LedgerError(.notFound, "no passport for \(id): the subject has no records")
        }
        guard let bytes = try txn.get(Keys.u64(index), in: dbs.records) else {
            throw LedgerError(.notAStore, "record \(index) of \(id) is missing; run dpp verify")
        }
        let first = try Record(bytes: bytes).recordedAt
        if first > asOf {
            throw LedgerError(.notFound, "no passport for \(id) as of \(asOf): the subject first appeared at \(first) (record \(index))")
        }
    }

    /// The entries of a passport: its subject layers, then the declarations of the suppliers its BoM names.
    static func composed(_ id: Subject, project: (String) throws -> [PassportEntry]) throws -> [PassportEntry] {
        let entries = Projector.compose(try layers(of: id, project: project))
        guard id.gtin != nil else { return entries }  // only products have a BoM naming suppliers
        return Projector.compose([entries, try supplierDeclarations(entries, project: project)])
    }

    /// The subject layers of a passport, least specific first.
    static func layers(of id: Subject, project: (String) throws -> [PassportEntry]) throws -> [[PassportEntry]] {
        guard let gtin = id.gtin else { return [try project(id.rawValue)] }
        let model = "01/\(gtin)"
        switch id.kind {
        case .batch: return [try project(model), try project(id.rawValue)]
        case .item:
            let item = try project(id.rawValue)
            var layers = [try project(model)]
            if let lot = item.first(where: { $0.field == "identity.lot" })?.value.stringValue {
                layers.append(try project("\(model)/10/\(percentEncodeLot(lot))"))
            }
            return layers + [item]
        default: return [try project(model)]
        }
    }

    /// The declarations of the suppliers named in the bill of materials, keyed `<supplier>:<kind>`.
    static func supplierDeclarations(_ entries: [PassportEntry], project: (String) throws -> [PassportEntry]) throws -> [PassportEntry] {
        guard let bom = entries.first(where: { $0.field == "composition.billOfMaterials" })?.value.objectValue else { return [] }
        var suppliers: [String] = []
        for line in bom["lines"]?.arrayValue ?? [] {
            if let s = line.objectValue?["supplier"]?.stringValue, !suppliers.contains(s) { suppliers.append(s) }
        }
        return try suppliers.flatMap { supplier in
            try project(supplier).filter { $0.field == "declarations" }.map {
                PassportEntry(field: $0.field, key: "\(supplier):\($0.key ?? "")", value: $0.value, provenance: $0.provenance, overrideReason: $0.overrideReason)
            }
        }
    }

    /// GS1 Digital Link path encoding of a lot value.
    static func percentEncodeLot(_ lot: String) -> String {
        (try? GS1.encodeAttribute(value: lot, name: "lot").get()) ?? lot
    }

    /// The same passport computed by replaying every record of the subjects involved, without
    /// the fact index: the reference the index is tested against.
    func passportByReplay(_ id: Subject, asOf: Timestamp, validAt: Timestamp) throws -> Passport {
        let policy = try env.read { txn in
            try requireExisted(txn, id, asOf: asOf)
            return try self.policy(txn, asOf: asOf)
        }
        let kinds = Dictionary(uniqueKeysWithValues: try keys().map { ($0.reference, $0.kind) })
        func project(_ s: String) throws -> [PassportEntry] {
            let records = (try? history(try Subject(s))) ?? []
            let facts = records.flatMap { Fact.of($0, sourceKind: kinds[$0.signature.key] ?? nil) }
            return Projector.project(facts, asOf: asOf, validAt: validAt) { f in
                policy.rank(of: f.provenance.source, kind: f.sourceKind, for: f.field) ?? Int.max
            }
        }
        return Passport(id: id, asOf: asOf, validAt: validAt, entries: try Ledger.composed(id) { try project($0) })
    }

    /// Rebuilds the derived passport and trace indexes from the records alone.
    /// - Returns: the number of records read.
    @discardableResult
    public func reindex(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> UInt64 {
        let total = try size()
        var done: UInt64 = 0
        try writeGrowingMap(what: "the index was not rebuilt") { txn in
            // Empty the derived databases, then refill them in one transaction.
            for db in [dbs.facts, dbs.trace].compactMap({ $0 }) {
                let keys = try txn.withCursor(db) { c in
                    var keys: [[UInt8]] = []
                    var pos: Cursor.Position = .first
                    while let k = try c.move(pos, { k, _ in [UInt8](k) }) {
                        keys.append(k)
                        pos = .next
                    }
                    return keys
                }
                for k in keys { try txn.delete(k, in: db) }
            }
            done = 0
            var kinds: [String: String?] = [:]
            try forEachRecord(in: txn) { _, bytes in
                let record = try Record(bytes: [UInt8](bytes))
                let ref = record.signature.key
                if kinds[ref] == nil { kinds[ref] = try txn.get(Array(ref.utf8), in: dbs.keys).map { try KeyEntry(bytes: $0).kind } ?? nil }
                try FactIndex.add(FactIndex.prepare(record.event), of: record, sourceKind: kinds[ref] ?? nil, txn: txn, db: dbs.facts)
                if let trace = dbs.trace { try TraceIndex.add(record, txn: txn, db: trace) }
                done += 1
                if done % 65536 == 0 { progress?(done, total) }
            }
            try txn.put(Keys.metaFactsVersion, Array(FactIndex.version.utf8), in: dbs.meta)
        }
        factCache.removeAll()
        progress?(done, total)
        return done
    }

    /// The access policy of this deployment: defaults, overridden by `<store>/access-tiers.json` if present.
    public func accessPolicy() throws -> AccessPolicy {
        let url = directory.appendingPathComponent("access-tiers.json")
        guard let data = FileManager.default.contents(atPath: url.path) else { return .defaults }
        do {
            return try AccessPolicy(json: try JSONParser.parse([UInt8](data)))
        } catch {
            throw LedgerError(.invalidArgument, "\(url.path): \(error)")
        }
    }
}

extension Ledger {
    /// The records that shaped a passport (of the subject and the subjects it is composed from),
    /// in log order, with the facts each stated that a caller of tier `view` may see; with
    /// `field`, only those that wrote that field. A record none of whose facts is visible is left out.
    /// - Parameters:
    ///   - view: the caller's tier; facts of fields above it are never listed.
    ///   - policy: the deployment's access tiers (``accessPolicy()``).
    public func passportHistory(_ id: Subject, field: String? = nil, view: AccessTier, policy: AccessPolicy) throws -> [(Record, [Fact])] {
        var subjects: [String] = [id.rawValue]
        if let gtin = id.gtin, id.kind != .model {
            subjects.insert("01/\(gtin)", at: 0)
            if id.kind == .item, let lot = try passport(id).entry("identity.lot")?.value.stringValue {
                subjects.insert("01/\(gtin)/10/\(Ledger.percentEncodeLot(lot))", at: 1)
            }
        }
        var records: [Record] = []
        for s in subjects { records += (try? history(try Subject(s))) ?? [] }
        if records.isEmpty { throw LedgerError(.notFound, "no passport for \(id): the subject has no records") }
        let kinds = Dictionary(uniqueKeysWithValues: try keys().map { ($0.reference, $0.kind) })
        return records.sorted { $0.index < $1.index }
            .map { r in
                (r, Fact.of(r, sourceKind: kinds[r.signature.key] ?? nil).filter { f in
                    policy.tier(of: f.field) <= view && (field.map { f.field == $0 || "\(f.field)[\(f.key ?? "")]" == $0 } ?? true)
                })
            }
            .filter { !$0.1.isEmpty }
    }
}

extension Ledger {
    /// Records a new data-ownership policy (`policy.updated`, signed by the ledger key). Events
    /// appended from now on are judged by it; earlier ones keep being judged by the policy in force
    /// when they were recorded.
    /// - Returns: the record index of the policy.
    @discardableResult
    public func setPolicy(_ policy: OwnershipPolicy, reason: String) throws -> UInt64 {
        var data = policy.json.objectValue!
        data["description"] = .string(reason)
        return try appendSystemEvent(type: "policy.updated", sourceRef: "policy.updated/\(UUID().uuidString)", data: data)
    }

    /// The ownership policy in force now, or at a system time.
    public func policy(asOf: Timestamp? = nil) throws -> OwnershipPolicy {
        try env.read { txn in try policy(txn, asOf: asOf) }
    }

    /// Every policy the ledger has recorded: (record index, recordedAt, policy), oldest first.
    public func policyHistory() throws -> [(index: UInt64, recordedAt: Timestamp, policy: OwnershipPolicy)] {
        try env.read { txn in
            var out: [(UInt64, Timestamp, OwnershipPolicy)] = []
            try txn.withCursor(dbs.policies) { c in
                var pos: Cursor.Position = .first
                while let (index, bytes) = try c.move(pos, { k, v in (Keys.readU64(k), [UInt8](v)) }) {
                    let e = try policyCache.entry(index: index, bytes: bytes)
                    out.append((index, e.recordedAt, e.policy))
                    pos = .next
                }
            }
            return out
        }
    }
}
