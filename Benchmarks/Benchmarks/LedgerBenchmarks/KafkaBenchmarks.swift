// The Kafka consumer (issue 8): Debezium change events from a topic to durable records, through
// librdkafka's mock cluster in this process (no broker: network and broker costs are not measured).
import Benchmark
import Foundation
import PassportIngest
import PassportKafka
import PassportKafkaTesting
import PassportLedger

enum KafkaState {
    nonisolated(unsafe) static var cluster: KafkaMockCluster?
    nonisolated(unsafe) static var ledger: Ledger?
    nonisolated(unsafe) static var mappingFile = ""
    nonisolated(unsafe) static var next = 0
    nonisolated(unsafe) static var iteration = 0
}

func kafkaBenchmarks() {
    Benchmark(
        "Ingest Debezium change events from Kafka (mock cluster, 2 partitions), end to end, durable",
        configuration: .init(metrics: [.wallClock, .peakMemoryResident, .custom("events/s", polarity: .prefersLarger)], maxIterations: 6),
        closure: { benchmark in
            let (cluster, ledger) = (KafkaState.cluster!, KafkaState.ledger!)
            // Not measured: producing the iteration's envelopes (a producer elsewhere in production).
            for id in KafkaState.next..<(KafkaState.next + perIteration) {
                try! cluster.produce(topic: "erp.orders", partition: Int32(id % 2), value: orderEnvelope(id))
            }
            try! cluster.flush()
            KafkaState.next += perIteration
            KafkaState.iteration += 1
            // A new group each iteration: it starts where the ledger stands, as after a restart.
            var options = KafkaIngest.Options(
                bootstrapServers: cluster.bootstrapServers, topics: ["erp.orders"], group: "bench-\(KafkaState.iteration)",
                kafka: KafkaMockCluster.consumerProperties)
            options.exitWhenIdle = .milliseconds(500)
            // Reports come on this thread (consume() runs here).
            final class Count { var appended = 0 }
            let count = Count()
            let ingest = try! KafkaIngest(
                ledger: ledger, connector: .debezium(try! DebeziumIngest(ledger: ledger, source: "erp", mappingFile: KafkaState.mappingFile)),
                options: options,
                report: { r in
                    let n = r.lines.filter { if case .outcome(_, .appended) = $0 { true } else { false } }.count
                    count.appended += n
                })
            benchmark.startMeasurement()
            let summary = try! ingest.consume()
            benchmark.stopMeasurement()
            precondition(count.appended == perIteration, "every change must be appended, got \(count.appended)")
            // From the first message read to the last batch durable: the group join (3 s in the mock
            // cluster) and the idle wait at the end are in the wall clock, not in this figure.
            benchmark.measurement(.custom("events/s", polarity: .prefersLarger), Int(Double(summary.messages) / summary.busySeconds))
        },
        setup: {
            let url = benchRoot.appendingPathComponent("ingest-kafka")
            try? FileManager.default.removeItem(at: url)
            let ledger = try Ledger.create(at: url, origin: "bench.example/log")
            try ledger.addKey(name: "erp", kind: "erp")
            KafkaState.mappingFile = benchRoot.appendingPathComponent("kafka-debezium-mapping.yaml").path
            try Data(debeziumMapping.utf8).write(to: URL(fileURLWithPath: KafkaState.mappingFile))
            let cluster = try KafkaMockCluster()
            try cluster.createTopic("erp.orders", partitions: 2)
            (KafkaState.cluster, KafkaState.ledger, KafkaState.next, KafkaState.iteration) = (cluster, ledger, 0, 0)
        },
        teardown: { (KafkaState.cluster, KafkaState.ledger) = (nil, nil) })
}
