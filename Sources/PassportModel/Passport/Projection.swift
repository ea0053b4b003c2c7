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

    /// Creates a fact.
    public init(field: String, key: String?, value: JSONValue, validFrom: Timestamp?, validUntil: Timestamp?, provenance: Provenance) {
        self.field = field
        self.key = key
        self.value = value
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.provenance = provenance
    }

    /// The facts a record states (none for `system` events and unknown types).
    public static func of(_ record: Record) -> [Fact] {
        guard record.subject.kind != .system, let spec = EventCatalog.spec(record.event.type) else { return [] }
        let e = record.event
        let p = Provenance(
            index: record.index, subject: record.subject.rawValue, source: e.source, sourceRef: e.sourceRef, type: e.type,
            recordedAt: record.recordedAt)
        return spec.assignments(e).map {
            Fact(field: $0.field, key: $0.key, value: $0.value, validFrom: $0.validFrom ?? e.validFrom, validUntil: e.validUntil, provenance: p)
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

    /// Creates an entry.
    public init(field: String, key: String?, value: JSONValue, provenance: Provenance) {
        self.field = field
        self.key = key
        self.value = value
        self.provenance = provenance
    }

    /// `field` or `field[key]`: how `--prove` and diffs name the entry.
    public var path: String { key.map { "\(field)[\($0)]" } ?? field }
}

/// How facts become a passport at a point in system time and valid time.
///
/// See `Specs/passport-semantics.md`. For each field (and collection entry), the candidates are the
/// facts recorded at or before `asOf` whose `validFrom` is at or before `validAt`; facts whose
/// `validUntil` is at or before `validAt` drop out, except in collections that keep expired
/// entries, where the entry stays with `"status": "expired"`. The winner is the candidate with the
/// latest `validFrom` (no `validFrom` counts as the earliest), ties going to the later record.
public enum Projector {
    /// Projects facts (of one subject) into entries.
    public static func project(_ facts: [Fact], asOf: Timestamp, validAt: Timestamp) -> [PassportEntry] {
        struct Slot: Hashable {
            let field: String
            let key: String?
        }
        var winners: [Slot: Fact] = [:]
        let earliest = Timestamp(microsecondsSinceEpoch: .min)
        for f in facts where f.provenance.recordedAt <= asOf && (f.validFrom ?? earliest) <= validAt {
            let keepsExpired = PassportFields.byPath[f.field]?.keepsExpired ?? false
            if !keepsExpired, let until = f.validUntil, until <= validAt { continue }
            let slot = Slot(field: f.field, key: f.key)
            if let current = winners[slot] {
                let a = (f.validFrom ?? earliest, f.provenance.index)
                let b = (current.validFrom ?? earliest, current.provenance.index)
                if a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) { continue }
            }
            winners[slot] = f
        }
        return winners.values.map { f in
            var value = f.value
            if let until = f.validUntil, until <= validAt, case .object(var o) = value, o["status"]?.stringValue == "valid" {
                o["status"] = "expired"
                value = .object(o)
            }
            return PassportEntry(field: f.field, key: f.key, value: value, provenance: f.provenance)
        }.sorted(by: Projector.order)
    }

    /// Layers entries: later layers (more specific subjects) win over earlier ones for the same field and key.
    public static func compose(_ layers: [[PassportEntry]]) -> [PassportEntry] {
        var byPath: [String: PassportEntry] = [:]
        for layer in layers { for e in layer { byPath[e.path] = e } }
        return byPath.values.sorted(by: order)
    }

    static let fieldOrder: [String: Int] = Dictionary(uniqueKeysWithValues: PassportFields.all.enumerated().map { ($1.path, $0) })

    static func order(_ a: PassportEntry, _ b: PassportEntry) -> Bool {
        let fa = fieldOrder[a.field] ?? Int.max
        let fb = fieldOrder[b.field] ?? Int.max
        if fa != fb { return fa < fb }
        return (a.key ?? "") < (b.key ?? "")
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
        for e in entries { provenance[e.path] = e.provenance.json }
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
                if b.value != e.value || b.provenance != e.provenance { out.append(.changed(from: b, to: e)) }
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
    case added(PassportEntry)
    case removed(PassportEntry)
    case changed(from: PassportEntry, to: PassportEntry)
}
