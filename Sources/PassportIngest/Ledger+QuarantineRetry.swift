import PassportLedger
import PassportModel

/// Retry goes back through the ingest layer: the entry's intake says how its bytes are read again.
extension Ledger {
    /// Re-runs the whole pipeline on a quarantined entry (after its data, a key or the policy was
    /// fixed). On success the entry is marked resolved with the new record; on failure it stays
    /// open with the new reasons.
    /// - Throws: ``LedgerError`` if the entry does not exist or is not open.
    public func retryQuarantine(id: UInt64) throws -> AppendOutcome {
        try retryQuarantine(ids: [id])[0].1
    }

    /// Retries every open entry in one batch (after a fix that affects many, such as a policy
    /// or key change). Returns each entry's ID and outcome.
    public func retryAllQuarantine() throws -> [(UInt64, AppendOutcome)] {
        // Entries that keep only a prefix of an oversized line cannot be retried; they wait for a discard.
        let ids = try quarantineEntries().filter { $0.truncated == nil }.map(\.id)
        return ids.isEmpty ? [] : try retryQuarantine(ids: ids)
    }

    /// Retries the given entries in one batch. An entry whose input maps to several events (an
    /// EPCIS event) appends them all; its outcome is the first's, which resolves the entry.
    public func retryQuarantine(ids: [UInt64]) throws -> [(UInt64, AppendOutcome)] {
        var submissions: [Submission] = []
        var first: [Int] = []
        for id in ids {
            first.append(submissions.count)
            submissions += try retrySubmissions(id)
        }
        let outcomes = try appendSync(submissions)
        return zip(ids, first).map { ($0, outcomes[$1]) }
    }

    private func retrySubmissions(_ id: UInt64) throws -> [Submission] {
        let entry = try quarantineEntry(id: id)
        if entry.status == .open, entry.truncated == nil, entry.intake["connector"]?.stringValue == "epcis" {
            do {
                let ingest = try EPCISIngest(
                    ledger: self, source: entry.intake["source"]?.stringValue ?? "", locationCountries: EPCISIngest.locationCountries(entry.intake))
                return ingest.retry(raw: entry.raw, origin: entry.origin, quarantineID: id)
            } catch let e as LedgerError {
                return [Submission(raw: entry.raw, origin: entry.origin, intake: entry.intake, content: .failure(e), quarantineID: id)]
            }
        }
        if entry.status == .open, entry.truncated == nil, entry.intake["connector"]?.stringValue == "ipc1752" {
            // A declaration rejected whole retries as all its events; one rejected event, alone.
            do {
                return try IPC1752Ingest(ledger: self, source: entry.intake["source"]?.stringValue ?? "").retry(raw: entry.raw, quarantineID: id)
            } catch let e as LedgerError {
                return [Submission(raw: entry.raw, origin: entry.origin, intake: entry.intake, content: .failure(e), quarantineID: id)]
            }
        }
        return [try retrySubmission(id)]
    }

    private func retrySubmission(_ id: UInt64) throws -> Submission {
        let entry = try quarantineEntry(id: id)
        guard entry.status == .open else {
            throw LedgerError(.invalidArgument, "entry \(id) is already \(entry.status.rawValue)")
        }
        if let t = entry.truncated {
            throw LedgerError(
                .invalidArgument,
                "entry \(id) keeps only the first \(entry.raw.count) of \(t.length) bytes of an oversized line, so it cannot be retried; send the content again in a form that fits (large content as an attachment), then discard the entry")
        }
        if entry.intake["connector"]?.stringValue == "debezium" {
            // Mapped again with the mapping file as it is now (a fixed mapping resolves the entry).
            do {
                var ingest = try DebeziumIngest(
                    ledger: self, source: entry.intake["source"]?.stringValue ?? "", mappingFile: entry.intake["mapping"]?.stringValue ?? "")
                switch try ingest.item(entry.raw, origin: entry.origin, quarantineID: id) {
                case .submit(let s): return s
                case .skip(let reason):
                    throw LedgerError(.invalidArgument, "the change now maps to nothing (\(reason)); discard the entry")
                }
            } catch let e as LedgerError {
                return Submission(raw: entry.raw, origin: entry.origin, intake: entry.intake, content: .failure(e), quarantineID: id)
            }
        }
        if let connector = entry.intake["connector"]?.stringValue, ["bom", "csv", "document", "cmrt"].contains(connector) {
            // Whole-file connectors: the entry keeps the export, the row (with its header) or the
            // document's path, read again as it is now.
            do {
                let source = entry.intake["source"]?.stringValue ?? ""
                switch connector {
                case "bom": return try BOMIngest(ledger: self, source: source).retry(raw: entry.raw, intake: entry.intake, quarantineID: id)
                case "csv":
                    return try AttestationIngest(
                        ledger: self, source: source, mappingFile: entry.intake["mapping"]?.stringValue ?? "", supplier: entry.intake["supplier"]?.stringValue
                    ).retry(raw: entry.raw, intake: entry.intake, quarantineID: id)
                case "cmrt": return try CMRTIngest(ledger: self, source: source).retry(raw: entry.raw, quarantineID: id)
                default: return try DocumentIngest(ledger: self, source: source).retry(raw: entry.raw, quarantineID: id)
                }
            } catch let e as LedgerError {
                return Submission(raw: entry.raw, origin: entry.origin, intake: entry.intake, content: .failure(e), quarantineID: id)
            }
        }
        guard let mode = Ingestor.Mode(intake: entry.intake) else {
            throw LedgerError(.invalidArgument, "entry \(id) came from a connector this build cannot read again (\(CanonicalJSON.string(.object(entry.intake))))")
        }
        do {
            return try Ingestor(ledger: self, mode: mode).submission(line: entry.raw, origin: entry.origin, quarantineID: id)
        } catch let e as LedgerError {
            // The source's key is gone: record the attempt so the entry says why.
            return Submission(raw: entry.raw, origin: entry.origin, intake: entry.intake, content: .failure(e), quarantineID: id)
        }
    }
}
