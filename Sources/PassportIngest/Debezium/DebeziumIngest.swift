import Foundation
import PassportLedger
import PassportModel
import Sodium

/// The row states of a change stream, kept in the ledger: each row's ``RowState`` is written as a
/// source position (`debezium/<table>/<key>`) in the same transaction as the event it came with,
/// and only if that event is in the log (appended or duplicate).
public struct LedgerCDCState: CDCStateStore {
    /// The ledger.
    public let ledger: Ledger

    /// The state store of a ledger.
    public init(ledger: Ledger) { self.ledger = ledger }

    /// The stream name of a row.
    public static func stream(_ row: RowKey) -> String { "debezium/\(row)" }

    /// The state the ledger holds for a row.
    /// - Throws: ``LedgerError`` if the store cannot be read.
    public func last(_ row: RowKey) throws -> RowState? {
        guard let bytes = try ledger.sourcePosition(Self.stream(row)) else { return nil }
        return RowState(json: try JSONParser.parse(bytes))
    }

    /// Nothing to do: the ledger writes a row's state with its event (``submissionPosition(_:_:)``).
    public mutating func record(_ row: RowKey, _ state: RowState) {}

    /// The position that makes the ledger record `state` for `row` with the event's outcome.
    public static func submissionPosition(_ row: RowKey, _ state: RowState) -> SourcePosition {
        SourcePosition(stream: stream(row), value: CanonicalJSON.encode(state.json), when: .appended)
    }
}

/// Debezium change events in, signed submissions out: each envelope is mapped (``DebeziumMapper``)
/// with the row states the ledger holds, and becomes a submission that keeps the envelope's bytes
/// (for quarantine), its intake (connector, source, mapping file and its SHA-256, for a retry
/// after a mapping fix) and its row's new state (written with the event).
public struct DebeziumIngest {
    /// The mapper.
    public let mapper: DebeziumMapper
    /// The ingestor that signs the mapped events.
    public let ingestor: Ingestor
    /// The intake every submission carries.
    public let intake: JSONObject
    private var state: PendingCDCState<LedgerCDCState>

    /// Reads a mapping file and prepares to sign with `source`'s key.
    /// - Throws: ``LedgerError`` naming every problem of the mapping file, or the source's key.
    public init(ledger: Ledger, source: String, mappingFile: String) throws {
        guard case .success(let bytes) = RegularFile.read(mappingFile, maxSize: 4 << 20) else {
            throw LedgerError(.notFound, "cannot read the mapping file \(mappingFile)")
        }
        let mapping: DebeziumMapping
        do { mapping = try DebeziumMapping(yaml: String(decoding: bytes, as: UTF8.self)) } catch {
            throw LedgerError(.invalidArgument, violations: error.violations.map {
                Violation(code: $0.code, path: $0.path, rule: $0.rule, message: "\(mappingFile): \($0.message)", value: $0.value)
            })
        }
        mapper = DebeziumMapper(mapping: mapping)
        ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
        intake = ["connector": "debezium", "source": .string(source), "mapping": .string(URL(fileURLWithPath: mappingFile).standardizedFileURL.path),
            "mappingSha256": .string(Hex.encode(SHA256.hash(bytes)))]
        state = PendingCDCState(base: LedgerCDCState(ledger: ledger))
    }

    /// What one envelope became: a submission to append, or a skip with its reason.
    public enum Item {
        /// Append this.
        case submit(Submission)
        /// Nothing to write.
        case skip(String)
    }

    /// One envelope mapped but not yet signed (mapping is sequential — a row's changes depend on
    /// each other — while signing and checking can run in parallel: ``submission(_:)``).
    public struct Mapped: Sendable {
        /// The envelope as received.
        public let raw: [UInt8]
        /// Where it came from.
        public let origin: String
        /// The unsigned event and its row's new state, the rejection, or why nothing is written.
        public let outcome: Outcome
        /// When retrying a quarantined envelope, its entry.
        public let quarantineID: UInt64?
        /// The check of the event against its type, run with the signing (on all cores).
        let check: DebeziumMapper.DeferredCheck?

        /// What the mapping gave.
        public enum Outcome: Sendable {
            /// An event to sign and append, with its row and the row's new state.
            case event(JSONObject, RowKey, RowState)
            /// The envelope cannot be mapped.
            case reject(LedgerError)
            /// Nothing to write, and why.
            case skip(String)
        }
    }

    /// Maps one envelope (a JSON Lines line or a Kafka record value), in input order.
    /// - Parameters:
    ///   - bytes: the envelope as received.
    ///   - origin: where it came from (`file:line`, `topic/partition@offset`).
    ///   - quarantineID: when retrying a quarantined envelope, its entry.
    /// - Throws: ``LedgerError`` if the ledger's row states cannot be read.
    public mutating func map(_ bytes: [UInt8], origin: String, quarantineID: UInt64? = nil) throws -> Mapped {
        try map(bytes, parsed: Result { try DebeziumMapper.parse(bytes) }, origin: origin, quarantineID: quarantineID)
    }

    /// Maps one envelope already parsed (``DebeziumMapper/parse(_:)``, which may run on all cores
    /// ahead of the mapping), in input order.
    /// - Throws: ``LedgerError`` if the ledger's row states cannot be read.
    public mutating func map(_ bytes: [UInt8], parsed: Result<JSONValue, any Error>, origin: String, quarantineID: UInt64? = nil) throws -> Mapped {
        let (result, check): (DebeziumResult, DebeziumMapper.DeferredCheck?)
        switch parsed {
        case .success(let value): (result, check) = try mapper.mapDeferringCheck(value, input: origin, state: state)
        case .failure: (result, check) = try mapper.mapDeferringCheck(bytes, input: origin, state: state)
        }
        let outcome: Mapped.Outcome
        switch result.outcome {
        case .skip(let reason): outcome = .skip(reason.description)
        case .reject(let violations):
            let code: LedgerError.Code = violations.first?.code.rawValue == "malformed-json" ? .malformedJSON : .invalidEvent
            outcome = .reject(LedgerError(code, violations: violations))
        case .event(let event, let row, let rowState):
            state.record(row, rowState)
            outcome = .event(event, row, rowState)
        }
        return Mapped(raw: bytes, origin: origin, outcome: outcome, quarantineID: quarantineID, check: check)
    }

    /// Signs and checks mapped envelopes; a value of its own so that it can run on all cores.
    public struct Signing: Sendable {
        let ingestor: Ingestor
        let intake: JSONObject

        /// The submission of a mapped envelope; nil for a skip.
        public func submission(_ m: Mapped) -> Submission? {
            switch m.outcome {
            case .skip: return nil
            case .reject(let e):
                return ingestor.submission(mapped: .failure(e), raw: m.raw, origin: m.origin, intake: intake, quarantineID: m.quarantineID)
            case .event(let event, let row, let rowState):
                let position = LedgerCDCState.submissionPosition(row, rowState)
                // A value its type refuses is rejected naming its column (its row's state is not recorded).
                if let problems = m.check?.violations(event), !problems.isEmpty {
                    return ingestor.submission(
                        mapped: .failure(LedgerError(.invalidEvent, violations: problems)), raw: m.raw, origin: m.origin, intake: intake,
                        positions: [position], quarantineID: m.quarantineID)
                }
                return ingestor.submission(
                    mapped: .success(event), raw: m.raw, origin: m.origin, intake: intake, positions: [position], quarantineID: m.quarantineID)
            }
        }
    }

    /// The signing half, safe to share between threads.
    public var signing: Signing { Signing(ingestor: ingestor, intake: intake) }

    /// Signs and checks a mapped envelope; nil for a skip.
    public func submission(_ m: Mapped) -> Submission? { signing.submission(m) }

    /// One envelope of a batch (``batch(_:)``): a JSON Lines line or a Kafka record value.
    public struct Input: Sendable {
        /// The envelope as received; for an oversized one, its first bytes only.
        public let bytes: [UInt8]
        /// Where it came from (`file:line`, `kafka/<topic>/<partition>@<offset>`).
        public let origin: String
        /// Set when the envelope was longer than ``Ingestor/maxLineSize``: its length and SHA-256
        /// (it is rejected `too-large` unread, and quarantine keeps `bytes`).
        public let truncated: TruncatedInput?
        /// What the input is in a `too-large` rejection (`line`, `message`).
        let noun: String

        /// An envelope; one longer than ``Ingestor/maxLineSize`` is kept as its first
        /// ``JSONLinesReader/keptPrefix`` bytes with its length and hash.
        /// - Parameters:
        ///   - bytes: the envelope as received.
        ///   - origin: where it came from.
        ///   - noun: what it is, for a `too-large` rejection (`message`).
        public init(bytes: [UInt8], origin: String, noun: String) {
            if bytes.count > Ingestor.maxLineSize {
                self.bytes = Array(bytes.prefix(JSONLinesReader.keptPrefix))
                truncated = TruncatedInput(length: bytes.count, sha256: SHA256.hash(bytes))
            } else {
                self.bytes = bytes
                truncated = nil
            }
            self.origin = origin
            self.noun = noun
        }

        /// A line read by a ``JSONLinesReader`` (`<name>:<line number>`).
        public init(_ line: JSONLinesReader.Line, name: String) {
            bytes = line.bytes
            origin = "\(name):\(line.number)"
            truncated = line.oversized
            noun = "line"
        }
    }

    /// What a batch of envelopes became, in input order.
    public struct Batch: Sendable {
        /// What one envelope became.
        public enum Entry: Sendable {
            /// Nothing to write, and why (a tombstone, a replay, an unchanged row…).
            case skipped(origin: String, reason: String)
            /// The submission at this index of ``Batch/submissions``.
            case submitted(Int)
        }

        /// One entry per input.
        public let entries: [Entry]
        /// The submissions to append, in input order (signed and checked, or rejections).
        public var submissions: [Submission]
        /// How many row states the batch left pending: pass it to ``DebeziumIngest/batchAppended(states:)``
        /// once the batch is durable.
        public let states: Int
    }

    /// Maps a batch of envelopes as `dpp ingest debezium` does: parsed on all cores, mapped in input
    /// order (a row's changes depend on each other, so each sees the states of the earlier ones,
    /// including those of a batch still being committed), then signed and checked on all cores.
    /// The batch's row states stay pending until ``batchAppended(states:)``.
    /// - Throws: ``LedgerError`` if the ledger's row states cannot be read.
    /// - Complexity: O(n) in the envelopes' bytes, spread over all cores but for the mapping.
    public mutating func batch(_ inputs: [Input]) throws -> Batch {
        let statesBefore = pendingStates
        let parsed = parallelMap(inputs) { input in
            input.truncated == nil ? Result<JSONValue, any Error> { try DebeziumMapper.parse(input.bytes) } : nil
        }
        var mapped: [Mapped] = []
        var oversized: [Int: Submission] = [:]
        var skips: [Int: String] = [:]
        for (i, input) in inputs.enumerated() {
            if let t = input.truncated {
                oversized[i] = Ingestor.oversized(prefix: input.bytes, origin: input.origin, intake: intake, truncated: t, noun: input.noun)
                continue
            }
            let m = try map(input.bytes, parsed: parsed[i]!, origin: input.origin)
            if case .skip(let reason) = m.outcome { skips[i] = reason } else { mapped.append(m) }
        }
        let signing = self.signing
        var signed = parallelMap(mapped) { signing.submission($0)! }.makeIterator()
        var entries: [Batch.Entry] = []
        var submissions: [Submission] = []
        for (i, input) in inputs.enumerated() {
            if let reason = skips[i] {
                entries.append(.skipped(origin: input.origin, reason: reason))
                continue
            }
            entries.append(.submitted(submissions.count))
            submissions.append(oversized[i] ?? signed.next()!)
        }
        return Batch(entries: entries, submissions: submissions, states: pendingStates - statesBefore)
    }

    /// Maps and signs one envelope.
    /// - Throws: ``LedgerError`` if the ledger's row states cannot be read.
    public mutating func item(_ bytes: [UInt8], origin: String, quarantineID: UInt64? = nil) throws -> Item {
        let m = try map(bytes, origin: origin, quarantineID: quarantineID)
        if case .skip(let reason) = m.outcome { return .skip(reason) }
        return .submit(submission(m)!)
    }

    /// Forgets the states of the batch just appended (the ledger now holds those that stand).
    public mutating func batchAppended() { state.discard() }

    /// Row states mapped but not yet known durable (for a pipeline: ``batchAppended(states:)``).
    public var pendingStates: Int { state.pending.count }

    /// Forgets the states of the oldest batch in flight, now durable (`states` of them), keeping
    /// those of a batch mapped while it committed.
    public mutating func batchAppended(states: Int) { state.forget(first: states) }
}
