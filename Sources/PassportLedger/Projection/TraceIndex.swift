import LMDB
import PassportAudit
import PassportModel

/// The recall trace index: the edges between subjects that the records state, each carrying the
/// record that states it, so that a trace reads only the records it needs (``Ledger/traceRecords``)
/// and replays them with ``RecallTrace``. Derived data: written in the append transaction,
/// rebuilt by `dpp reindex`, checked by `dpp verify` (every edge is one its record states, and
/// there are no others).
///
/// Key: `<edge kind byte> <from subject> 0x00 <u64 big-endian record index>`, value empty; for the
/// two relations between subjects that BoM revisions repeat (supplier → model, component → parent
/// model): `<kind> <from> 0x00 <to subject>`, value the first record stating it — a later revision
/// stating it again writes nothing, so the index costs little on the append path.
enum TraceIndex {
    /// What an edge says.
    enum Edge: UInt8, CaseIterable {
        /// model → its `bom.released` records.
        case bomOfModel = 0x42  // B
        /// supplier → the models whose BoM lines name it (a relation).
        case bomNamingSupplier = 0x53  // S
        /// component model → the models whose BoM lines name it as a sub-assembly (a relation).
        case bomNamingComponent = 0x43  // C
        /// model → `batch.produced` records of its batches.
        case batchOfModel = 0x50  // P
        /// batch → `batch.produced` of it.
        case batchRecord = 0x52  // R
        /// batch → `item.registered` records of its items.
        case itemOfBatch = 0x49  // I
        /// item → its `item.registered` records.
        case itemRecord = 0x4A  // J
        /// output batch → `batch.transformed` records.
        case transformationOf = 0x54  // T
        /// input subject → `batch.transformed` records that consumed it.
        case transformationConsuming = 0x55  // U
        /// batch or item → `shipment.dispatched` records.
        case shipmentOf = 0x48  // H
        /// supplier → `declaration.recorded` records.
        case declarationOf = 0x44  // D
    }

    static func key(_ edge: Edge, _ from: String, _ index: UInt64) -> [UInt8] {
        [edge.rawValue] + Array(from.utf8) + [0] + Keys.u64(index)
    }

    static func prefix(_ edge: Edge, _ from: String) -> [UInt8] { [edge.rawValue] + Array(from.utf8) + [0] }

    static func relation(_ edge: Edge, _ from: String, _ to: String) -> [UInt8] { prefix(edge, from) + Array(to.utf8) }

    /// The relations (supplier → model, component → parent) a `bom.released` record states.
    static func relations(_ r: Record) -> [[UInt8]] {
        let e = r.event
        guard e.type == "bom.released", e.subject.kind == .model else { return [] }
        var suppliers: Set<String> = [], components: Set<String> = []
        for line in e.data["lines"]?.arrayValue ?? [] {
            if let v = line.objectValue?["supplier"]?.stringValue { suppliers.insert(v) }
            if let v = line.objectValue?["component"]?.stringValue { components.insert(v) }
        }
        return (suppliers.sorted().map { relation(.bomNamingSupplier, $0, e.subject.rawValue) }
            + components.sorted().map { relation(.bomNamingComponent, $0, e.subject.rawValue) }).filter { $0.count <= 511 }
    }

    /// The keys of every per-record edge a record states.
    static func keys(_ r: Record) -> [[UInt8]] {
        let e = r.event
        let s = e.subject
        var out: [[UInt8]] = []
        switch e.type {
        case "bom.released" where s.kind == .model:
            out.append(key(.bomOfModel, s.rawValue, r.index))
        case "batch.produced" where s.kind == .batch:
            out.append(key(.batchOfModel, "01/\(s.gtin!)", r.index))
            out.append(key(.batchRecord, s.rawValue, r.index))
        case "item.registered" where s.kind == .item:
            out.append(key(.itemRecord, s.rawValue, r.index))
            if let lot = e.data["lot"]?.stringValue, case .success(let encoded) = GS1.encodeAttribute(value: lot, name: "lot") {
                out.append(key(.itemOfBatch, "01/\(s.gtin!)/10/\(encoded)", r.index))
            }
        case "batch.transformed" where s.kind == .batch:
            out.append(key(.transformationOf, s.rawValue, r.index))
            var inputs: Set<String> = []
            for i in e.data["inputs"]?.arrayValue ?? [] { if let v = i.objectValue?["subject"]?.stringValue { inputs.insert(v) } }
            out += inputs.sorted().map { key(.transformationConsuming, $0, r.index) }
        case "shipment.dispatched":
            out.append(key(.shipmentOf, s.rawValue, r.index))
        case "declaration.recorded" where s.kind == .supplier:
            out.append(key(.declarationOf, s.rawValue, r.index))
        default:
            break
        }
        // A key longer than LMDB takes is left out rather than failing the append; verify agrees.
        return out.filter { $0.count <= 511 }
    }

    /// Writes a record's edges (in the append transaction); a relation already known is left as it is.
    static func add(_ r: Record, txn: Transaction, db: Database) throws {
        for k in keys(r) { try txn.put(k, [UInt8](), in: db) }
        for k in relations(r) where try txn.get(k, in: db) == nil { try txn.put(k, Keys.u64(r.index), in: db) }
    }

    /// The rest of every key after `edge` and `from` (a record index or a related subject).
    static func scan(_ edge: Edge, _ from: String, txn: Transaction, db: Database) throws -> [[UInt8]] {
        let p = prefix(edge, from)
        var out: [[UInt8]] = []
        try txn.withCursor(db) { c in
            var pos: Cursor.Position = .atOrAfter(p)
            while let k = try c.move(pos, { k, _ in [UInt8](k) }) {
                guard k.starts(with: p) else { break }
                out.append(Array(k[p.count...]))
                pos = .next
            }
        }
        return out
    }

    /// The record indexes of `edge` from `from`.
    static func records(_ edge: Edge, _ from: String, txn: Transaction, db: Database) throws -> [UInt64] {
        try scan(edge, from, txn: txn, db: db).filter { $0.count == 8 }.map { $0.withUnsafeBytes { Keys.readU64($0) } }
    }

    /// The subjects a relation leads to from `from`.
    static func related(_ edge: Edge, _ from: String, txn: Transaction, db: Database) throws -> [String] {
        try scan(edge, from, txn: txn, db: db).map { String(decoding: $0, as: UTF8.self) }
    }
}

extension Ledger {
    /// The records a recall trace of `subject` (a batch or an item: down; a supplier: up) rests
    /// on, found through the trace index; replaying them with ``RecallTrace`` gives the same trace
    /// as replaying every record.
    /// - Parameters:
    ///   - lot: for a supplier, a lot of its component whose consumers are traced too.
    /// - Complexity: proportional to the records reached, not to the log.
    public func traceRecords(_ subject: Subject, lot: String? = nil) throws -> [Record] {
        try env.read { txn in
            guard let db = dbs.trace, try txn.get(Keys.metaFactsVersion, in: dbs.meta) == Array(FactIndex.version.utf8) else {
                // A store indexed by another version (opened read-only): every record.
                var all: [Record] = []
                try txn.withCursor(dbs.records) { c in
                    var pos: Cursor.Position = .first
                    while let b = try c.move(pos, { _, v in [UInt8](v) }) {
                        all.append(try Record(bytes: b))
                        pos = .next
                    }
                }
                return all
            }
            var indexes: Set<UInt64> = []
            func edge(_ e: TraceIndex.Edge, _ from: String) throws -> [UInt64] {
                let found = try TraceIndex.records(e, from, txn: txn, db: db)
                indexes.formUnion(found)
                return found
            }
            var recordCache: [UInt64: Record] = [:]
            func record(_ i: UInt64) throws -> Record {
                if let r = recordCache[i] { return r }
                guard let b = try txn.get(Keys.u64(i), in: dbs.records) else {
                    throw LedgerError(.notAStore, "the trace index names record \(i), which is missing; run dpp verify")
                }
                let r = try Record(bytes: b)
                recordCache[i] = r
                return r
            }
            func bomLines(_ indexes: [UInt64]) throws -> [JSONObject] {
                try indexes.flatMap { try record($0).event.data["lines"]?.arrayValue?.compactMap(\.objectValue) ?? [] }
            }
            if subject.kind == .batch || subject.kind == .item {
                // Down: the batch (through the item's lot), its model's BoMs, the genealogy's input
                // lots, the sub-assemblies' BoMs and the suppliers' declarations, to closure.
                var batches: [String] = []
                if subject.kind == .item {
                    for i in try edge(.itemRecord, subject.rawValue) {
                        if let lot = try record(i).event.data["lot"]?.stringValue, case .success(let encoded) = GS1.encodeAttribute(value: lot, name: "lot") {
                            batches.append("01/\(subject.gtin!)/10/\(encoded)")
                        }
                    }
                } else {
                    batches.append(subject.rawValue)
                }
                var seenBatches: Set<String> = [], seenModels: Set<String> = [], seenSuppliers: Set<String> = []
                var models: [String] = []
                while let b = batches.popLast() {
                    guard seenBatches.insert(b).inserted, let s = try? Subject(b), let gtin = s.gtin else { continue }
                    _ = try edge(.batchRecord, b)
                    models.append("01/\(gtin)")
                    for t in try edge(.transformationOf, b) {
                        for i in try record(t).event.data["inputs"]?.arrayValue ?? [] {
                            if let v = i.objectValue?["subject"]?.stringValue { batches.append(v) }
                        }
                    }
                }
                while let m = models.popLast() {
                    guard seenModels.insert(m).inserted else { continue }
                    for line in try bomLines(try edge(.bomOfModel, m)) {
                        if let c = line["component"]?.stringValue { models.append(c) }
                        if let s = line["supplier"]?.stringValue, seenSuppliers.insert(s).inserted { _ = try edge(.declarationOf, s) }
                    }
                }
            } else if subject.kind == .supplier {
                // Up: the BoMs naming the supplier, every revision of those models, the assemblies
                // above them, their batches, the batches that consumed those (or the lot), items and shipments.
                var models = try TraceIndex.related(.bomNamingSupplier, subject.rawValue, txn: txn, db: db)
                var seenModels: Set<String> = []
                var batches: [String] = []
                while let m = models.popLast() {
                    guard seenModels.insert(m).inserted else { continue }
                    _ = try edge(.bomOfModel, m)
                    models += try TraceIndex.related(.bomNamingComponent, m, txn: txn, db: db)
                    for p in try edge(.batchOfModel, m) { batches.append(try record(p).event.subject.rawValue) }
                }
                if let lot { batches.append(lot) }
                var seenBatches: Set<String> = []
                while let b = batches.popLast() {
                    guard seenBatches.insert(b).inserted else { continue }
                    _ = try edge(.batchRecord, b)
                    _ = try edge(.shipmentOf, b)
                    for i in try edge(.itemOfBatch, b) {
                        let item = try record(i).event.subject.rawValue
                        _ = try edge(.shipmentOf, item)
                    }
                    for t in try edge(.transformationConsuming, b) {
                        let out = try record(t).event.subject.rawValue
                        _ = try edge(.transformationOf, out)
                        batches.append(out)
                    }
                }
            }
            return try indexes.sorted().map(record)
        }
    }
}
