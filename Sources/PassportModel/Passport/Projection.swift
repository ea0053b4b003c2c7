/// Where a passport value came from: the record that set it (prove it with that record's inclusion proof).
public struct Provenance: Sendable, Hashable {
    /// The record's global index.
    public let index: UInt64
    /// The subject whose stream holds it (a composed passport draws on several).
    public let subject: String
    /// The source system.
    public let source: String
    /// The source's reference (document, ECN, order…).
    public let sourceRef: String
    /// The event type.
    public let type: String
    /// When the ledger recorded it.
    public let recordedAt: Timestamp

    /// Creates a provenance.
    public init(index: UInt64, subject: String, source: String, sourceRef: String, type: String, recordedAt: Timestamp) {
        self.index = index
        self.subject = subject
        self.source = source
        self.sourceRef = sourceRef
        self.type = type
        self.recordedAt = recordedAt
    }

    /// As JSON.
    public var json: JSONValue {
        ["index": .number(JSONNumber(Int(index))), "subject": .string(subject), "source": .string(source),
            "sourceRef": .string(sourceRef), "type": .string(type), "recordedAt": .string(recordedAt.description)]
    }
}

/// A fact a record states about a passport field, with its valid-time interval.
public struct Fact: Sendable, Hashable {
    /// Field path.
    public let field: String
    /// Entry key, for collection fields.
    public let key: String?
    /// The value.
    public let value: JSONValue
    /// Valid from (nil: since ever).
    public let validFrom: Timestamp?
    /// Valid until, exclusive (nil: until superseded).
    public let validUntil: Timestamp?
    /// The record that states it.
    public let provenance: Provenance
    /// A value, an override or a withdrawal.
    public let kind: FactKind
    /// The kind of the source system that wrote it (from its key), for ownership precedence.
    public let sourceKind: String?

    /// Creates a fact.
    public init(
        field: String, key: String?, value: JSONValue, validFrom: Timestamp?, validUntil: Timestamp?, provenance: Provenance,
        kind: FactKind = .value, sourceKind: String? = nil
    ) {
        self.field = field
        self.key = key
        self.value = value
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.provenance = provenance
        self.kind = kind
        self.sourceKind = sourceKind
    }

    /// The facts a record states (none for `system` events and unknown types).
    /// - Parameter sourceKind: the kind of the source that signed it (for precedence).
    public static func of(_ record: Record, sourceKind: String? = nil) -> [Fact] {
        guard record.subject.kind != .system, let spec = EventCatalog.spec(record.event.type) else { return [] }
        let e = record.event
        let p = Provenance(
            index: record.index, subject: record.subject.rawValue, source: e.source, sourceRef: e.sourceRef, type: e.type,
            recordedAt: record.recordedAt)
        return spec.assignments(e).map {
            Fact(field: $0.field, key: $0.key, value: $0.value, validFrom: $0.validFrom ?? e.validFrom, validUntil: e.validUntil, provenance: p,
                kind: $0.kind, sourceKind: sourceKind)
        }
    }
}

/// One value of a projected passport.
public struct PassportEntry: Sendable, Hashable {
    /// Field path.
    public let field: String
    /// Entry key for collections.
    public let key: String?
    /// The value (collections that keep expired entries carry `"status"`).
    public let value: JSONValue
    /// The record that set it.
    public let provenance: Provenance
    /// If the value is an override, its reason.
    public let overrideReason: String?

    /// Creates an entry.
    public init(field: String, key: String?, value: JSONValue, provenance: Provenance, overrideReason: String? = nil) {
        self.field = field
        self.key = key
        self.value = value
        self.provenance = provenance
        self.overrideReason = overrideReason
    }

    /// Provenance as JSON, with the override and its reason when the value is one.
    public var provenanceJSON: JSONValue {
        guard let overrideReason, case .object(var o) = provenance.json else { return provenance.json }
        o["override"] = ["reason": .string(overrideReason)]
        return .object(o)
    }

    /// `field` or `field[key]`: how `--prove` and diffs name the entry.
    public var path: String { key.map { "\(field)[\($0)]" } ?? field }
}

/// How facts become a passport at a point in system time and valid time.
///
/// See `Specs/passport-semantics.md`. For each field (and collection entry), the candidates are the
/// facts recorded at or before `asOf` whose `validFrom` is at or before `validAt`; facts whose
/// `validUntil` is at or before `validAt` drop out, except in collections that keep expired
/// entries, where such a fact still shows, with `"status": "expired"`, when no fact of the entry
/// is in force. The winner is the candidate with the latest `validFrom` (no `validFrom` counts as
/// the earliest), ties going to the later record.
public enum Projector {
    /// Projects facts (of one subject) into entries.
    /// - Parameter rank: precedence of a fact's source for its field (0 first; see ``OwnershipPolicy``).
    public static func project(
        _ facts: [Fact], asOf: Timestamp, validAt: Timestamp, rank: (Fact) -> Int = { _ in 0 }
    ) -> [PassportEntry] {
        struct Slot: Hashable {
            let field: String
            let key: String?
        }
        var slots: [Slot: SlotAccumulator<Fact>] = [:]
        for f in facts.sorted(by: { $0.provenance.index < $1.provenance.index }) {
            let slot = Slot(field: f.field, key: f.key)
            var acc = slots[slot] ?? SlotAccumulator(
                asOf: asOf.microseconds, validAt: validAt.microseconds, keepsExpired: PassportFields.byPath[f.field]?.keepsExpired ?? false)
            acc.add(
                index: f.provenance.index, recordedAt: f.provenance.recordedAt.microseconds, validFrom: f.validFrom?.microseconds ?? .min,
                validUntil: f.validUntil?.microseconds ?? .max, kind: f.kind.tag, rank: { rank(f) }, payload: { f })
            slots[slot] = acc
        }
        return sorted(slots.values.compactMap { $0.winner.map { entry($0, validAt: validAt) } })
    }

    /// The entry a winning fact makes. An object value of a field that keeps expired entries
    /// carries `"status"`: `"valid"` while in force, `"expired"` once `validUntil ≤ validAt`
    /// (a revocation keeps `"revoked"`).
    public static func entry(_ f: Fact, validAt: Timestamp) -> PassportEntry {
        var value = f.value
        if PassportFields.byPath[f.field]?.keepsExpired == true, case .object(var o) = value, o["status"]?.stringValue != "revoked" {
            o["status"] = f.validUntil.map { $0 <= validAt } == true ? "expired" : "valid"
            value = .object(o)
        }
        if case .override(let reason) = f.kind {
            return PassportEntry(field: f.field, key: f.key, value: value, provenance: f.provenance, overrideReason: reason)
        }
        return PassportEntry(field: f.field, key: f.key, value: value, provenance: f.provenance)
    }

    /// Layers entries: later layers (more specific subjects) win over earlier ones for the same field and key.
    public static func compose(_ layers: [[PassportEntry]]) -> [PassportEntry] {
        struct Slot: Hashable {
            let field: String
            let key: String?
        }
        var byPath: [Slot: PassportEntry] = [:]
        for layer in layers { for e in layer { byPath[Slot(field: e.field, key: e.key)] = e } }
        return sorted(byPath.values)
    }

    static let fieldOrder: [String: Int] = Dictionary(uniqueKeysWithValues: PassportFields.all.enumerated().map { ($1.path, $0) })

    /// Entries in display order — by field (in ``PassportFields/all`` order), then entry key —
    /// looking each field's rank up once.
    public static func sorted(_ entries: some Sequence<PassportEntry>) -> [PassportEntry] {
        entries.map { (fieldOrder[$0.field] ?? Int.max, $0) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : ($0.1.key ?? "") < ($1.1.key ?? "") }
            .map(\.1)
    }
}

/// A projected passport: its entries as of a system time and a valid time.
public struct Passport: Sendable, Hashable {
    /// The subject.
    public let id: Subject
    /// System time of the query.
    public let asOf: Timestamp
    /// Valid time of the query.
    public let validAt: Timestamp
    /// The tier this view was cut for (nil: unfiltered).
    public let view: AccessTier?
    /// The entries, in field order.
    public let entries: [PassportEntry]

    /// Creates a passport.
    public init(id: Subject, asOf: Timestamp, validAt: Timestamp, view: AccessTier? = nil, entries: [PassportEntry]) {
        self.id = id
        self.asOf = asOf
        self.validAt = validAt
        self.view = view
        self.entries = entries
    }

    /// The view for a caller of `tier`: no entry whose field's tier is above it.
    public func view(_ tier: AccessTier, policy: AccessPolicy = .defaults) -> Passport {
        Passport(id: id, asOf: asOf, validAt: validAt, view: tier, entries: entries.filter { policy.tier(of: $0.field) <= tier })
    }

    /// The entry at a path (`identity.name`, `logistics.shipments[SHP-1]`).
    public func entry(_ path: String) -> PassportEntry? { entries.first { $0.path == path } }

    /// The passport as JSON: values nested by field path, and a flat provenance map.
    public var json: JSONValue {
        var root = JSONObject()
        for e in entries {
            let parts = e.field.split(separator: ".").map(String.init)
            var value = e.value
            if let key = e.key {
                var collection = lookup(root, parts)?.objectValue ?? JSONObject()
                collection[key] = value
                value = .object(collection)
            }
            root = set(root, parts[...], value)
        }
        var provenance = JSONObject()
        for e in entries { provenance[e.path] = e.provenanceJSON }
        var o: JSONObject = [
            "id": .string(id.rawValue), "granularity": .string(id.kind.rawValue), "asOf": .string(asOf.description),
            "validAt": .string(validAt.description),
        ]
        if let view { o["view"] = .string(view.rawValue) }
        o["passport"] = .object(root)
        o["provenance"] = .object(provenance)
        return .object(o)
    }

    private func lookup(_ o: JSONObject, _ path: [String]) -> JSONValue? {
        var current: JSONValue = .object(o)
        for p in path {
            guard let next = current.objectValue?[p] else { return nil }
            current = next
        }
        return current
    }

    private func set(_ o: JSONObject, _ path: ArraySlice<String>, _ value: JSONValue) -> JSONObject {
        var o = o
        guard let first = path.first else { return o }
        if path.count == 1 {
            o[first] = value
        } else {
            o[first] = .object(set(o[first]?.objectValue ?? JSONObject(), path.dropFirst(), value))
        }
        return o
    }

    /// What changed from `old` to this passport: entries added, removed or changed.
    public func changes(since old: Passport) -> [PassportChange] {
        let before = Dictionary(uniqueKeysWithValues: old.entries.map { ($0.path, $0) })
        let after = Dictionary(uniqueKeysWithValues: entries.map { ($0.path, $0) })
        var out: [PassportChange] = []
        for e in entries {
            if let b = before[e.path] {
                if b.value != e.value || b.provenance != e.provenance || b.overrideReason != e.overrideReason {
                    out.append(.changed(from: b, to: e))
                }
            } else {
                out.append(.added(e))
            }
        }
        for b in old.entries where after[b.path] == nil { out.append(.removed(b)) }
        return out
    }
}

/// One difference between two states of a passport.
public enum PassportChange: Sendable, Hashable {
    /// A value that was not there before.
    case added(PassportEntry)
    /// A value that is no longer there.
    case removed(PassportEntry)
    /// A value that changed (or was set again by another record).
    case changed(from: PassportEntry, to: PassportEntry)
}

/// Chooses the value of one field (or collection entry) from its facts, fed in record order.
///
/// Candidates are facts recorded at or before `asOf` and in force at `validAt`. Among owners'
/// values the winner has the best precedence rank, then the latest `validFrom`, then the latest
/// record. The latest override in force wins over that — unless an owner wrote the field after it
/// (any owner value recorded later, in force or not) or a withdrawal came after it. Where the field
/// keeps expired entries and nothing is in force, the same choice is made among the expired facts
/// (`validUntil ≤ validAt`), so an expired entry never hides an older one still in force.
@frozen
public struct SlotAccumulator<Payload> {
    @usableFromInline let asOf: Int64
    @usableFromInline let validAt: Int64
    @usableFromInline let keepsExpired: Bool
    @usableFromInline var best: (rank: Int, validFrom: Int64, index: UInt64, payload: Payload)?
    @usableFromInline var bestExpired: (rank: Int, validFrom: Int64, index: UInt64, payload: Payload)?
    @usableFromInline var lastOwnerWrite: UInt64?
    @usableFromInline var override: (index: UInt64, payload: Payload)?
    @usableFromInline var expiredOverride: (index: UInt64, payload: Payload)?
    @usableFromInline var lastWithdrawal: UInt64?

    /// Starts an empty slot for a query.
    @inlinable
    public init(asOf: Int64, validAt: Int64, keepsExpired: Bool) {
        self.asOf = asOf
        self.validAt = validAt
        self.keepsExpired = keepsExpired
    }

    /// Adds one fact (in increasing index order). `rank` and `payload` are evaluated only if needed.
    @inlinable
    public mutating func add(
        index: UInt64, recordedAt: Int64, validFrom: Int64, validUntil: Int64, kind: UInt8, rank: () -> Int, payload: () -> Payload
    ) {
        guard recordedAt <= asOf else { return }
        switch kind {
        case 2:
            lastWithdrawal = index
            return
        case 0:
            lastOwnerWrite = index
        default:
            break
        }
        guard validFrom <= validAt else { return }
        let inForce = validUntil > validAt
        guard inForce || keepsExpired else { return }
        if kind == 1 {
            if inForce { override = (index, payload()) } else { expiredOverride = (index, payload()) }
            return
        }
        let r = rank()
        if let b = inForce ? best : bestExpired {
            if r > b.rank { return }
            if r == b.rank && (validFrom < b.validFrom || (validFrom == b.validFrom && index < b.index)) { return }
        }
        if inForce { best = (r, validFrom, index, payload()) } else { bestExpired = (r, validFrom, index, payload()) }
    }

    /// Whether the override recorded at `index` still stands: no owner value and no withdrawal recorded after it.
    @inlinable
    func stands(_ index: UInt64) -> Bool {
        (lastOwnerWrite.map { index > $0 } ?? true) && (lastWithdrawal.map { index > $0 } ?? true)
    }

    /// The winning fact, if any: what is in force first, then (where the field keeps them) what expired.
    @inlinable
    public var winner: Payload? {
        if let o = override, stands(o.index) { return o.payload }
        if let b = best { return b.payload }
        if let o = expiredOverride, stands(o.index) { return o.payload }
        return bestExpired?.payload
    }
}
