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

    /// `added`, `removed` or `changed`.
    public var kind: String {
        switch self {
        case .added: "added"
        case .removed: "removed"
        case .changed: "changed"
        }
    }

    /// The entry before (nil when added) and after (nil when removed).
    public var entries: (old: PassportEntry?, new: PassportEntry?) {
        switch self {
        case .added(let e): (nil, e)
        case .removed(let e): (e, nil)
        case .changed(let a, let b): (a, b)
        }
    }

    /// The change as `passport diff --format json` and the HTTP API give it:
    /// `{"change", "path", "from"?, "fromProvenance"?, "to"?, "provenance"?}`.
    public var json: JSONObject {
        let (old, new) = entries
        var o: JSONObject = ["change": .string(kind), "path": .string((new ?? old)!.path)]
        if let old { o["from"] = old.value; o["fromProvenance"] = old.provenance.json }
        if let new { o["to"] = new.value; o["provenance"] = new.provenance.json }
        return o
    }
}

extension Record {
    /// One line of a passport's history (`passport history --format json`, `GET …/history`):
    /// `{"index", "subject", "recordedAt", "source", "type", "sourceRef", "fields"}`.
    /// - Parameter facts: the facts of this record the caller's view may see.
    public func historyJSON(facts: [Fact]) -> JSONObject {
        [
            "index": .number(JSONNumber(Int(index))), "subject": .string(subject.rawValue),
            "recordedAt": .string(recordedAt.description), "source": .string(event.source),
            "type": .string(event.type), "sourceRef": .string(event.sourceRef),
            "fields": .array(facts.map { f in .string(f.key.map { "\(f.field)[\($0)]" } ?? f.field) }),
        ]
    }
}
