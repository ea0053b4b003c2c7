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
