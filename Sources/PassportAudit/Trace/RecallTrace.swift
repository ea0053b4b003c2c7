import PassportModel

/// The recall trace computed by replaying records (issue 11's reference): which batch used which
/// components from which suppliers under which declarations, and which models, batches, items,
/// shipments and markets a supplier reaches. Pure — no store — so an auditor can replay a recall
/// decision from the records alone, and the ledger's trace index can be tested against it.
///
/// Facts read: `bom.released` (a model's lines with part, material, quantity, supplier and
/// sub-assembly `component`, in force from `validFrom` until the next revision's), `batch.produced`
/// (a batch and its production date), `item.registered` (an item's lot), `batch.transformed` (input
/// lots consumed by a batch), `shipment.dispatched` (what left for which market) and
/// `declaration.recorded` (a supplier's declarations and their validity). Only records recorded at
/// or before `asOf` count (what the ledger knew then); BoM effectivity and declaration validity are
/// valid time.
public struct RecallTrace: Sendable {
    struct BOM: Sendable {
        let revision: String
        let from: Int64  // valid from, µs (min: since ever)
        let record: UInt64
        let lines: [JSONObject]
    }

    /// A batch's production (`batch.produced`): what the trace needs of it, kept beside the
    /// index's edges like ``Placement``.
    public struct Batch: Sendable, Hashable {
        /// The batch, `01/<GTIN>/10/<lot>`.
        public let subject: String
        /// Its production date (µs since the epoch), nil when the record gives none.
        public let productionDate: Int64?
        /// The `batch.produced` record.
        public let record: UInt64
        /// When that record was recorded (for `asOf`).
        public let recordedAt: Timestamp

        /// The batch's model, `01/<GTIN>`.
        public var model: String { String(decoding: subject.utf8.prefix(17), as: UTF8.self) }

        /// A production as a record states it; nil for a record that is not a `batch.produced` of a batch.
        public init?(_ r: Record) {
            guard r.event.type == "batch.produced", r.event.subject.kind == .batch else { return nil }
            self.init(subject: r.event.subject.rawValue, productionDate: RecallTrace.time(r.event.data["productionDate"]), record: r.index, recordedAt: r.recordedAt)
        }

        /// A production from its parts (as an index read them back).
        public init(subject: String, productionDate: Int64?, record: UInt64, recordedAt: Timestamp) {
            (self.subject, self.productionDate, self.record, self.recordedAt) = (subject, productionDate, record, recordedAt)
        }
    }

    /// One input a batch consumed (`batch.transformed`), as a recall scope follows it upwards;
    /// kept beside the index's edge from the input like ``Placement``.
    public struct Consumption: Sendable, Hashable {
        /// The batch that consumed it (the transformation's subject).
        public let batch: String
        /// The input: a lot or an item.
        public let input: String
        /// The `batch.transformed` record.
        public let record: UInt64
        /// When that record was recorded (for `asOf`).
        public let recordedAt: Timestamp

        /// The inputs a record states, once each; empty for a record that is not a `batch.transformed` of a batch.
        public static func of(_ r: Record) -> [Consumption] {
            guard r.event.type == "batch.transformed", r.event.subject.kind == .batch else { return [] }
            var seen: Set<String> = []
            return (r.event.data["inputs"]?.arrayValue ?? []).compactMap { i in
                guard let s = i.objectValue?["subject"]?.stringValue, seen.insert(s).inserted else { return nil }
                return Consumption(batch: r.event.subject.rawValue, input: s, record: r.index, recordedAt: r.recordedAt)
            }
        }

        /// A consumption from its parts (as an index read them back).
        public init(batch: String, input: String, record: UInt64, recordedAt: Timestamp) {
            (self.batch, self.input, self.record, self.recordedAt) = (batch, input, record, recordedAt)
        }
    }

    /// An item's registration in a lot (`item.registered`): what the trace needs of it, small
    /// enough for the ledger's trace index to keep beside the edge, so that a recall scope of
    /// many thousand items reads no item record.
    public struct Placement: Sendable, Hashable {
        /// The item, `01/<GTIN>/21/<serial>`.
        public let item: String
        /// The batch the registration names, `01/<GTIN>/10/<lot>`.
        public let batch: String
        /// The `item.registered` record.
        public let record: UInt64
        /// When that record was recorded (for `asOf`).
        public let recordedAt: Timestamp

        /// A placement as a record states it; nil for a record that is not an `item.registered`
        /// of an item with a `lot`.
        public init?(_ r: Record) {
            let e = r.event
            guard e.type == "item.registered", e.subject.kind == .item, let gtin = e.subject.gtin, let lot = e.data["lot"]?.stringValue,
                case .success(let encoded) = GS1.encodeAttribute(value: lot, name: "lot")
            else { return nil }
            self.init(item: e.subject.rawValue, batch: "01/\(gtin)/10/\(encoded)", record: r.index, recordedAt: r.recordedAt)
        }

        /// A placement from its parts (as an index read them back).
        public init(item: String, batch: String, record: UInt64, recordedAt: Timestamp) {
            (self.item, self.batch, self.record, self.recordedAt) = (item, batch, record, recordedAt)
        }
    }

    /// A shipment (`shipment.dispatched` with a shipment ID and a destination): what the trace
    /// needs of it, kept beside the index's edge like ``Placement``.
    public struct Shipment: Sendable, Hashable {
        /// What was shipped: a batch or an item.
        public let subject: String
        /// The shipment's ID.
        public let id: String
        /// Where it went (a market, a location).
        public let destination: String
        /// How many units.
        public let quantity: Double
        /// The `shipment.dispatched` record.
        public let record: UInt64
        /// When that record was recorded (for `asOf`).
        public let recordedAt: Timestamp

        /// A shipment as a record states it; nil for a record that is not a `shipment.dispatched`
        /// with a shipment ID and a destination.
        public init?(_ r: Record) {
            let e = r.event
            guard e.type == "shipment.dispatched", let id = e.data["shipmentId"]?.stringValue, let dest = e.data["destination"]?.stringValue else { return nil }
            self.init(subject: e.subject.rawValue, id: id, destination: dest, quantity: e.data["quantity"]?.numberValue?.double ?? 0,
                record: r.index, recordedAt: r.recordedAt)
        }

        /// A shipment from its parts (as an index read them back).
        public init(subject: String, id: String, destination: String, quantity: Double, record: UInt64, recordedAt: Timestamp) {
            (self.subject, self.id, self.destination, self.quantity, self.record, self.recordedAt) = (subject, id, destination, quantity, record, recordedAt)
        }
    }

    /// A batch or item packed into a logistic unit (`unit.packed`): the unit's shipments carry it.
    public struct Packing: Sendable, Hashable {
        /// The logistic unit, `00/<SSCC>`.
        public let unit: String
        /// What was packed: a batch or an item.
        public let content: String
        /// The `unit.packed` record.
        public let record: UInt64
        /// When that record was recorded (for `asOf`).
        public let recordedAt: Timestamp

        /// The contents a record states, once each; empty for a record that is not a `unit.packed` of a logistic unit.
        public static func of(_ r: Record) -> [Packing] {
            guard r.event.type == "unit.packed", r.event.subject.kind == .logisticUnit else { return [] }
            var seen: Set<String> = []
            return (r.event.data["contents"]?.arrayValue ?? []).compactMap { c in
                guard let s = c.objectValue?["subject"]?.stringValue, seen.insert(s).inserted else { return nil }
                return Packing(unit: r.event.subject.rawValue, content: s, record: r.index, recordedAt: r.recordedAt)
            }
        }

        /// A packing from its parts (as an index read them back).
        public init(unit: String, content: String, record: UInt64, recordedAt: Timestamp) {
            (self.unit, self.content, self.record, self.recordedAt) = (unit, content, record, recordedAt)
        }
    }

    /// The items of a recall scope as one reader collects them, in item order: each item once,
    /// and every `item.registered` record known at `asOf` that places it in an affected batch.
    /// A reader adds placements as it finds them (the ledger on each core, from its index), so
    /// that a scope of hundreds of thousands of items keeps no placement.
    public struct ItemRun: Sendable {
        /// What the ledger knew then (nil: now); later registrations are left out.
        public let asOf: Timestamp?
        /// The items, in order, as the scope lists them.
        public private(set) var items: [JSONValue] = []
        /// The registrations that place them.
        public private(set) var records: [UInt64] = []
        private var last: String?

        /// An empty run.
        public init(asOf: Timestamp?) { self.asOf = asOf }

        /// The items of `runs` in one array, moved out of them (memory moved, no reference count
        /// touched: a scope lists hundreds of thousands), which leaves the runs' items all null.
        static func joinedItems(_ runs: inout [ItemRun]) -> [JSONValue] {
            let total = runs.reduce(0) { $0 + $1.items.count }
            return [JSONValue](unsafeUninitializedCapacity: total) { joined, count in
                for r in runs.indices {
                    runs[r].items.withUnsafeMutableBufferPointer { run in
                        guard let from = run.baseAddress, !run.isEmpty else { return }
                        (joined.baseAddress! + count).moveInitialize(from: from, count: run.count)
                        from.initialize(repeating: .null, count: run.count)
                        count += run.count
                    }
                }
            }
        }

        /// Adds a registration of `item` in an affected batch: items come in order, an item's
        /// registrations together.
        public mutating func add(item: String, record: UInt64, recordedAt: Timestamp) {
            if let asOf, recordedAt > asOf { return }
            assert(last.map { $0 <= item } ?? true, "items out of order")
            records.append(record)
            if last != item {
                last = item
                items.append(.string(item))
            }
        }
    }

    /// The records a recall scope rests on, each once: the item registrations as the readers found
    /// them (an item's registrations belong to it alone, so runs of different items never share
    /// one, and no other fact of a scope is an item registration) beside the set of the others, so
    /// that a scope of hundreds of thousands of items hashes none of them. Iterate, or `sorted()`.
    public struct ScopeRecords: Sequence, Equatable, Sendable {
        /// The records other than item registrations.
        let others: Set<UInt64>
        /// The item registrations, run by run.
        let registrations: [[UInt64]]

        /// Records from a set of others and runs of item registrations (disjoint from the others and from each other).
        init(_ others: Set<UInt64>, registrations: [[UInt64]]) {
            assert(Set(registrations.joined()).count == registrations.reduce(0) { $0 + $1.count }
                && Set(registrations.joined()).isDisjoint(with: others), "item registrations are disjoint")
            (self.others, self.registrations) = (others, registrations)
        }

        /// How many.
        public var count: Int { registrations.reduce(others.count) { $0 + $1.count } }

        /// Whether there are none.
        public var isEmpty: Bool { others.isEmpty && registrations.allSatisfy(\.isEmpty) }

        /// Whether `record` is one of them.
        public func contains(_ record: UInt64) -> Bool { others.contains(record) || registrations.contains { $0.contains(record) } }

        /// Each record once, in no particular order.
        public func makeIterator() -> Iterator { Iterator(others: others.makeIterator(), registrations: registrations.joined().makeIterator()) }

        /// `count`, for `Array(_:)` and `sorted()`.
        public var underestimatedCount: Int { count }

        /// The others, then the item registrations.
        public struct Iterator: IteratorProtocol {
            var others: Set<UInt64>.Iterator
            var registrations: FlattenSequence<[[UInt64]]>.Iterator

            /// The next record.
            public mutating func next() -> UInt64? { others.next() ?? registrations.next() }
        }

        /// The same records, whatever the order.
        public static func == (a: ScopeRecords, b: ScopeRecords) -> Bool { a.count == b.count && Set(a) == Set(b) }
    }

    /// What a recall scope reaches below its batches: the items placed in those batches, in runs
    /// (every item of a run before those of the next; a run per core that read them), the packings
    /// of those batches and items into logistic units, and the shipments of those batches, items
    /// and units (more packings and shipments may be given; the trace keeps those that apply).
    /// ``RecallTrace`` answers from what it replayed; the ledger from its index, where the items of
    /// a model come in order without sorting.
    public typealias Reach = (_ batches: Set<String>) throws -> (items: [ItemRun], packings: [Packing], shipments: [Shipment])

    struct Declaration: Sendable {
        let kind: String
        let from: Int64
        let until: Int64
        let record: UInt64
    }

    private(set) var boms: [String: [BOM]] = [:]  // model → revisions by record order
    private(set) var batches: [String: Batch] = [:]
    private(set) var placements: [Placement] = []
    private(set) var inputs: [String: [(subject: String, quantity: Double?, record: UInt64)]] = [:]
    private(set) var consumptions: [Consumption] = []
    private(set) var shipments: [Shipment] = []
    private(set) var packings: [Packing] = []
    private(set) var declarations: [String: [Declaration]] = [:]

    /// Only what was recorded at or before this counts (nil: everything).
    public let asOf: Timestamp?

    /// Replays `records` (any order), keeping those recorded at or before `asOf` (nil: all).
    public init(records: some Sequence<Record>, asOf: Timestamp? = nil) {
        self.init(records: records, batches: [], consumptions: [], asOf: asOf)
    }

    /// Replays `records` and facts read from an index instead of their records (any order; a
    /// fact of a record also given counts once), keeping what was recorded at or before `asOf`.
    public init(records: some Sequence<Record>, batches: [Batch], consumptions: [Consumption], asOf: Timestamp? = nil) {
        self.asOf = asOf
        // Records before facts of the same index (the sort is stable), so that a fact of a record given counts once.
        let facts: [(UInt64, Fact)] = records.map { ($0.index, .record($0)) } + batches.map { ($0.record, .batch($0)) }
            + consumptions.map { ($0.record, .consumption($0)) }
        var done: Set<UInt64> = []
        for (index, fact) in facts.sorted(by: { $0.0 < $1.0 }) {
            switch fact {
            case .record(let r) where known(r.recordedAt) && done.insert(index).inserted: add(r)
            case .batch(let b) where known(b.recordedAt) && !done.contains(index): self.batches[b.subject] = b
            case .consumption(let c) where known(c.recordedAt) && !done.contains(index): self.consumptions.append(c)
            default: break
            }
        }
    }

    enum Fact { case record(Record), batch(Batch), consumption(Consumption) }

    func known(_ recordedAt: Timestamp) -> Bool { asOf.map { recordedAt <= $0 } ?? true }

    static func time(_ v: JSONValue?) -> Int64? {
        guard let s = v?.stringValue, let t = try? Timestamp(dateOrDateTime: s) else { return nil }
        return t.microseconds
    }

    mutating func add(_ r: Record) {
        let e = r.event
        let subject = e.subject
        switch e.type {
        case "bom.released" where subject.kind == .model:
            let lines = e.data["lines"]?.arrayValue?.compactMap(\.objectValue) ?? []
            boms[subject.rawValue, default: []].append(
                BOM(revision: e.data["revision"]?.stringValue ?? "", from: e.validFrom?.microseconds ?? .min, record: r.index, lines: lines))
        case "batch.produced" where subject.kind == .batch:
            batches[subject.rawValue] = Batch(r)
        case "item.registered":
            if let p = Placement(r) { placements.append(p) }
        case "batch.transformed" where subject.kind == .batch:
            for i in e.data["inputs"]?.arrayValue ?? [] {
                guard let o = i.objectValue, let s = o["subject"]?.stringValue else { continue }
                inputs[subject.rawValue, default: []].append((s, o["quantity"]?.numberValue?.double, r.index))
            }
            consumptions += Consumption.of(r)
        case "shipment.dispatched":
            if let s = Shipment(r) { shipments.append(s) }
        case "unit.packed":
            packings += Packing.of(r)
        case "declaration.recorded" where subject.kind == .supplier:
            declarations[subject.rawValue, default: []].append(Declaration(
                kind: e.data["kind"]?.stringValue ?? "", from: e.validFrom?.microseconds ?? .min, until: e.validUntil?.microseconds ?? .max, record: r.index))
        default:
            break
        }
    }

    /// The BoM revision of `model` in force at `t` (the latest effective one; a later record of
    /// the same effectivity supersedes an earlier one).
    func bom(_ model: String, at t: Int64) -> BOM? {
        (boms[model] ?? []).filter { $0.from <= t }.max { ($0.from, $0.record) < ($1.from, $1.record) }
    }

    /// When each revision of `model` is in force: [from, next revision's from).
    func windows(_ model: String) -> [(bom: BOM, until: Int64)] {
        let revs = (boms[model] ?? []).sorted { ($0.from, $0.record) < ($1.from, $1.record) }
        return revs.enumerated().map { i, b in
            let next = revs[(i + 1)...].first { $0.from > b.from }
            return (b, next?.from ?? .max)
        }
    }

    // MARK: Down: a batch to its components and suppliers

    /// The tree from a batch (or an item, through its lot) to its components, multi-level, each
    /// component's supplier and the supplier's declarations at the batch's production date
    /// (`valid`, `expired`, or `missing` when there is none of that supplier), with the records
    /// every edge rests on. Cycles are reported, not followed.
    public func down(_ subject: Subject) -> (tree: JSONObject, records: Set<UInt64>) {
        var records: Set<UInt64> = []
        var cycles: [String] = []
        var tree: JSONObject
        if subject.kind == .item {
            // The item's latest registration names its batch.
            guard let lot = placements.last(where: { $0.item == subject.rawValue }) else {
                return (["subject": .string(subject.rawValue), "problem": "no item.registered with a lot: the item's batch is unknown"], [])
            }
            records.insert(lot.record)
            tree = ["subject": .string(subject.rawValue), "batch": .object(batchNode(lot.batch, path: [], records: &records, cycles: &cycles))]
        } else {
            tree = batchNode(subject.rawValue, path: [], records: &records, cycles: &cycles)
        }
        if !cycles.isEmpty { tree["cycles"] = .array(cycles.map { .string($0) }) }
        return (tree, records)
    }

    func batchNode(_ batch: String, path: [String], records: inout Set<UInt64>, cycles: inout [String]) -> JSONObject {
        var node: JSONObject = ["subject": .string(batch)]
        guard !path.contains(batch) else {
            cycles.append((path + [batch]).joined(separator: " → "))
            node["cycle"] = true
            return node
        }
        guard let b = batches[batch] else {
            node["problem"] = "no batch.produced: production date and model unknown"
            return node
        }
        records.insert(b.record)
        node["model"] = .string(b.model)
        let date = b.productionDate ?? .max
        if let d = b.productionDate { node["productionDate"] = .string(Timestamp(microsecondsSinceEpoch: d).description) }
        let consumed = inputs[batch] ?? []
        node["components"] = .array(components(b.model, at: date, consumed: consumed, path: path + [batch], records: &records, cycles: &cycles).map { .object($0) })
        if !consumed.isEmpty {
            for c in consumed { records.insert(c.record) }
            node["inputs"] = .array(consumed.map { c in
                var o: JSONObject = ["subject": .string(c.subject), "record": .number(JSONNumber(Int(c.record)))]
                if let q = c.quantity { o["quantity"] = .number(JSONNumber(q)) }
                return .object(o)
            })
        }
        return node
    }

    func components(_ model: String, at date: Int64, consumed: [(subject: String, quantity: Double?, record: UInt64)], path: [String],
        records: inout Set<UInt64>, cycles: inout [String]) -> [JSONObject]
    {
        guard let bom = bom(model, at: date) else { return [["problem": .string("no bom.released of \(model) in force then")]] }
        records.insert(bom.record)
        return bom.lines.map { line in
            var o: JSONObject = ["bomRevision": .string(bom.revision), "bomRecord": .number(JSONNumber(Int(bom.record)))]
            for k in ["part", "material", "quantity", "supplier", "component"] { if let v = line[k] { o[k] = v } }
            if let supplier = line["supplier"]?.stringValue { o["declarations"] = .array(declarationStatus(supplier, at: date, records: &records)) }
            if let component = line["component"]?.stringValue {
                // The sub-assembly's own batch, when the genealogy names one; else its BoM at the same date.
                if let lot = consumed.first(where: { $0.subject.hasPrefix(component + "/10/") }) {
                    o["batch"] = .object(batchNode(lot.subject, path: path, records: &records, cycles: &cycles))
                } else if path.contains(component) {
                    cycles.append((path + [component]).joined(separator: " → "))
                    o["cycle"] = true
                } else {
                    o["components"] = .array(components(component, at: date, consumed: [], path: path + [component], records: &records, cycles: &cycles)
                        .map { .object($0) })
                }
            }
            return o
        }
    }

    func declarationStatus(_ supplier: String, at date: Int64, records: inout Set<UInt64>) -> [JSONValue] {
        let all = declarations[supplier] ?? []
        guard !all.isEmpty else { return [["status": "missing"]] }
        var out: [JSONValue] = []
        for kind in Set(all.map(\.kind)).sorted() {
            let ofKind = all.filter { $0.kind == kind }
            if let valid = ofKind.filter({ $0.from <= date && date < $0.until }).max(by: { $0.record < $1.record }) {
                records.insert(valid.record)
                out.append(["kind": .string(kind), "status": "valid", "record": .number(JSONNumber(Int(valid.record))),
                    "validUntil": .string(Timestamp(microsecondsSinceEpoch: valid.until).description)])
            } else if let last = ofKind.filter({ $0.until <= date }).max(by: { $0.until < $1.until }) {
                records.insert(last.record)
                out.append(["kind": .string(kind), "status": "expired", "record": .number(JSONNumber(Int(last.record))),
                    "validUntil": .string(Timestamp(microsecondsSinceEpoch: last.until).description)])
            } else {
                out.append(["kind": .string(kind), "status": "not-yet-valid"])
            }
        }
        return out
    }

    // MARK: Up: a supplier to everything it reaches

    /// The recall scope of a supplier (optionally one part, or one of its lots consumed by
    /// batches) in the production window [`from`, `to`): every model whose BoM named it while in
    /// force, every batch produced then under such a BoM (or that consumed the lot), the
    /// higher-level assemblies containing them, their items, shipments and markets (quantities per
    /// market), with the records every edge rests on.
    public func up(supplier: String, part: String? = nil, lot: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil)
        -> (scope: JSONObject, records: ScopeRecords)
    {
        up(supplier: supplier, part: part, lot: lot, from: from, to: to) { batches in
            var run = ItemRun(asOf: asOf)
            for p in placements.filter({ batches.contains($0.batch) }).sorted(by: { ($0.item, $0.record) < ($1.item, $1.record) }) {
                run.add(item: p.item, record: p.record, recordedAt: p.recordedAt)
            }
            return ([run], packings, shipments)
        }
    }

    /// ``up(supplier:part:lot:from:to:)`` with the items and shipments below the affected batches
    /// read by `reach` (the ledger reads them from its trace index); an item is in scope when any
    /// of its registrations known then names an affected batch (a recall errs on the side of
    /// inclusion).
    public func up(supplier: String, part: String? = nil, lot: String? = nil, from: Timestamp? = nil, to: Timestamp? = nil, reach: Reach) rethrows
        -> (scope: JSONObject, records: ScopeRecords)
    {
        let lo = from?.microseconds ?? .min, hi = to?.microseconds ?? .max
        var records: Set<UInt64> = []
        // Models (and their windows) whose BoM named the supplier.
        var affectedWindows: [String: [(Int64, Int64, UInt64)]] = [:]
        for model in boms.keys.sorted() {
            for (b, until) in windows(model) where b.from < hi && until > lo {
                let named = b.lines.contains { l in
                    l["supplier"]?.stringValue == supplier && (part.map { l["part"]?.stringValue == $0 } ?? true)
                }
                if named, lot == nil { affectedWindows[model, default: []].append((b.from, until, b.record)) }
            }
        }
        // Higher-level assemblies: models whose BoM names an affected model as a component, in the
        // windows of the revisions that do, transitively (every window, whatever the order found).
        var models = Set(affectedWindows.keys)
        var frontier = Array(models).sorted()
        var expanded: Set<String> = []
        while let m = frontier.popLast() {
            guard expanded.insert(m).inserted else { continue }
            for parent in boms.keys.sorted() {
                for (b, until) in windows(parent) where b.lines.contains(where: { $0["component"]?.stringValue == m }) && b.from < hi && until > lo {
                    if !(affectedWindows[parent] ?? []).contains(where: { $0.2 == b.record }) { affectedWindows[parent, default: []].append((b.from, until, b.record)) }
                    if models.insert(parent).inserted { frontier.append(parent) }
                }
            }
        }
        var affectedBatches: Set<String> = []
        for (batch, b) in batches {
            guard let d = b.productionDate, d >= lo, d < hi else { continue }
            if let w = affectedWindows[b.model]?.first(where: { d >= $0.0 && d < $0.1 }) {
                affectedBatches.insert(batch)
                records.insert(b.record)
                records.insert(w.2)
            }
        }
        // Batches that consumed the lot (or an affected batch), transitively.
        let consumers = Dictionary(grouping: consumptions, by: \.batch).sorted { $0.key < $1.key }
        var consumedSeeds: Set<String> = lot.map { [$0] } ?? []
        consumedSeeds.formUnion(affectedBatches)
        var changed = true
        while changed {
            changed = false
            for (out, ins) in consumers where !affectedBatches.contains(out) {
                guard let hit = ins.first(where: { consumedSeeds.contains($0.input) }) else { continue }
                if let b = batches[out], let d = b.productionDate, d < lo || d >= hi { continue }
                affectedBatches.insert(out)
                consumedSeeds.insert(out)
                records.insert(hit.record)
                if let b = batches[out] { records.insert(b.record) }
                changed = true
            }
        }
        var below = try reach(affectedBatches)
        // The items as the scope lists them: the runs' lists moved into one (hundreds of thousands in a large recall).
        let itemValues = ItemRun.joinedItems(&below.items)
        func inScope(_ subject: String) -> Bool {
            if affectedBatches.contains(subject) { return true }
            var (low, high) = (0, itemValues.count)  // items are in order: binary search
            while low < high {
                let mid = (low + high) / 2
                if itemValues[mid].stringValue! < subject { low = mid + 1 } else { high = mid }
            }
            return low < itemValues.count && itemValues[low].stringValue == subject
        }
        // Logistic units that held any of them (a pallet of an affected batch ships it too).
        var units: Set<String> = []
        for p in below.packings where known(p.recordedAt) && inScope(p.content) {
            units.insert(p.unit)
            records.insert(p.record)
        }
        var shipped: Set<UInt64> = []
        let ships = below.shipments.filter { s in
            known(s.recordedAt) && (inScope(s.subject) || units.contains(s.subject)) && shipped.insert(s.record).inserted
        }.sorted { $0.record < $1.record }
        var markets: [String: Double] = [:]
        for s in ships {
            records.insert(s.record)
            markets[s.destination, default: 0] += s.quantity
        }
        var perMarket = JSONObject()
        for (market, quantity) in markets.sorted(by: { $0.key < $1.key }) { perMarket[market] = .number(JSONNumber(quantity)) }
        let scope: JSONObject = [
            "supplier": .string(supplier),
            "models": .array(models.sorted().map { .string($0) }),
            "batches": .array(affectedBatches.sorted().map { .string($0) }),
            "items": .array(itemValues),
            "logisticUnits": .array(units.sorted().map { .string($0) }),
            "shipments": .array(ships.map { s in
                ["subject": .string(s.subject), "shipmentId": .string(s.id), "destination": .string(s.destination),
                    "quantity": .number(JSONNumber(s.quantity)), "record": .number(JSONNumber(Int(s.record)))]
            }),
            "markets": .object(perMarket),
        ]
        return (scope, ScopeRecords(records, registrations: below.items.map(\.records)))
    }

    /// The shipments of a recall scope (``up(supplier:part:lot:from:to:)``) as CSV (RFC 4180:
    /// header line, fields with a comma, quote or line break quoted), lines ended by `lineEnd`.
    public static func shipmentsCSV(_ scope: JSONObject, lineEnd: String = "\r\n") -> String {
        let columns = ["subject", "shipmentId", "destination", "quantity", "record"]
        var csv = columns.joined(separator: ",") + lineEnd
        for s in scope["shipments"]?.arrayValue ?? [] {
            let o = s.objectValue ?? [:]
            csv += columns.map { k -> String in
                let v = o[k].map { $0.stringValue ?? CanonicalJSON.string($0) } ?? ""
                return v.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : v
            }.joined(separator: ",") + lineEnd
        }
        return csv
    }
}
