import PassportModel
import PassportLedger

extension Ledger {
    /// Signs events made in memory with a source's key and appends them, as `dpp append --source`
    /// does for a file: each is validated, rejected ones are kept in quarantine.
    /// - Parameters:
    ///   - events: unsigned event objects (the `source` member may be left out).
    ///   - source: the source whose active key signs them.
    ///   - origin: names the input in results and quarantine entries (`<origin>:<n>`).
    /// - Returns: one outcome per event, in order.
    public func append(unsigned events: [JSONObject], source: String, origin: String? = nil) throws -> [AppendOutcome] {
        let ingestor = try Ingestor(ledger: self, mode: .unsigned(source: source, baseDirectory: nil))
        let name = origin ?? source
        var out: [AppendOutcome] = []
        for start in stride(from: 0, to: events.count, by: options.maxBatchEvents) {
            let chunk = Array(events[start..<min(events.count, start + options.maxBatchEvents)].enumerated())
            let subs = parallelMap(chunk) { i, e in ingestor.submission(line: CanonicalJSON.encode(.object(e)), origin: "\(name):\(start + i + 1)") }
            out += try appendSync(subs)
        }
        return out
    }
}
