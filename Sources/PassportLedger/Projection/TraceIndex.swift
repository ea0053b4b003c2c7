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

    /// Every per-record edge a record states, with its value: empty, except on the edges a recall
    /// scope reads by the thousand — a batch's items (the ``RecallTrace/Placement``) and a
    /// subject's shipments (the ``RecallTrace/Shipment``) — so that a scope reads no item or
    /// shipment record.
    static func entries(_ r: Record) -> [(key: [UInt8], value: [UInt8])] {
        let e = r.event
        let s = e.subject
        var out: [(key: [UInt8], value: [UInt8])] = []
        switch e.type {
        case "bom.released" where s.kind == .model:
            out.append((key(.bomOfModel, s.rawValue, r.index), []))
        case "batch.produced" where s.kind == .batch:
            out.append((key(.batchOfModel, "01/\(s.gtin!)", r.index), []))
            out.append((key(.batchRecord, s.rawValue, r.index), []))
        case "item.registered" where s.kind == .item:
            out.append((key(.itemRecord, s.rawValue, r.index), []))
            if let p = RecallTrace.Placement(r) { out.append((key(.itemOfBatch, p.batch, r.index), encode(p))) }
        case "batch.transformed" where s.kind == .batch:
            out.append((key(.transformationOf, s.rawValue, r.index), []))
            var inputs: Set<String> = []
            for i in e.data["inputs"]?.arrayValue ?? [] { if let v = i.objectValue?["subject"]?.stringValue { inputs.insert(v) } }
            out += inputs.sorted().map { (key(.transformationConsuming, $0, r.index), []) }
        case "shipment.dispatched":
            out.append((key(.shipmentOf, s.rawValue, r.index), RecallTrace.Shipment(r).map(encode) ?? []))
        case "declaration.recorded" where s.kind == .supplier:
            out.append((key(.declarationOf, s.rawValue, r.index), []))
        default:
            break
        }
        // A key longer than LMDB takes is left out rather than failing the append; verify agrees.
        return out.filter { $0.key.count <= 511 }
    }

    /// A placement beside its edge: recorded-at (u64 µs), then the item.
    static func encode(_ p: RecallTrace.Placement) -> [UInt8] {
        Keys.u64(UInt64(bitPattern: p.recordedAt.microseconds)) + Array(p.item.utf8)
    }

    /// A shipment beside its edge: recorded-at (u64 µs), quantity (IEEE 754 bits), the ID's length
    /// (u32), the ID, the destination.
    static func encode(_ s: RecallTrace.Shipment) -> [UInt8] {
        let id = Array(s.id.utf8)
        return Keys.u64(UInt64(bitPattern: s.recordedAt.microseconds)) + Keys.u64(s.quantity.bitPattern)
            + withUnsafeBytes(of: UInt32(id.count).bigEndian) { Array($0) } + id + Array(s.destination.utf8)
    }

    static func placement(batch: String, record: UInt64, value v: UnsafeRawBufferPointer) -> RecallTrace.Placement? {
        guard v.count > 8 else { return nil }
        return RecallTrace.Placement(item: String(decoding: v[8...], as: UTF8.self), batch: batch, record: record,
            recordedAt: Timestamp(microsecondsSinceEpoch: Int64(bitPattern: Keys.readU64(UnsafeRawBufferPointer(rebasing: v[0..<8])))))
    }

    static func shipment(subject: String, record: UInt64, value v: UnsafeRawBufferPointer) -> RecallTrace.Shipment? {
        guard v.count >= 20 else { return nil }
        let idCount = Int(v[16..<20].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
        guard v.count >= 20 + idCount else { return nil }
        return RecallTrace.Shipment(subject: subject, id: String(decoding: v[20..<(20 + idCount)], as: UTF8.self),
            destination: String(decoding: v[(20 + idCount)...], as: UTF8.self),
            quantity: Double(bitPattern: Keys.readU64(UnsafeRawBufferPointer(rebasing: v[8..<16]))), record: record,
            recordedAt: Timestamp(microsecondsSinceEpoch: Int64(bitPattern: Keys.readU64(UnsafeRawBufferPointer(rebasing: v[0..<8])))))
    }

    /// Writes a record's edges (in the append transaction); a relation already known is left as it is.
    static func add(_ r: Record, txn: Transaction, db: Database) throws {
        for (k, v) in entries(r) { try txn.put(k, v, in: db) }
        for k in relations(r) where try txn.get(k, in: db) == nil { try txn.put(k, Keys.u64(r.index), in: db) }
    }

    /// Calls `body` with the rest of every key under `prefix` (after it) and its value.
    static func forEach(under prefix: [UInt8], txn: Transaction, db: Database, _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) throws -> Void) throws {
        try txn.withCursor(db) { c in
            var pos: Cursor.Position = .atOrAfter(prefix)
            while try c.move(pos, { k, v -> Bool in
                guard k.count >= prefix.count, k.starts(with: prefix) else { return false }
                try body(UnsafeRawBufferPointer(rebasing: k[prefix.count...]), v)
                return true
            }) == true {
                pos = .next
            }
        }
    }

    /// The rest of every key after `edge` and `from` (a record index or a related subject).
    static func scan(_ edge: Edge, _ from: String, txn: Transaction, db: Database) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try forEach(under: prefix(edge, from), txn: txn, db: db) { rest, _ in out.append([UInt8](rest)) }
        return out
    }

    /// The record indexes of `edge` from `from`.
    static func records(_ edge: Edge, _ from: String, txn: Transaction, db: Database) throws -> [UInt64] {
        try scan(edge, from, txn: txn, db: db).filter { $0.count == 8 }.map { Keys.readU64($0) }
    }

    /// The subjects a relation leads to from `from`.
    static func related(_ edge: Edge, _ from: String, txn: Transaction, db: Database) throws -> [String] {
        try scan(edge, from, txn: txn, db: db).map { String(decoding: $0, as: UTF8.self) }
    }

    /// What a recall scope reaches below `batches`: the placements of their items and the
    /// shipments of the batches and of every item of their GTINs (``RecallTrace`` keeps those in scope).
    static func reach(_ batches: Set<String>, txn: Transaction, db: Database) throws -> (placements: [RecallTrace.Placement], shipments: [RecallTrace.Shipment]) {
        var placements: [RecallTrace.Placement] = [], shipments: [RecallTrace.Shipment] = []
        var gtins: Set<String> = []
        for b in batches.sorted() {
            try forEach(under: prefix(.itemOfBatch, b), txn: txn, db: db) { rest, v in
                if rest.count == 8, let p = placement(batch: b, record: Keys.readU64(rest), value: v) { placements.append(p) }
            }
            try forEach(under: prefix(.shipmentOf, b), txn: txn, db: db) { rest, v in
                if rest.count == 8, let s = shipment(subject: b, record: Keys.readU64(rest), value: v) { shipments.append(s) }
            }
            if let g = try? Subject(b).gtin { gtins.insert(g) }
        }
        // Item shipments: one range per GTIN (`H 01/<GTIN>/21/<serial> 0 <index>`), not one seek per item.
        for g in gtins.sorted() {
            let items = "01/\(g)/21/"
            try forEach(under: [Edge.shipmentOf.rawValue] + Array(items.utf8), txn: txn, db: db) { rest, v in
                guard rest.count > 9, rest[rest.count - 9] == 0 else { return }
                let subject = items + String(decoding: rest[..<(rest.count - 9)], as: UTF8.self)
                if let s = shipment(subject: subject, record: Keys.readU64(UnsafeRawBufferPointer(rebasing: rest[(rest.count - 8)...])), value: v) {
                    shipments.append(s)
                }
            }
        }
        return (placements, shipments)
    }
}

extension Ledger {
    /// The recall trace down from a batch or an item (``RecallTrace/down(_:)``): its components,
    /// multi-level, their suppliers and declarations, as the ledger knew them at `asOf` (nil:
    /// now), with the records every edge rests on.
    /// - Complexity: proportional to the records reached (through the trace index), not to the log.
    public func traceDown(_ subject: Subject, asOf: Timestamp? = nil) throws -> (tree: JSONObject, records: Set<UInt64>) {
        try env.read { txn in RecallTrace(records: try traceRecords(subject, lot: nil, txn: txn).records, asOf: asOf).down(subject) }
    }

    /// The recall scope of a supplier (``RecallTrace/up(supplier:part:lot:from:to:)``): the
    /// models, batches, items, shipments and markets it reaches, as the ledger knew them at
    /// `asOf`, with the records every edge rests on. Items and shipments come from the trace
    /// index without reading their records.
    /// - Complexity: proportional to the models, batches, items and shipments reached.
    public func traceUp(supplier: Subject, part: String? = nil, lot: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil,
        asOf: Timestamp? = nil) throws -> (scope: JSONObject, records: Set<UInt64>)
    {
        try env.read { txn in
            let found = try traceRecords(supplier, lot: lot, txn: txn)
            let trace = RecallTrace(records: found.records, asOf: asOf)
            guard found.indexed, let db = dbs.trace else { return trace.up(supplier: supplier.rawValue, part: part, lot: lot, from: from, to: to) }
            return try trace.up(supplier: supplier.rawValue, part: part, lot: lot, from: from, to: to) { batches in
                try TraceIndex.reach(batches, txn: txn, db: db)
            }
        }
    }

    /// The records a trace of `subject` replays (down from a batch or item; up from a supplier, to
    /// its batches — their items and shipments are read by ``TraceIndex/reach``); every record
    /// when the store's index is of another version (opened read-only), `indexed` false.
    func traceRecords(_ subject: Subject, lot: String?, txn: Transaction) throws -> (records: [Record], indexed: Bool) {
            guard let db = dbs.trace, try txn.get(Keys.metaFactsVersion, in: dbs.meta) == Array(FactIndex.version.utf8) else {
                var all: [Record] = []
                try txn.withCursor(dbs.records) { c in
                    var pos: Cursor.Position = .first
                    while let b = try c.move(pos, { _, v in [UInt8](v) }) {
                        all.append(try Record(bytes: b))
                        pos = .next
                    }
                }
                return (all, false)
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
                    for t in try edge(.transformationConsuming, b) {
                        let out = try record(t).event.subject.rawValue
                        _ = try edge(.transformationOf, out)
                        batches.append(out)
                    }
                }
            }
            return (try indexes.sorted().map(record), true)
    }
}
