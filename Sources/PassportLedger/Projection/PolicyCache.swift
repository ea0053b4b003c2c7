import PassportModel

/// Parsed policies by record index (a policy record never changes).
final class PolicyCache: Sendable {
    private let entries = Locked<[UInt64: (recordedAt: Timestamp, policy: OwnershipPolicy)]>([:])

    func entry(index: UInt64, bytes: [UInt8]) throws -> (recordedAt: Timestamp, policy: OwnershipPolicy) {
        if let e = entries.withLock({ $0[index] }) { return e }
        guard case .object(let o) = try JSONParser.parse(bytes), let at = o["recordedAt"]?.stringValue, let p = o["policy"] else {
            throw LedgerError(.notAStore, "a stored policy is damaged; run dpp verify")
        }
        let e = (try Timestamp(canonical: at), try OwnershipPolicy(json: p))
        entries.withLock { $0[index] = e }
        return e
    }
}
