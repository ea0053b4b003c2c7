import Foundation

/// An append handed to the writer; ``wait()`` blocks until it is durable (or failed).
public final class PendingAppend: @unchecked Sendable {
    // @unchecked: `result` is guarded by `condition`.
    private let condition = NSCondition()
    private var result: Result<[AppendOutcome], Error>?
    func set(_ r: Result<[AppendOutcome], Error>) {
        condition.lock()
        result = r
        condition.signal()
        condition.unlock()
    }
    /// Waits for the outcomes, in input order.
    /// - Throws: ``LedgerError`` if the batch could not be committed at all.
    public func wait() throws -> [AppendOutcome] {
        condition.lock()
        defer { condition.unlock() }
        while result == nil { condition.wait() }
        return try result!.get()
    }
}
