import Foundation

/// Group commit: one writer thread takes every pending append and commits them in one LMDB
/// write transaction, so concurrent appenders share one fsync. A caller is answered only
/// after the transaction holding its events is durable.
final class Committer: @unchecked Sendable {
    // @unchecked: `ledger` and `thread` are written only in `init`; the queue and the stop flag
    // live in `state`, reached only under its lock; the thread is the only one that runs write
    // transactions.
    private struct Job {
        let work: CommitJob
        let completion: @Sendable (Result<[AppendOutcome], Error>) -> Void
    }

    private struct State {
        var queue: [Job] = []
        var stopped = false
    }

    private weak var ledger: Ledger?
    private let state = Locked(State())
    private var thread: Thread?

    init(ledger: Ledger) {
        self.ledger = ledger
        let t = Thread { [weak self] in self?.run() }
        t.name = "dpp-committer"
        thread = t
        t.start()
    }

    func stop() {
        state.withLockWakingWaiters { $0.stopped = true }
    }

    func submit(
        _ submissions: [Submission], verifiedKeys: [Precheck], positions: [SourcePosition],
        completion: @escaping @Sendable (Result<[AppendOutcome], Error>) -> Void
    ) {
        let accepted = state.withLockWakingWaiters { state in
            if state.stopped { return false }
            state.queue.append(Job(work: CommitJob(submissions: submissions, prechecks: verifiedKeys, positions: positions), completion: completion))
            return true
        }
        if !accepted { completion(.failure(LedgerError(.io, "the ledger is closed"))) }
    }

    private func run() {
        while true {
            let next: [Job]? = state.withLock(waitingUntil: { !$0.queue.isEmpty || $0.stopped }) { state in
                if state.queue.isEmpty && state.stopped { return nil }
                // Take as many whole jobs as fit in one batch (at least one).
                var batch: [Job] = []
                var count = 0
                let limit = ledger?.options.maxBatchEvents ?? 4096
                while let job = state.queue.first, batch.isEmpty || count + job.work.submissions.count <= limit {
                    batch.append(job)
                    count += job.work.submissions.count
                    state.queue.removeFirst()
                }
                return batch
            }
            guard let batch = next else { return }
            guard let ledger else {
                for job in batch { job.completion(.failure(LedgerError(.io, "the ledger is closed"))) }
                continue
            }
            do {
                let results = try ledger.commit(batch.map(\.work))
                for (job, r) in zip(batch, results) { job.completion(.success(r)) }
            } catch {
                for job in batch { job.completion(.failure(error)) }
            }
        }
    }
}
