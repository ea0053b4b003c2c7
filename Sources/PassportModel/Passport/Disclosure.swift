/// Who may be shown a whole record (DESIGN §8: tiers hold on the audit surface too).
///
/// A record's bytes — and a proof bundle served with them — reveal every member of its event,
/// so they go only to a caller whose tier may see every passport field the event writes.
extension AccessPolicy {
    /// The lowest tier that may see the whole of `event`: the highest tier among the passport
    /// fields it writes; `authority` for an event that writes no passport field (the `system`
    /// subject's governance events, unknown types).
    public func tier(toDisclose event: Event) -> AccessTier {
        fieldTiers(event).map(\.tier).max() ?? .authority
    }

    /// The fields `event` writes that a caller of `tier` may not see, with their tiers (for refusals).
    public func fields(of event: Event, above tier: AccessTier) -> [(field: String, tier: AccessTier)] {
        let fields = fieldTiers(event)
        if fields.isEmpty { return tier < .authority ? [("(no passport field: a governance record)", .authority)] : [] }
        return fields.filter { $0.tier > tier }
    }

    private func fieldTiers(_ event: Event) -> [(field: String, tier: AccessTier)] {
        guard event.subject.kind != .system, let spec = EventCatalog.spec(event.type) else { return [] }
        var seen = Set<String>()
        return spec.assignments(event).compactMap { a in seen.insert(a.field).inserted ? (a.field, tier(of: a.field)) : nil }
    }
}
