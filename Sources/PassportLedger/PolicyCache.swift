import Foundation
import PassportModel

/// Parsed policies by record index (a policy record never changes).
final class PolicyCache: @unchecked Sendable {
    // @unchecked: `entries` is only touched under `lock`.
    private let lock = NSLock()
    private var entries: [UInt64: (recordedAt: Timestamp, policy: OwnershipPolicy)] = [:]

    func entry(index: UInt64, bytes: [UInt8]) throws -> (recordedAt: Timestamp, policy: OwnershipPolicy) {
        if let e = lock.withLock({ entries[index] }) { return e }
        guard case .object(let o) = try JSONParser.parse(bytes), let at = o["recordedAt"]?.stringValue, let p = o["policy"] else {
            throw LedgerError(.notAStore, "a stored policy is damaged; run dpp verify")
        }
        let e = (try Timestamp(canonical: at), try OwnershipPolicy(json: p))
        lock.withLock { entries[index] = e }
        return e
    }
}
