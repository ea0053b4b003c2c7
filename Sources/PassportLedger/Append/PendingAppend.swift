/// An append handed to the writer; ``wait()`` blocks until it is durable (or failed).
public final class PendingAppend: Sendable {
    private let result = Locked<Result<[AppendOutcome], Error>?>(nil)

    func set(_ r: Result<[AppendOutcome], Error>) {
        result.withLockWakingWaiters { $0 = r }
    }

    /// Waits for the outcomes, in input order.
    /// - Throws: ``LedgerError`` if the batch could not be committed at all.
    public func wait() throws -> [AppendOutcome] {
        try result.withLock(waitingUntil: { $0 != nil }) { try $0!.get() }
    }
}
