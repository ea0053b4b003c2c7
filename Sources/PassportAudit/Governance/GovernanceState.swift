import PassportModel

/// Who may write what, replayed record by record: the keys registered so far (with their
/// permissions, validity and revocations) and the ownership policy in force. `dpp verify` and an
/// auditor's offline replay (``GovernanceState/replay(_:ledgerKey:)``) judge every record with
/// it, so a record is judged by the keys and policy in force when it was appended.
public struct GovernanceState: Sendable {
    /// Registered keys by reference.
    public private(set) var keys: [String: KeyEntry] = [:]
    /// The ownership policy in force.
    public private(set) var policy: OwnershipPolicy = .open

    /// An empty state (before record 0).
    public init() {}

    /// Judges `record` — its key in force, its signature, its permissions and the ownership of
    /// every field it writes — and, if it is a `system` event, applies its effect.
    /// - Parameter signatureVerified: true if the caller already checked the signature with the
    ///   record's registered key (it is checked here otherwise).
    /// - Returns: the effect applied (nil for a source event), or why the record may not stand.
    public mutating func admit(_ record: Record, signatureVerified: Bool = false) -> Result<KeyRules.Effect?, GovernanceRejection> {
        let key = keys[record.signature.key]
        if let problem = KeyRules.authorize(
            event: record.event, signature: record.signature, key: key, index: record.index, recordedAt: record.recordedAt,
            signatureVerified: signatureVerified)
        {
            return .failure(problem)
        }
        if let key, let problem = KeyRules.checkWrite(record.event, fields: Fact.of(record).map(\.field), key: key, policy: policy) {
            return .failure(problem)
        }
        let effect: KeyRules.Effect?
        do {
            effect = try KeyRules.effect(of: record.event, index: record.index) { keys[$0] }
        } catch let e as GovernanceRejection {
            return .failure(e)
        } catch {
            return .failure(GovernanceRejection(.invalidEvent, "invalid system event: \(error)"))
        }
        switch effect {
        case .register(let e)?: keys[e.vkey.reference] = e
        case .revoke(let ref)?: keys[ref]?.revokedIndex = record.index
        case .permissions(let ref, let p)?: keys[ref]?.permissions = p
        case .policy(let p)?: policy = p
        case .noted?, nil: break
        }
        return .success(effect)
    }

    /// Replays a whole log offline (records in index order, e.g. `dpp export`), starting from the
    /// trusted ledger key: every record must be admitted.
    /// - Returns: nil if every record stands, else the first index that does not and why.
    public static func replay(_ records: [Record], ledgerKey: NoteVerifierKey) -> (index: UInt64, problem: GovernanceRejection)? {
        var state = GovernanceState()
        for (i, record) in records.enumerated() {
            guard record.index == UInt64(i) else {
                return (UInt64(i), GovernanceRejection(.invalidEvent, "record \(i) is missing (next given is \(record.index))"))
            }
            if i == 0, record.event.data["vkey"]?.stringValue != ledgerKey.description {
                return (0, GovernanceRejection(.notPermitted, "record 0 registers a ledger key other than the trusted one"))
            }
            if case .failure(let problem) = state.admit(record) { return (record.index, problem) }
        }
        return nil
    }
}
