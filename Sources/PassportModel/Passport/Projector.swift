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
