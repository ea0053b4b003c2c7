import Foundation
import PassportIngest
import PassportLedger
import PassportModel

/// A Kafka consumer that feeds a connector (Debezium change events or EPCIS documents) and appends
/// what it maps to the ledger, with exactly-once effect.
///
/// The ledger, not Kafka, holds what was consumed: each message's offset is a source position
/// (`kafka/<topic>/<partition>`, ``KafkaPartition/stream``) written in the same LMDB transaction
/// as the records the message produced — or alone, with the rest of its batch, when it produced
/// none. When the group assigns a partition, reading starts right after the ledger's position (or
/// at the beginning when there is none), whatever offsets Kafka has committed; those are committed
/// too, after each durable batch, but only so that lag tools see progress. See
/// `Specs/connectors/kafka.md`.
///
/// Messages are read in batches (up to ``Options/batchMessages``, or what comes within
/// ``Options/batchWait`` of the first), mapped in order, signed and checked on all cores, and
/// appended in one write transaction; while one batch commits, the next is read and mapped.
public final class KafkaIngest: @unchecked Sendable {
    // @unchecked: everything but `control` is used only by the thread running `consume()` (the
    // consumer's rebalance and error callbacks run inside its polls, on that thread); `control` is
    // a lock-protected box that `stop()` may set from any thread.

    /// The connector messages go through.
    public enum Connector {
        /// Each message value is a Debezium change event (null: a tombstone), mapped by the ingest's mapping.
        case debezium(DebeziumIngest)
        /// Each message value is an EPCIS 2.0 document.
        case epcis(EPCISIngest)
    }

    /// Where to read and how much at a time.
    public struct Options: Sendable {
        /// The brokers to start from, `host:port[,host:port…]`.
        public var bootstrapServers: String
        /// The topics (a name starting with `^` is a regular expression librdkafka matches).
        public var topics: [String]
        /// The consumer group.
        public var group: String
        /// Further librdkafka properties (security, timeouts); see ``reservedProperties``.
        public var kafka: KafkaConfiguration
        /// The most messages a batch takes.
        public var batchMessages = 4096
        /// How long a batch waits to fill once its first message came.
        public var batchWait: Duration = .milliseconds(100)
        /// The most submissions one append takes (an EPCIS document that maps to more is appended
        /// in slices, its offset with the last).
        public var maxSubmissions = 2048
        /// Stop once every assigned partition is read to its end and no message came for this
        /// long (nil: run until ``KafkaIngest/stop()``).
        public var exitWhenIdle: Duration?
        /// With ``exitWhenIdle``: if the group assigns no partition (not even an empty set) within
        /// the longer of this and ``exitWhenIdle``, stop with an error — the brokers are unreachable
        /// or refuse the consumer. Joining takes 3 s or more (a broker's initial rebalance delay;
        /// a departed member's session timeout). The same if an assigned partition is not read to
        /// its end and no message comes for that long: the broker leading it stopped answering.
        public var assignmentTimeout: Duration = .seconds(30)

        /// Options for a group reading topics from brokers.
        public init(bootstrapServers: String, topics: [String], group: String, kafka: KafkaConfiguration = .init()) {
            self.bootstrapServers = bootstrapServers
            self.topics = topics
            self.group = group
            self.kafka = kafka
        }

        /// Properties the consumer sets itself, refused in ``kafka``: the brokers and group (options
        /// of their own), offset storage (the ledger holds it), end-of-partition events (idleness).
        public static let reservedProperties = [
            "bootstrap.servers", "group.id", "enable.auto.commit", "enable.auto.offset.store", "enable.partition.eof",
        ]
    }

    /// The results of one durable batch, in message order.
    public struct Report: Sendable {
        /// One result.
        public enum Line: Sendable {
            /// An input's outcome (a change event's, an EPCIS event's).
            case outcome(origin: String, AppendOutcome)
            /// A message that maps to nothing (a tombstone, a replay, an unchanged row), and why.
            case skipped(origin: String, reason: String)
            /// An EPCIS event the passport does not show, kept as `input.kept`, and why.
            case kept(origin: String, reason: String)
        }

        /// The results.
        public let lines: [Line]
        /// How many messages the batch consumed.
        public let messages: Int
        /// Per partition, the offset of the last message consumed, now durable in the ledger.
        public let offsets: [KafkaPartition: Int64]
    }

    /// What a run did.
    public struct Summary: Sendable {
        /// Messages consumed (their effect durable).
        public let messages: Int
        /// Batches appended.
        public let batches: Int
        /// Seconds from the first message read to the last batch durable (0 if none).
        public let busySeconds: Double
        /// True if the run ended because it was idle (``Options/exitWhenIdle``), false if stopped.
        public let idle: Bool
    }

    /// The ledger.
    public let ledger: Ledger
    /// The options.
    public let options: Options

    private var debezium: DebeziumIngest?
    private let epcis: EPCISIngest?
    private let report: (Report) -> Void
    private let warning: (KafkaError) -> Void
    private let control = Locked(Control())

    private struct Control {
        var stopRequested = false
        var running = false
        var summary: Summary?
    }

    // State of a run (the consume thread only).
    private var consumer: KafkaConsumer?
    private var gathered: [KafkaMessage] = []
    private var inFlight: (job: Job, pending: PendingAppend)?
    private var durable: [KafkaPartition: Int64] = [:]
    private var committed: [KafkaPartition: Int64] = [:]
    private var everAssigned = false
    private var lastActivity = ContinuousClock.now
    private var firstMessage: ContinuousClock.Instant?
    private var lastDurable: ContinuousClock.Instant?
    private var messages = 0
    private var batches = 0

    /// Prepares a consumer (nothing connects before ``consume()``).
    /// - Parameters:
    ///   - ledger: the store.
    ///   - connector: how messages are mapped and signed.
    ///   - options: brokers, topics, group, batching.
    ///   - report: called with each batch's results once it is durable (on the consuming thread).
    ///   - warning: called with errors the consumer goes on after (a broker unreachable for a while).
    /// - Throws: ``KafkaError`` (`configuration`) for options that cannot work: no topic, a batch
    ///   below 1, a reserved property in ``Options/kafka``.
    public init(
        ledger: Ledger, connector: Connector, options: Options, report: @escaping (Report) -> Void = { _ in },
        warning: @escaping (KafkaError) -> Void = { _ in }
    ) throws(KafkaError) {
        guard !options.topics.isEmpty, !options.topics.contains(where: \.isEmpty) else {
            throw KafkaError(.configuration, "name at least one topic")
        }
        guard options.batchMessages >= 1, options.maxSubmissions >= 1 else {
            throw KafkaError(.configuration, "a batch takes at least one message and one submission")
        }
        guard !options.group.isEmpty, !options.bootstrapServers.isEmpty else {
            throw KafkaError(.configuration, "name the brokers and the consumer group")
        }
        for p in options.kafka.properties where Options.reservedProperties.contains(p.key) {
            let place = p.origin.map { "\($0): " } ?? ""
            throw KafkaError(
                .configuration,
                "\(place)\(p.key) is set by the consumer itself (brokers and group are options of their own; offsets are kept in the ledger; end-of-partition events tell when it is idle): remove it")
        }
        self.ledger = ledger
        self.options = options
        switch connector {
        case .debezium(let d): (debezium, epcis) = (d, nil)
        case .epcis(let e): (debezium, epcis) = (nil, e)
        }
        self.report = report
        self.warning = warning
    }

    /// Asks a running ``consume()`` to stop: it finishes the batch in hand, commits, leaves the
    /// group and returns. Safe from any thread (a signal handler's task, a report callback); a
    /// stopped ingest does not start again.
    public func stop() {
        control.withLock { $0.stopRequested = true }
    }

    private var stopRequested: Bool { control.withLock { $0.stopRequested } }

    /// What the last run did, once it ended.
    public var summary: Summary? { control.withLock { $0.summary } }

    /// Consumes until ``stop()`` or, with ``Options/exitWhenIdle``, until idle. Blocks the calling
    /// thread (run it on a thread of its own, or through ``run()`` as a service).
    /// - Returns: what the run did.
    /// - Throws: ``KafkaError`` when Kafka fails in a way the consumer cannot go on after, and
    ///   ``LedgerError`` when the store cannot commit (then nothing of that batch was written and
    ///   its messages are read again on the next run). What was durable before stays consumed.
    public func consume() throws -> Summary {
        let started = control.withLock { c in
            defer { c.running = true }
            return !c.running
        }
        guard started else { throw KafkaError(.client, "this ingest is already consuming") }
        defer { control.withLock { $0.running = false } }
        var configuration = options.kafka
        configuration.set("bootstrap.servers", options.bootstrapServers)
        configuration.set("group.id", options.group)
        configuration.set("enable.auto.offset.store", "false")
        configuration.set("enable.partition.eof", "true")
        // Where the ledger has no position the partition is read from its beginning; the same
        // when the position is out of the brokers' range (retention deleted the messages after it).
        if configuration["auto.offset.reset"] == nil { configuration.set("auto.offset.reset", "earliest") }
        let consumer = try KafkaConsumer(
            configuration: configuration,
            rebalance: KafkaConsumer.Rebalance(
                assigned: { [weak self] partitions in try self?.assigned(partitions) ?? [:] },
                revoked: { [weak self] partitions in try self?.revoked(partitions) }),
            onError: { [weak self] error in self?.warning(error) })
        self.consumer = consumer
        defer { self.consumer = nil }
        (gathered, inFlight, durable, committed) = ([], nil, [:], [:])
        (everAssigned, lastActivity, firstMessage, lastDurable, messages, batches) = (false, .now, nil, nil, 0, 0)
        var idle = false
        do {
            try consumer.subscribe(options.topics)
            while !stopRequested {
                let batch = try pollBatch(consumer)
                if !batch.isEmpty {
                    lastActivity = .now
                    if firstMessage == nil { firstMessage = lastActivity }
                    try process(batch)
                    continue
                }
                // Nothing came: make the batch in flight durable and report it now.
                try drain()
                guard let limit = options.exitWhenIdle else { continue }
                let waited = ContinuousClock.now - lastActivity
                // Idle: every partition read to its end (one slow to start fetching is not idle), and quiet.
                if everAssigned, consumer.assignment.isSubset(of: consumer.partitionsAtEnd), waited >= limit {
                    idle = true
                    break
                }
                guard waited >= max(limit, options.assignmentTimeout) else { continue }
                if !everAssigned {
                    throw KafkaError(
                        .client,
                        "no partition of \(options.topics.joined(separator: ", ")) was assigned to this consumer in \(waited.components.seconds) s: are the brokers reachable and the topics there? (see the errors above)",
                        brokers: options.bootstrapServers)
                }
                // Assigned, quiet, and yet some partition was never read to its end: its leader
                // stopped answering. Waiting on would never end; what was read is durable.
                let stuck = consumer.assignment.subtracting(consumer.partitionsAtEnd).map { "\($0.topic)/\($0.partition)" }.sorted()
                throw KafkaError(
                    .client,
                    "\(stuck.joined(separator: ", ")) \(stuck.count == 1 ? "was" : "were") assigned but not read to the end in \(waited.components.seconds) s, and no message came: are the brokers leading \(stuck.count == 1 ? "it" : "them") reachable? (see the errors above) What was read is durable; the next run resumes after it",
                    brokers: options.bootstrapServers)
            }
            try drain()
            commitToKafka(only: nil, wait: true)
            try consumer.close()
        } catch {
            // What is in flight may be durable: learn it (and report it) before leaving the group.
            try? drain()
            try? consumer.close()
            throw error
        }
        let busy = firstMessage.flatMap { first in lastDurable.map { $0 - first } } ?? .zero
        let summary = Summary(
            messages: messages, batches: batches,
            busySeconds: Double(busy.components.seconds) + Double(busy.components.attoseconds) / 1e18, idle: idle)
        control.withLock { $0.summary = summary }
        return summary
    }

    /// Up to ``Options/batchMessages`` messages: waits 100 ms for a first one, then up to
    /// ``Options/batchWait`` for more. A revocation during the polls drops the messages of the
    /// partitions taken away (``revoked(_:)``).
    private func pollBatch(_ consumer: KafkaConsumer) throws -> [KafkaMessage] {
        gathered = []
        var deadline: ContinuousClock.Instant?
        while gathered.count < options.batchMessages, !stopRequested {
            let wait: Duration
            if let deadline {
                wait = deadline - .now
                if wait <= .zero { break }
            } else {
                wait = .milliseconds(100)
            }
            guard let message = try consumer.poll(timeout: wait) else {
                if deadline == nil && gathered.isEmpty { break }
                continue
            }
            gathered.append(message)
            if deadline == nil { deadline = .now + options.batchWait }
        }
        let batch = gathered
        gathered = []
        return batch
    }

    /// The group gave partitions: each starts after the ledger's position of its stream.
    private func assigned(_ partitions: [KafkaPartition]) throws -> [KafkaPartition: KafkaStartOffset] {
        var starts: [KafkaPartition: KafkaStartOffset] = [:]
        for p in partitions {
            if let offset = try ledger.kafkaOffset(p) {
                starts[p] = .offset(offset + 1)
                durable[p] = offset
            } else {
                starts[p] = .beginning
            }
        }
        everAssigned = true
        lastActivity = .now
        return starts
    }

    /// The group takes partitions away: the batch in flight (which may hold their messages) is
    /// made durable and committed first; messages read but not yet mapped are dropped (the next
    /// owner reads them again, from the ledger's position).
    private func revoked(_ partitions: [KafkaPartition]) throws {
        try drain()
        let taken = Set(partitions)
        gathered.removeAll { taken.contains($0.partition) }
        commitToKafka(only: taken, wait: true)
    }

    /// Maps a batch and hands its append(s) to the writer.
    private func process(_ batch: [KafkaMessage]) throws {
        if debezium != nil {
            try submit(try debeziumJob(batch))
        } else {
            try epcisJobs(batch, submit)
        }
    }

    /// Waits for the job in flight, then starts this one's append (so a job is mapped and signed
    /// while the previous one commits). Never two at once in the writer's queue: if one fails,
    /// the next must not commit offsets past its messages.
    private func submit(_ job: Job) throws {
        try drain()
        // Every job before this one is durable now: the EPCIS ingest's memory of them can go.
        epcis?.earlierSubmissionsDurable()
        inFlight = (job, try ledger.startAppend(job.submissions, positions: job.positions))
    }

    /// Waits for the job in flight to be durable, reports it, and commits its offsets to Kafka.
    private func drain() throws {
        guard let (job, pending) = inFlight else { return }
        inFlight = nil
        let outcomes = try pending.wait()
        debezium?.batchAppended(states: job.states)
        lastDurable = .now
        messages += job.messages
        batches += 1
        durable.merge(job.consumed) { max($0, $1) }
        let lines = job.lines.map { line -> Report.Line in
            switch line {
            case .outcome(let i): .outcome(origin: job.submissions[i].origin, outcomes[i])
            case .skipped(let origin, let reason): .skipped(origin: origin, reason: reason)
            case .kept(let origin, let reason): .kept(origin: origin, reason: reason)
            }
        }
        report(Report(lines: lines, messages: job.messages, offsets: job.consumed))
        commitToKafka(only: nil, wait: false)
    }

    /// Commits to Kafka the offsets the ledger holds and Kafka does not yet (of assigned
    /// partitions, or of `only`); a failure is a warning, as the ledger holds the truth.
    private func commitToKafka(only: Set<KafkaPartition>?, wait: Bool) {
        guard let consumer else { return }
        let assignment = consumer.assignment
        var offsets: [KafkaPartition: Int64] = [:]
        for (p, offset) in durable where assignment.contains(p) && (only?.contains(p) ?? true) && committed[p].map({ $0 < offset }) ?? true {
            offsets[p] = offset + 1
        }
        guard !offsets.isEmpty else { return }
        do {
            try consumer.commit(offsets, wait: wait)
            for (p, next) in offsets { committed[p] = next - 1 }
        } catch {
            warning(error)
        }
    }
}

extension KafkaIngest {
    /// One append: submissions (each message's offset on its last one), the offsets of messages
    /// that yielded none (written after them), and what to report.
    struct Job {
        enum Line {
            case outcome(Int)
            case skipped(String, String)
            case kept(String, String)
        }

        var submissions: [Submission] = []
        var positions: [SourcePosition] = []
        var lines: [Line] = []
        /// Row states the job leaves pending (Debezium).
        var states = 0
        /// Per partition, the last offset whose message this job completes.
        var consumed: [KafkaPartition: Int64] = [:]
        var messages = 0
        /// Per partition, the position of its last message in the job if that message yielded no submission.
        var unsubmitted: [KafkaPartition: SourcePosition] = [:]

        /// Records that `message` is complete with this job: its offset goes on `last` (the index
        /// of its last submission in the job), or, if it has none here, after the job's submissions.
        mutating func complete(_ message: KafkaMessage, last: Int?) {
            if let last {
                submissions[last].positions.append(message.position)
                unsubmitted[message.partition] = nil
            } else {
                unsubmitted[message.partition] = message.position
            }
            consumed[message.partition] = message.offset
            messages += 1
        }

        /// The job ready to append: the positions of messages without submissions, by partition.
        /// Each is its partition's last in the job, so it is written after (and above) the others.
        func sealed() -> Job {
            var job = self
            job.positions = unsubmitted.sorted { $0.key < $1.key }.map(\.value)
            return job
        }

        var isEmpty: Bool { messages == 0 && submissions.isEmpty }
    }

    /// A Kafka null value, as the Debezium mapper reads a tombstone.
    static let null = Array("null".utf8)

    /// A batch of change events: one job, mapped as `dpp ingest debezium` maps a batch of lines.
    func debeziumJob(_ batch: [KafkaMessage]) throws -> Job {
        let mapped = try debezium!.batch(batch.map { DebeziumIngest.Input(bytes: $0.value ?? Self.null, origin: $0.origin, noun: "message") })
        var job = Job(submissions: mapped.submissions, states: mapped.states)
        for (message, entry) in zip(batch, mapped.entries) {
            switch entry {
            case .skipped(let origin, let reason):
                job.lines.append(.skipped(origin, reason))
                job.complete(message, last: nil)
            case .submitted(let i):
                job.lines.append(.outcome(i))
                job.complete(message, last: i)
            }
        }
        return job.sealed()
    }

    /// A batch of EPCIS documents: jobs of about ``Options/maxSubmissions`` submissions, a large
    /// document sliced over several (its offset goes with its last slice; the earlier slices are
    /// duplicates if it is read again).
    func epcisJobs(_ batch: [KafkaMessage], _ submit: (Job) throws -> Void) throws {
        let ingest = epcis!
        let slice = options.maxSubmissions
        var job = Job()
        func cut() throws {
            if !job.isEmpty { try submit(job.sealed()) }
            job = Job()
        }
        for message in batch {
            guard let bytes = message.value else {
                job.lines.append(.skipped(message.origin, "tombstone (a null value, not a document)"))
                job.complete(message, last: nil)
                continue
            }
            var last: Int?
            try ingest.slices(bytes, input: message.origin, size: slice) { items, lastSlice in
                for item in items {
                    if let reason = item.skipReason { job.lines.append(.kept(item.origin, reason)) }
                    for s in item.submissions {
                        last = job.submissions.count
                        job.lines.append(.outcome(job.submissions.count))
                        job.submissions.append(s)
                    }
                }
                if !lastSlice, job.submissions.count >= slice {
                    try cut()
                    last = nil
                }
            }
            job.complete(message, last: last)
            if job.submissions.count >= slice { try cut() }
        }
        try cut()
    }
}
