import Foundation
import ServiceLifecycle

extension KafkaIngest: Service {
    /// Runs ``consume()`` on a thread of its own (librdkafka's polls and the ledger's commits block)
    /// until it ends; a graceful shutdown (SIGTERM, SIGINT in a `ServiceGroup`) or cancellation
    /// calls ``stop()``, so the batch in hand is finished, committed, and the group left.
    /// - Throws: what ``consume()`` throws.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
                    let thread = Thread {
                        do {
                            _ = try self.consume()
                            done.resume()
                        } catch {
                            done.resume(throwing: error)
                        }
                    }
                    thread.name = "dpp-kafka"
                    thread.start()
                }
            } onCancel: {
                self.stop()
            }
        } onGracefulShutdown: {
            self.stop()
        }
    }
}
