import Foundation
import LMDB
import PassportAudit
import PassportModel

/// The recall trace index: the edges between subjects that the records state, each carrying the
/// record that states it, so that a trace reads only what it needs (``Ledger/traceDown(_:asOf:)``,
/// ``Ledger/traceUp(supplier:part:lot:from:to:asOf:)``) and replays it with ``RecallTrace``.
/// Derived data: written in the append transaction, rebuilt by `dpp reindex`, checked by `dpp
/// verify` (every edge is one its record states, with the value it states, and there are no others).
///
/// Key: `<edge kind byte> <from subject> 0x00 <u64 big-endian record index>`, value empty or, on
/// the edges a recall scope reads in bulk, the fact it needs (see Specs/recall-trace.md); for the
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
        /// item → its `item.registered` records (a batch's items are found in the range of its
        /// GTIN's items: one edge an item keeps the index cheap on the append path).
        case itemRecord = 0x4A  // J
        /// output batch → `batch.transformed` records.
        case transformationOf = 0x54  // T
        /// input subject → `batch.transformed` records that consumed it.
        case transformationConsuming = 0x55  // U
        /// batch or item → `shipment.dispatched` records.
        case shipmentOf = 0x48  // H
        /// batch or item → `unit.packed` records of the logistic units it was packed into.
        case packedInto = 0x4B  // K
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
    /// scope reads in bulk, which carry the fact it needs (``RecallTrace/Batch``,
    /// ``RecallTrace/Placement``, ``RecallTrace/Consumption``, ``RecallTrace/Shipment``,
    /// ``RecallTrace/Packing``), so that a scope reads no record but the BoMs.
    static func entries(_ r: Record) -> [(key: [UInt8], value: [UInt8])] {
        let e = r.event
        let s = e.subject
        var out: [(key: [UInt8], value: [UInt8])] = []
        switch e.type {
        case "bom.released" where s.kind == .model:
            out.append((key(.bomOfModel, s.rawValue, r.index), []))
        case "batch.produced" where s.kind == .batch:
            let fact = RecallTrace.Batch(r).map(encode) ?? []
            out.append((key(.batchOfModel, "01/\(s.gtin!)", r.index), fact))
            out.append((key(.batchRecord, s.rawValue, r.index), fact))
        case "item.registered" where s.kind == .item:
            out.append((key(.itemRecord, s.rawValue, r.index), RecallTrace.Placement(r).map(encode) ?? []))
        case "batch.transformed" where s.kind == .batch:
            out.append((key(.transformationOf, s.rawValue, r.index), []))
            out += RecallTrace.Consumption.of(r).map { (key(.transformationConsuming, $0.input, r.index), encode($0)) }
        case "shipment.dispatched":
            out.append((key(.shipmentOf, s.rawValue, r.index), RecallTrace.Shipment(r).map(encode) ?? []))
        case "unit.packed" where s.kind == .logisticUnit:
            out += RecallTrace.Packing.of(r).map { (key(.packedInto, $0.content, r.index), encode($0)) }
        case "declaration.recorded" where s.kind == .supplier:
            out.append((key(.declarationOf, s.rawValue, r.index), []))
        default:
            break
        }
        // A key longer than LMDB takes is left out rather than failing the append; verify agrees.
        return out.filter { $0.key.count <= 511 }
    }

    // The facts beside their edges: recorded-at first (u64 µs, two's complement), then the fact's
    // fields; strings last or length-prefixed (u32). See Specs/recall-trace.md.

    /// An item → registration edge's value: recorded-at, the batch the registration names.
    static func encode(_ p: RecallTrace.Placement) -> [UInt8] { time(p.recordedAt) + Array(p.batch.utf8) }

    /// A shipment edge's value: recorded-at, quantity (IEEE 754 bits), the ID (u32 length, bytes), the destination.
    static func encode(_ s: RecallTrace.Shipment) -> [UInt8] {
        time(s.recordedAt) + Keys.u64(s.quantity.bitPattern) + string(s.id) + Array(s.destination.utf8)
    }

    /// A model → batch and batch → production edge's value: recorded-at, 1 and the production
    /// date (µs) or 0 when there is none, the batch.
    static func encode(_ b: RecallTrace.Batch) -> [UInt8] {
        time(b.recordedAt) + (b.productionDate.map { [1] + Keys.u64(UInt64(bitPattern: $0)) } ?? [0]) + Array(b.subject.utf8)
    }

    /// A content → logistic unit edge's value: recorded-at, the unit.
    static func encode(_ p: RecallTrace.Packing) -> [UInt8] { time(p.recordedAt) + Array(p.unit.utf8) }

    /// An input → consuming transformation edge's value: recorded-at, the consuming batch.
    static func encode(_ c: RecallTrace.Consumption) -> [UInt8] { time(c.recordedAt) + Array(c.batch.utf8) }

    static func time(_ t: Timestamp) -> [UInt8] { Keys.u64(UInt64(bitPattern: t.microseconds)) }
    static func string(_ s: String) -> [UInt8] { withUnsafeBytes(of: UInt32(s.utf8.count).bigEndian) { Array($0) } + Array(s.utf8) }

    /// Reads a fact's fields in order; nil past the end (a damaged value reads as no fact).
    struct Reader {
        var rest: Slice<UnsafeRawBufferPointer>
        init(_ v: UnsafeRawBufferPointer) { rest = v[...] }
        mutating func u64() -> UInt64? {
            guard rest.count >= 8 else { return nil }
            defer { rest = rest.dropFirst(8) }
            return rest.prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
        }
        mutating func time() -> Timestamp? { u64().map { Timestamp(microsecondsSinceEpoch: Int64(bitPattern: $0)) } }
        mutating func byte() -> UInt8? { rest.popFirst() }
        mutating func string() -> String? {
            guard rest.count >= 4 else { return nil }
            let n = Int(rest.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
            rest = rest.dropFirst(4)
            guard rest.count >= n else { return nil }
            defer { rest = rest.dropFirst(n) }
            return String(decoding: rest.prefix(n), as: UTF8.self)
        }
        /// The rest, as a string.
        mutating func tail() -> String { defer { rest = rest.suffix(0) }; return String(decoding: rest, as: UTF8.self) }
    }

    static func shipment(subject: String, record: UInt64, value v: UnsafeRawBufferPointer) -> RecallTrace.Shipment? {
        var r = Reader(v)
        guard let at = r.time(), let q = r.u64(), let id = r.string() else { return nil }
        return RecallTrace.Shipment(subject: subject, id: id, destination: r.tail(), quantity: Double(bitPattern: q), record: record, recordedAt: at)
    }

    static func batch(record: UInt64, value v: UnsafeRawBufferPointer) -> RecallTrace.Batch? {
        var r = Reader(v)
        guard let at = r.time(), let flag = r.byte() else { return nil }
        let date = flag == 1 ? r.u64().map { Int64(bitPattern: $0) } : nil
        guard flag == 0 || date != nil, !r.rest.isEmpty else { return nil }
        return RecallTrace.Batch(subject: r.tail(), productionDate: date, record: record, recordedAt: at)
    }

    static func packing(content: String, record: UInt64, value v: UnsafeRawBufferPointer) -> RecallTrace.Packing? {
        var r = Reader(v)
        guard let at = r.time(), !r.rest.isEmpty else { return nil }
        return RecallTrace.Packing(unit: r.tail(), content: content, record: record, recordedAt: at)
    }

    static func consumption(input: String, record: UInt64, value v: UnsafeRawBufferPointer) -> RecallTrace.Consumption? {
        var r = Reader(v)
        guard let at = r.time(), !r.rest.isEmpty else { return nil }
        return RecallTrace.Consumption(batch: r.tail(), input: input, record: record, recordedAt: at)
    }

    /// The facts of `edge` from `from`, read by `read` from each edge's record index and value.
    static func facts<T>(_ edge: Edge, _ from: String, txn: Transaction, db: Database, _ read: (UInt64, UnsafeRawBufferPointer) -> T?) throws -> [T] {
        var out: [T] = []
        try txn.forEach(under: prefix(edge, from), in: db) { rest, v in
            if rest.count == 8, let f = read(Keys.readU64(rest), v) { out.append(f) }
        }
        return out
    }

    /// Writes a record's edges (in the append transaction); a relation already known is left as it is.
    static func add(_ r: Record, txn: Transaction, db: Database) throws {
        for (k, v) in entries(r) { try txn.put(k, v, in: db) }
        for k in relations(r) where try txn.get(k, in: db) == nil { try txn.put(k, Keys.u64(r.index), in: db) }
    }

    /// The rest of every key after `edge` and `from` (a record index or a related subject).
    static func scan(_ edge: Edge, _ from: String, txn: Transaction, db: Database) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        try txn.forEach(under: prefix(edge, from), in: db) { rest, _ in out.append([UInt8](rest)) }
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

    /// What a recall scope reaches below `batches` (see ``RecallTrace/Reach``): their items known
    /// at `asOf`, in item order, and the shipments of the batches and of every item of their
    /// GTINs (``RecallTrace`` keeps those in scope). A model's items are read in one range of its
    /// item → registration edges (`J 01/<GTIN>/21/`), already in item order.
    static func reach(_ batches: Set<String>, asOf: Timestamp?, txn: Transaction, db: Database) throws
        -> (items: [RecallTrace.ItemRun], packings: [RecallTrace.Packing], shipments: [RecallTrace.Shipment])
    {
        var runs: [RecallTrace.ItemRun] = [], packings: [RecallTrace.Packing] = [], shipments: [RecallTrace.Shipment] = []
        var byGTIN: [String: [String]] = [:]
        for b in batches.sorted() {
            shipments += try facts(.shipmentOf, b, txn: txn, db: db) { shipment(subject: b, record: $0, value: $1) }
            packings += try facts(.packedInto, b, txn: txn, db: db) { packing(content: b, record: $0, value: $1) }
            // A batch in canonical spelling, `01/<GTIN-14>/10/<lot>` (read as bytes: one per affected batch).
            let u = Array(b.utf8)
            if u.count > 21, u.starts(with: Array("01/".utf8)), u[17..<21].elementsEqual("/10/".utf8) {
                byGTIN[String(decoding: u[3..<17], as: UTF8.self), default: []].append(b)
            }
        }
        let models = byGTIN.sorted { $0.key < $1.key }
        for part in try split(models, asOf: asOf, txn: txn, db: db) {
            runs.append(part.items)
            shipments += part.shipments
        }
        // The logistic units any of their items went into, and what those units shipped.
        for (g, _) in models {
            try itemEdges(.packedInto, gtin: g, txn: txn, db: db) { item, record, v in
                if let p = packing(content: item, record: record, value: v) { packings.append(p) }
            }
        }
        for unit in Set(packings.map(\.unit)).sorted() {
            shipments += try facts(.shipmentOf, unit, txn: txn, db: db) { shipment(subject: unit, record: $0, value: $1) }
        }
        return (runs, packings, shipments)
    }

    /// Calls `body` with the item, record index and value of every `edge` from an item of `gtin`:
    /// one range (`<edge> 01/<GTIN>/21/<serial> 0 <index>`), not one seek per item.
    static func itemEdges(_ edge: Edge, gtin: String, txn: Transaction, db: Database, _ body: (String, UInt64, UnsafeRawBufferPointer) -> Void) throws {
        let items = "01/\(gtin)/21/"
        try txn.forEach(under: [edge.rawValue] + Array(items.utf8), in: db) { rest, v in
            guard rest.count > 9, rest[rest.count - 9] == 0 else { return }
            body(items + String(decoding: rest[..<(rest.count - 9)], as: UTF8.self), Keys.readU64(UnsafeRawBufferPointer(rebasing: rest[(rest.count - 8)...])), v)
        }
    }

    /// ``reach(_:asOf:txn:db:)`` for `models` (GTIN and affected batches, in order), the models split
    /// in two halves of about as many batches, the second read on another core in a read
    /// transaction of the same snapshot (same transaction ID; else it is read here too).
    static func split(_ models: [(key: String, value: [String])], asOf: Timestamp?, txn: Transaction, db: Database) throws
        -> [(items: RecallTrace.ItemRun, shipments: [RecallTrace.Shipment])]
    {
        let total = models.reduce(0) { $0 + $1.value.count }
        var cut = 0, running = 0
        while cut < models.count, running * 2 < total { running += models[cut].value.count; cut += 1 }
        guard total >= 8, cut < models.count else { return [try below(models[...], asOf: asOf, txn: txn, db: db)] }
        let env = txn.environment
        let snapshot = txn.id
        let second = Locked<Result<(items: RecallTrace.ItemRun, shipments: [RecallTrace.Shipment]), any Error>?>(nil)
        let rest = models[cut...]
        let worker = Thread {
            let result = Result { try env.read { t in t.id == snapshot ? try below(rest, asOf: asOf, txn: t, db: db) : nil } }
                .flatMap { $0.map { .success($0) } ?? .failure(Stale()) }
            second.withLockWakingWaiters { $0 = result }
        }
        worker.start()
        let first = Result { try below(models[..<cut], asOf: asOf, txn: txn, db: db) }
        let other = second.withLock(waitingUntil: { $0 != nil }) { $0! }
        let firstPart = try first.get()
        switch other {
        case .success(let part): return [firstPart, part]
        case .failure(let e) where e is Stale: return [firstPart, try below(rest, asOf: asOf, txn: txn, db: db)]
        case .failure(let e): throw e
        }
    }

    /// A write committed between the two read transactions of ``split(_:asOf:txn:db:)``.
    struct Stale: Error {}

    /// The affected models' items and the shipments of those items, model by model.
    static func below(_ models: ArraySlice<(key: String, value: [String])>, asOf: Timestamp?, txn: Transaction, db: Database) throws
        -> (items: RecallTrace.ItemRun, shipments: [RecallTrace.Shipment])
    {
        var run = RecallTrace.ItemRun(asOf: asOf), shipments: [RecallTrace.Shipment] = []
        for (g, affected) in models {
            try itemsInOrder(gtin: g, batches: affected, into: &run, txn: txn, db: db)
            try itemEdges(.shipmentOf, gtin: g, txn: txn, db: db) { item, record, v in
                if let s = shipment(subject: item, record: record, value: v) { shipments.append(s) }
            }
        }
        return (run, shipments)
    }

    /// The GTIN's items placed in `batches` (all of GTIN `gtin`), read from the item → registration
    /// edges (`J <item> 0 <index>` → recorded-at, batch) in key order, which is item order.
    static func itemsInOrder(gtin: String, batches: [String], into run: inout RecallTrace.ItemRun, txn: Transaction, db: Database) throws {
        let lots = batches.map { Array($0.utf8) }.sorted { $0.lexicographicallyPrecedes($1) }
        /// How `lots[i]` compares with the bytes `v`.
        func compare(_ i: Int, _ v: Slice<UnsafeRawBufferPointer>) -> Int {
            lots[i].withUnsafeBytes { m in
                let n = min(m.count, v.count)
                let d = n == 0 ? 0 : memcmp(m.baseAddress!, v.base.baseAddress! + v.startIndex, n)
                return d != 0 ? Int(d) : m.count - v.count
            }
        }
        var previous = 0
        /// Whether `v` names one of `lots`: the previous item's lot first (serials of a lot are
        /// mostly neighbours), else by binary search on the bytes.
        func affected(_ v: Slice<UnsafeRawBufferPointer>) -> Bool {
            if previous < lots.count, compare(previous, v) == 0 { return true }
            var (lo, hi) = (0, lots.count)
            while lo < hi {
                let mid = (lo + hi) / 2
                let c = compare(mid, v)
                if c == 0 {
                    previous = mid
                    return true
                }
                if c < 0 { lo = mid + 1 } else { hi = mid }
            }
            return false
        }
        // Its own cursor loop rather than ``itemEdges``: the item is decoded from the key in one
        // piece (no prefix + serial concatenation), which a scope of 150k items measures.
        let prefix = [Edge.itemRecord.rawValue] + Array("01/\(gtin)/21/".utf8)
        try txn.withCursor(db) { c in
            var pos: Cursor.Position = .atOrAfter(prefix)
            while try c.move(pos, { k, v -> Bool in
                guard k.count > prefix.count + 9, memcmp(k.baseAddress!, prefix, prefix.count) == 0 else { return false }
                guard v.count > 8, k[k.count - 9] == 0, affected(v[8...]) else { return true }
                run.add(
                    // From a typed buffer: String's fast path (one allocation, no intermediate array).
                    item: String(decoding: UnsafeBufferPointer(start: k.baseAddress!.assumingMemoryBound(to: UInt8.self) + 1, count: k.count - 10), as: UTF8.self),
                    record: Keys.readU64(UnsafeRawBufferPointer(rebasing: k[(k.count - 8)...])),
                    recordedAt: Timestamp(microsecondsSinceEpoch: Int64(bitPattern: Keys.readU64(UnsafeRawBufferPointer(rebasing: v[0..<8])))))
                return true
            }) == true {
                pos = .next
            }
        }
    }
}

extension Ledger {
    /// The recall trace down from a batch or an item (``RecallTrace/down(_:)``): its components,
    /// multi-level, their suppliers and declarations, as the ledger knew them at `asOf` (nil:
    /// now), with the records every edge rests on.
    /// - Complexity: proportional to the records reached (through the trace index), not to the log.
    public func traceDown(_ subject: Subject, asOf: Timestamp? = nil) throws -> (tree: JSONObject, records: Set<UInt64>) {
        try env.read { txn in
            guard let db = try traceIndex(txn) else { return RecallTrace(records: try allRecords(txn), asOf: asOf).down(subject) }
            return RecallTrace(records: try downRecords(subject, txn: txn, db: db), asOf: asOf).down(subject)
        }
    }

    /// The recall scope of a supplier (``RecallTrace/up(supplier:part:lot:from:to:)``): the
    /// models, batches, items, shipments and markets it reaches, as the ledger knew them at
    /// `asOf`, with the records every edge rests on. Only the BoMs are read from their records;
    /// batches, genealogy, items and shipments come from the facts beside the index's edges.
    /// - Complexity: proportional to the models, batches, items and shipments reached.
    public func traceUp(supplier: Subject, part: String? = nil, lot: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil,
        asOf: Timestamp? = nil) throws -> (scope: JSONObject, records: RecallTrace.ScopeRecords)
    {
        try env.read { txn in
            guard let db = try traceIndex(txn) else {
                return RecallTrace(records: try allRecords(txn), asOf: asOf).up(supplier: supplier.rawValue, part: part, lot: lot, from: from, to: to)
            }
            // The BoMs naming the supplier, every revision of those models and of the assemblies
            // above them; their batches; the batches that consumed those (or the lot), to closure.
            var models = try TraceIndex.related(.bomNamingSupplier, supplier.rawValue, txn: txn, db: db)
            var seenModels: Set<String> = []
            var boms: [Record] = [], batches: [UInt64: RecallTrace.Batch] = [:], consumptions: [RecallTrace.Consumption] = []
            var frontier: [String] = []
            while let m = models.popLast() {
                guard seenModels.insert(m).inserted else { continue }
                boms += try TraceIndex.records(.bomOfModel, m, txn: txn, db: db).map { try record($0, txn: txn) }
                models += try TraceIndex.related(.bomNamingComponent, m, txn: txn, db: db)
                for b in try TraceIndex.facts(.batchOfModel, m, txn: txn, db: db, TraceIndex.batch) {
                    batches[b.record] = b
                    frontier.append(b.subject)
                }
            }
            if let lot { frontier.append(lot) }
            var seenBatches: Set<String> = []
            while let b = frontier.popLast() {
                guard seenBatches.insert(b).inserted else { continue }
                for p in try TraceIndex.facts(.batchRecord, b, txn: txn, db: db, TraceIndex.batch) { batches[p.record] = p }
                for c in try TraceIndex.facts(.transformationConsuming, b, txn: txn, db: db, { TraceIndex.consumption(input: b, record: $0, value: $1) }) {
                    consumptions.append(c)
                    frontier.append(c.batch)
                }
            }
            return try RecallTrace(records: boms, batches: Array(batches.values), consumptions: consumptions, asOf: asOf)
                .up(supplier: supplier.rawValue, part: part, lot: lot, from: from, to: to) { try TraceIndex.reach($0, asOf: asOf, txn: txn, db: db) }
        }
    }

    /// The trace index, when the store's is of this version (else nil: a store indexed by another
    /// version, opened read-only, is traced by replaying every record).
    func traceIndex(_ txn: Transaction) throws -> Database? {
        guard let db = dbs.trace, try txn.get(Keys.metaFactsVersion, in: dbs.meta) == Array(FactIndex.version.utf8) else { return nil }
        return db
    }

    func allRecords(_ txn: Transaction) throws -> [Record] {
        var all: [Record] = []
        try forEachRecord(in: txn) { _, b in all.append(try Record(bytes: [UInt8](b))) }
        return all
    }

    /// Record `i`, as the trace index names it (its canonical form is `verify`'s to check).
    func record(_ i: UInt64, txn: Transaction) throws -> Record {
        guard let b = try txn.get(Keys.u64(i), in: dbs.records) else {
            throw LedgerError(.notAStore, "the trace index names record \(i), which is missing; run dpp verify")
        }
        return try Record(bytes: b, requireCanonical: false)
    }

    /// The records a trace down from a batch or an item replays: the batch (through the item's
    /// lot), its model's BoMs, the genealogy's input lots, the sub-assemblies' BoMs and the
    /// suppliers' declarations, to closure.
    func downRecords(_ subject: Subject, txn: Transaction, db: Database) throws -> [Record] {
        var found: [UInt64: Record] = [:]
        func edge(_ e: TraceIndex.Edge, _ from: String) throws -> [Record] {
            try TraceIndex.records(e, from, txn: txn, db: db).map { i in
                if let r = found[i] { return r }
                let r = try record(i, txn: txn)
                found[i] = r
                return r
            }
        }
        var batches: [String] = []
        if subject.kind == .item {
            batches += try edge(.itemRecord, subject.rawValue).compactMap { RecallTrace.Placement($0)?.batch }
        } else {
            batches.append(subject.rawValue)
        }
        var seenBatches: Set<String> = [], seenModels: Set<String> = [], seenSuppliers: Set<String> = []
        var models: [String] = []
        while let b = batches.popLast() {
            guard seenBatches.insert(b).inserted, let s = try? Subject(b), let gtin = s.gtin else { continue }
            _ = try edge(.batchRecord, b)
            models.append("01/\(gtin)")
            for t in try edge(.transformationOf, b) { batches += RecallTrace.Consumption.of(t).map(\.input) }
        }
        while let m = models.popLast() {
            guard seenModels.insert(m).inserted else { continue }
            for line in try edge(.bomOfModel, m).flatMap({ $0.event.data["lines"]?.arrayValue?.compactMap(\.objectValue) ?? [] }) {
                if let c = line["component"]?.stringValue { models.append(c) }
                if let s = line["supplier"]?.stringValue, seenSuppliers.insert(s).inserted { _ = try edge(.declarationOf, s) }
            }
        }
        return Array(found.values)
    }
}
