import Foundation
import PassportIngest
import PassportKafka
import PassportModel
import PassportTestSupport
import Testing

@testable import PassportLedger

/// Debezium topics through the Kafka consumer: the ledger's positions, not Kafka's offsets, decide
/// what is read, so every message has its effect exactly once.
@Suite("Kafka: Debezium topics")
struct KafkaDebeziumTests {
    static let topic = "erp.orders"

    /// The offset of the last message of each partition in a stream produced in order.
    static func lastOffsets(_ stream: [(partition: Int32, value: [UInt8]?)]) -> [Int32: Int64] {
        var last: [Int32: Int64] = [:]
        for m in stream { last[m.partition] = (last[m.partition] ?? -1) + 1 }
        return last
    }

    @Test("change events on 2 partitions become the same records and passports as the same lines from a file; a restart, and a new group without Kafka offsets, read nothing again")
    func sameAsFileAndNothingTwice() async throws {
        let k = try KafkaFixture()
        let stream = ChangeEvents.stream(orders: 120)
        try k.produce(Self.topic, stream)
        let first = try await k.consume(k.debezium(), topics: [Self.topic], group: "g1") { $0.batchMessages = 50 }
        #expect(first.summary.messages == stream.count)
        #expect(first.lines.count == stream.count, "one result per message")
        #expect(first.count(" appended") == 165, "120 orders created, 40 updated with new values, 5 of them back to the old ones")
        #expect(first.count(" rejected") == 0 && first.count(" duplicate") == 0)
        #expect(first.count("skipped: tombstone") == 11)
        #expect(first.results.contains { $0.hasPrefix("kafka/erp.orders/1@") && $0.contains("skipped: replay of erp.production_orders/1") })

        // The same envelopes, in the database's order, through the file path's batching.
        let fileDir = TemporaryDirectory()
        let (fileLedger, _) = try Fixtures.store(in: fileDir, sources: ["erp"])
        var ingest = try DebeziumIngest(ledger: fileLedger, source: "erp", mappingFile: k.mappingFile)
        let batch = try ingest.batch(stream.enumerated().map { i, m in
            DebeziumIngest.Input(bytes: m.value ?? Array("null".utf8), origin: "changes.jsonl:\(i + 1)", noun: "line")
        })
        #expect(try fileLedger.appendSync(batch.submissions).allSatisfy { if case .appended = $0 { true } else { false } })
        #expect(try k.ledger.eventSet() == fileLedger.eventSet())
        for id in [1, 2, 3, 5, 16, 60, 119, 120] {
            let subject = "01/09506000134352/10/LOT-\(id)"
            #expect(try k.ledger.values(subject) == fileLedger.values(subject), "\(subject)")
        }
        #expect(try k.ledger.values("01/09506000134352/10/LOT-1").contains("manufacturing.batchQuantity=2001"))

        // Each partition's offset is the ledger's, up to its last message — also where that message
        // wrote nothing (partition 1 ends with a replay, partition 0 with a tombstone).
        for (p, last) in Self.lastOffsets(stream) {
            #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: p)) == last)
        }
        let size = try k.ledger.size()

        // The same group again: Kafka's offsets and the ledger's agree; nothing is read.
        let again = try await k.consume(k.debezium(), topics: [Self.topic], group: "g1")
        #expect(again.lines.isEmpty && again.summary.messages == 0, "\(again.results.prefix(3))")
        // A group Kafka knows nothing of would start at the beginning: the ledger's positions win.
        let fresh = try await k.consume(k.debezium(), topics: [Self.topic], group: "g2")
        #expect(fresh.lines.isEmpty, "\(fresh.results.prefix(3))")
        #expect(try k.ledger.size() == size)

        // Later changes: a third group reads only them.
        let more: [(partition: Int32, value: [UInt8]?)] = [(0, ChangeEvents.order(id: 200, lsn: 900_000)), (1, ChangeEvents.order(id: 201, lsn: 900_010))]
        try k.produce(Self.topic, more, create: false)
        let last = Self.lastOffsets(stream)
        let third = try await k.consume(k.debezium(), topics: [Self.topic], group: "g3")
        #expect(third.results.sorted() == ["kafka/erp.orders/0@\(last[0]! + 1) appended", "kafka/erp.orders/1@\(last[1]! + 1) appended"])
        #expect(try k.ledger.size() == size + 2)
        #expect(try k.ledger.verify().isIntact)
    }

    @Test("a batch the store cannot commit stops the consumer having written nothing of it; a restart by a group without Kafka offsets applies every later message exactly once")
    func crashMidStream() async throws {
        let armed = Locked(true)
        var options = Ledger.Options()
        options.storeFault = { event in
            if armed.withLock({ $0 }), event.sourceRef.hasPrefix("erp.production_orders/30/") { throw LedgerError(.io, "simulated disk failure") }
        }
        let k = try KafkaFixture(options: options)
        let stream = ChangeEvents.stream(orders: 60)
        try k.produce(Self.topic, stream)
        await #expect(throws: LedgerError.self) {
            _ = try await k.consume(k.debezium(), topics: [Self.topic], group: "g") { $0.batchMessages = 8 }
        }
        // What the ledger holds is exactly the batches reported durable; order 30's batch is not among them.
        let durable = try (0..<2).map { try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: Int32($0))) }
        #expect(durable.contains { $0 != nil }, "some batches were durable before the failure")
        #expect(try k.ledger.recordIndex(source: "erp", sourceRef: "erp.production_orders/30/pg:300:1300") == nil)
        let before = try k.ledger.eventSet()

        armed.withLock { $0 = false }
        let restart = try await k.consume(k.debezium(), topics: [Self.topic], group: "other") { $0.batchMessages = 8 }
        #expect(restart.count(" duplicate") == 0, "nothing applied before the failure is applied again")
        let last = Self.lastOffsets(stream)
        #expect(durable.enumerated().contains { p, offset in (offset ?? -1) < last[Int32(p)]! }, "the failure left messages to read")
        for (p, offset) in durable.enumerated() where (offset ?? -1) < last[Int32(p)]! {
            let firstRead = restart.results.first { $0.hasPrefix("kafka/erp.orders/\(p)@") }
            let next = (offset ?? -1) + 1
            #expect(firstRead?.hasPrefix("kafka/erp.orders/\(p)@\(next) ") == true, "partition \(p) resumes at \(next): \(firstRead ?? "nothing")")
        }
        // Altogether: the same log as one uninterrupted run.
        let dir = TemporaryDirectory()
        let (reference, _) = try Fixtures.store(in: dir, sources: ["erp"])
        var ingest = try DebeziumIngest(ledger: reference, source: "erp", mappingFile: k.mappingFile)
        _ = try reference.appendSync(try ingest.batch(stream.map { DebeziumIngest.Input(bytes: $0.value ?? Array("null".utf8), origin: "x", noun: "line") }).submissions)
        #expect(try k.ledger.eventSet() == reference.eventSet())
        #expect(try k.ledger.eventSet().isSuperset(of: before))
        for (p, last) in last {
            #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: p)) == last)
        }
    }

    @Test("two members of a group share the partitions; when one leaves, the other takes its partitions from the ledger's positions: every message once")
    func rebalance() async throws {
        let k = try KafkaFixture()
        let partitions = 4
        func orders(_ ids: ClosedRange<Int>) -> [(partition: Int32, value: [UInt8]?)] {
            ids.map { (Int32($0 % partitions), ChangeEvents.order(id: $0, lsn: $0 * 10)) }
        }
        try k.produce(Self.topic, partitions: partitions, orders(1...400))
        func consumed() throws -> Int64 {
            try (0..<partitions).reduce(0) { $0 + ((try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: Int32($1)))).map { $0 + 1 } ?? 0) }
        }
        func waitFor(_ n: Int64) async throws {
            let deadline = ContinuousClock.now + .seconds(60)
            while try consumed() < n, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        }
        let (linesA, linesB) = (Locked<[KafkaIngest.Report.Line]>([]), Locked<[KafkaIngest.Report.Line]>([]))
        let a = try k.ingest(k.debezium(), topics: [Self.topic], group: "g", lines: linesA) { $0.batchMessages = 20 }
        let b = try k.ingest(k.debezium(), topics: [Self.topic], group: "g", lines: linesB) { $0.batchMessages = 20 }
        let runA = Task { try await a.run() }
        let runB = Task { try await b.run() }
        try await waitFor(400)
        #expect(!linesA.withLock(\.isEmpty) && !linesB.withLock(\.isEmpty), "both members read partitions")
        b.stop()
        try await runB.value
        // While the group re-forms around the remaining member, more changes arrive.
        try k.produce(Self.topic, partitions: partitions, orders(401...800), create: false)
        try await waitFor(800)
        a.stop()
        try await runA.value
        let results = (linesA.withLock { $0 } + linesB.withLock { $0 }).map { line -> String in
            if case .outcome(let origin, .appended) = line { return origin }
            return "not appended: \(line)"
        }
        #expect(results.count == 800 && Set(results).count == 800, "every message once")
        #expect(results.allSatisfy { $0.hasPrefix("kafka/") }, "\(results.filter { !$0.hasPrefix("kafka/") }.prefix(3))")
        #expect(try k.ledger.eventSet().count == 800)
        for p in 0..<partitions { #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: Int32(p))) == 199) }
    }

    @Test("messages that write nothing (tombstones, unchanged rows) still move the partition's offset, in the transaction of their batch")
    func skipsMoveTheOffset() async throws {
        let k = try KafkaFixture()
        let messages: [(partition: Int32, value: [UInt8]?)] = [
            (0, ChangeEvents.order(id: 2, lsn: 10)), (0, ChangeEvents.order("u", id: 2, lsn: 20)),  // same values: nothing to write
            (0, nil), (1, nil), (1, nil),
        ]
        try k.produce(Self.topic, messages)
        let run = try await k.consume(k.debezium(), topics: [Self.topic], group: "g")
        #expect(run.results.sorted() == [
            "kafka/erp.orders/0@0 appended", "kafka/erp.orders/0@1 skipped: erp.production_orders/2 unchanged (its mapped values equal the last applied ones)",
            "kafka/erp.orders/0@2 skipped: tombstone (the Kafka marker after a delete)",
            "kafka/erp.orders/1@0 skipped: tombstone (the Kafka marker after a delete)", "kafka/erp.orders/1@1 skipped: tombstone (the Kafka marker after a delete)",
        ], "\(run.results)")
        #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: 0)) == 2)
        #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: 1)) == 1)
        #expect(try k.ledger.eventSet().count == 1)
        let again = try await k.consume(k.debezium(), topics: [Self.topic], group: "new")
        #expect(again.lines.isEmpty, "\(again.results)")
    }

    @Test("a message over 1 MiB is rejected too-large unread; quarantine keeps its first 4,096 bytes with its length and SHA-256")
    func oversizedMessage() throws {
        let k = try KafkaFixture()
        var ingest = try DebeziumIngest(ledger: k.ledger, source: "erp", mappingFile: k.mappingFile)
        let big = Array(#"{"before":null,"after":{"pad":""#.utf8) + [UInt8](repeating: 0x61, count: 1 << 20) + Array(#""}}"#.utf8)
        let batch = try ingest.batch([
            DebeziumIngest.Input(bytes: big, origin: "kafka/cdc/0@7", noun: "message"),
            DebeziumIngest.Input(bytes: ChangeEvents.order(id: 1, lsn: 10), origin: "kafka/cdc/0@8", noun: "message"),
        ])
        let outcomes = try k.ledger.appendSync(batch.submissions)
        guard case .rejected(let error, let id?) = outcomes[0] else {
            Issue.record("\(outcomes[0])")
            return
        }
        #expect(error.code == .tooLarge && error.message.hasPrefix("the message is \(big.count) bytes"), "\(error)")
        let entry = try k.ledger.quarantineEntry(id: id)
        #expect(entry.origin == "kafka/cdc/0@7" && entry.raw == Array(big.prefix(4096)) && entry.truncated?.length == big.count)
        #expect(outcomes[1].record != nil)
    }

    @Test("malformed messages are kept in quarantine with their Kafka origin and the rest is consumed; after a mapping fix, quarantine retry maps them again")
    func malformedIsQuarantined() async throws {
        let k = try KafkaFixture()
        let unmapped = ChangeEvents.order(id: 3, lsn: 30, table: "production_orders_eu")
        try k.produce("cdc", partitions: 1, [
            (0, ChangeEvents.order(id: 1, lsn: 10)), (0, Array("not json {".utf8)), (0, Array(#"{"hello":"world"}"#.utf8)), (0, unmapped),
            (0, ChangeEvents.order(id: 2, lsn: 20)),
        ])
        let run = try await k.consume(k.debezium(), topics: ["cdc"], group: "g")
        #expect(run.results == ["kafka/cdc/0@0 appended", "kafka/cdc/0@1 rejected", "kafka/cdc/0@2 rejected", "kafka/cdc/0@3 rejected", "kafka/cdc/0@4 appended"])
        #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: "cdc", partition: 0)) == 4)
        let entries = try k.ledger.quarantineEntries()
        #expect(entries.map(\.origin) == ["kafka/cdc/0@1", "kafka/cdc/0@2", "kafka/cdc/0@3"])
        #expect(entries.map(\.code) == ["malformed-json", "invalid-event", "invalid-event"])
        #expect(entries[2].raw == unmapped)
        #expect(entries[2].reasons.joined().contains("table erp.production_orders_eu is not in the mapping"), "\(entries[2].reasons)")
        #expect(entries.allSatisfy { $0.intake["connector"] == "debezium" && $0.intake["mapping"]?.stringValue == k.mappingFile })

        // The mapping learns the table; the entry is mapped again from its kept bytes.
        let fixed = ChangeEvents.mapping + "\n" + ChangeEvents.mapping.split(separator: "\n").dropFirst(2).joined(separator: "\n")
            .replacingOccurrences(of: "erp.production_orders:", with: "erp.production_orders_eu:") + "\n"
        try Data(fixed.utf8).write(to: URL(fileURLWithPath: k.mappingFile))
        guard case .appended(let ref) = try k.ledger.retryQuarantine(id: entries[2].id) else {
            Issue.record("the retry did not append: \(try k.ledger.quarantineEntry(id: entries[2].id).reasons)")
            return
        }
        #expect(ref.subject == "01/09506000134352/10/LOT-3")
        #expect(try k.ledger.quarantineEntry(id: entries[2].id).status == .resolved)
        // The consumer does not read the quarantined messages again.
        let again = try await k.consume(k.debezium(), topics: ["cdc"], group: "g2")
        #expect(again.lines.isEmpty)
    }

    @Test("with --exit-when-idle, a partition whose broker stops answering after the assignment ends the run with an error naming it, not a wait without end; what was read is durable")
    func brokerGoneAfterAssignment() async throws {
        let k = try KafkaFixture(brokers: 2)
        try k.cluster.createTopic(Self.topic, partitions: 2)
        try k.cluster.setLeader(topic: Self.topic, partition: 0, broker: 1)
        try k.cluster.setLeader(topic: Self.topic, partition: 1, broker: 2)
        try k.cluster.setCoordinator(group: "g", broker: 1)
        let stream = ChangeEvents.stream(orders: 20)
        try k.produce(Self.topic, stream, create: false)
        try k.cluster.setBroker(2, up: false)

        let lines = Locked<[KafkaIngest.Report.Line]>([])
        let ingest = try k.ingest(k.debezium(), topics: [Self.topic], group: "g", lines: lines) { options in
            options.exitWhenIdle = .milliseconds(300)
            options.assignmentTimeout = .seconds(5)  // joining the group takes 3 s
        }
        let started = ContinuousClock.now
        let error = try #require(throws: KafkaError.self) { try ingest.consume() }
        #expect(ContinuousClock.now - started < .seconds(30), "the run ended on its own")
        #expect(error.description.contains("\(Self.topic)/1 was assigned but not read to the end"), "\(error)")
        #expect(!error.description.contains("\(Self.topic)/0"), "partition 0 was read to its end: \(error)")
        // Partition 0, led by the broker still up, was read whole and is durable; partition 1 not at all.
        #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: 0)) == Self.lastOffsets(stream)[0])
        #expect(try k.ledger.kafkaOffset(KafkaPartition(topic: Self.topic, partition: 1)) == nil)
        #expect(lines.withLock { $0 }.count == stream.filter { $0.partition == 0 }.count)
    }
}
