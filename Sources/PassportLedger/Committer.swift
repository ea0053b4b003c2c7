import Foundation

/// Group commit: one writer thread takes every pending append and commits them in one LMDB
/// write transaction, so concurrent appenders share one fsync. A caller is answered only
/// after the transaction holding its events is durable.
final class Committer: @unchecked Sendable {
    // @unchecked: `queue` and `stopped` are only touched under `condition`; the thread is the
    // only one that runs write transactions.
    private struct Job {
        let submissions: [Submission]
        let verifiedKeys: [Precheck]
        let completion: @Sendable (Result<[AppendOutcome], Error>) -> Void
    }

    private weak var ledger: Ledger?
    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    private var thread: Thread?

    init(ledger: Ledger) {
        self.ledger = ledger
        let t = Thread { [weak self] in self?.run() }
        t.name = "dpp-committer"
        thread = t
        t.start()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func submit(
        _ submissions: [Submission], verifiedKeys: [Precheck],
        completion: @escaping @Sendable (Result<[AppendOutcome], Error>) -> Void
    ) {
        condition.lock()
        if stopped {
            condition.unlock()
            completion(.failure(LedgerError(.io, "the ledger is closed")))
            return
        }
        queue.append(Job(submissions: submissions, verifiedKeys: verifiedKeys, completion: completion))
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if queue.isEmpty && stopped {
                condition.unlock()
                return
            }
            // Take as many whole jobs as fit in one batch (at least one).
            var batch: [Job] = []
            var count = 0
            let limit = ledger?.options.maxBatchEvents ?? 4096
            while let job = queue.first, batch.isEmpty || count + job.submissions.count <= limit {
                batch.append(job)
                count += job.submissions.count
                queue.removeFirst()
            }
            condition.unlock()
            guard let ledger else {
                for job in batch { job.completion(.failure(LedgerError(.io, "the ledger is closed"))) }
                continue
            }
            do {
                let results = try ledger.commit(batch.map { ($0.submissions, $0.verifiedKeys) })
                for (job, r) in zip(batch, results) { job.completion(.success(r)) }
            } catch {
                for job in batch { job.completion(.failure(error)) }
            }
        }
    }
}
