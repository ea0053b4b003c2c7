import Foundation
import PassportIngest
import PassportKafka
import PassportKafkaTesting
import PassportLedger
import PassportModel
import PassportTestSupport

/// A mock Kafka cluster, a store with the sources `erp` and `wms`, and the demo mapping file.
struct KafkaFixture {
    let dir = TemporaryDirectory()
    let cluster: KafkaMockCluster
    let ledger: Ledger
    let mappingFile: String

    init(options: Ledger.Options = .init(), brokers: Int = 1) throws {
        cluster = try KafkaMockCluster(brokers: brokers)
        (ledger, _) = try Fixtures.store(in: dir, sources: ["erp", "wms"], options: options)
        mappingFile = dir.path("mapping.yaml").path
        try Data(ChangeEvents.mapping.utf8).write(to: URL(fileURLWithPath: mappingFile))
    }

    /// Creates `topic` and sends `messages` to it, waiting until they are delivered.
    func produce(_ topic: String, partitions: Int = 2, _ messages: [(partition: Int32, value: [UInt8]?)], create: Bool = true) throws {
        if create { try cluster.createTopic(topic, partitions: partitions) }
        for m in messages { try cluster.produce(topic: topic, partition: m.partition, value: m.value) }
        try cluster.flush()
    }

    func debezium() throws -> KafkaIngest.Connector {
        .debezium(try DebeziumIngest(ledger: ledger, source: "erp", mappingFile: mappingFile))
    }

    func epcis() throws -> KafkaIngest.Connector {
        .epcis(try EPCISIngest(ledger: ledger, source: "wms"))
    }

    /// What one run of a consumer did.
    struct Run {
        let summary: KafkaIngest.Summary
        let lines: [KafkaIngest.Report.Line]
        let warnings: [KafkaError]

        /// `origin result` of each line (`kafka/t/0@3 appended`, `… skipped`, `… rejected`).
        var results: [String] {
            lines.map { line in
                switch line {
                case .outcome(let origin, .appended): "\(origin) appended"
                case .outcome(let origin, .duplicate): "\(origin) duplicate"
                case .outcome(let origin, .rejected): "\(origin) rejected"
                case .skipped(let origin, let reason): "\(origin) skipped: \(reason)"
                case .kept(let origin, _): "\(origin) kept"
                }
            }
        }

        /// How many results contain `text`.
        func count(_ text: String) -> Int { results.filter { $0.contains(text) }.count }
    }

    /// A consumer of `topics` in `group`, collecting what it reports into `lines`.
    func ingest(
        _ connector: KafkaIngest.Connector, topics: [String], group: String, lines: Locked<[KafkaIngest.Report.Line]>,
        warnings: Locked<[KafkaError]> = Locked([]), configure: (inout KafkaIngest.Options) -> Void = { _ in }
    ) throws -> KafkaIngest {
        var options = KafkaIngest.Options(
            bootstrapServers: cluster.bootstrapServers, topics: topics, group: group, kafka: KafkaMockCluster.consumerProperties)
        options.batchWait = .milliseconds(20)
        configure(&options)
        return try KafkaIngest(
            ledger: ledger, connector: connector, options: options,
            report: { r in lines.withLock { $0 += r.lines } }, warning: { e in warnings.withLock { $0.append(e) } })
    }

    /// Runs a consumer of `topics` in `group` until idle (1.5 s), as a service would.
    func consume(
        _ connector: KafkaIngest.Connector, topics: [String], group: String, configure: (inout KafkaIngest.Options) -> Void = { _ in }
    ) async throws -> Run {
        let lines = Locked<[KafkaIngest.Report.Line]>([])
        let warnings = Locked<[KafkaError]>([])
        let ingest = try ingest(connector, topics: topics, group: group, lines: lines, warnings: warnings) { options in
            options.exitWhenIdle = .milliseconds(1500)
            configure(&options)
        }
        try await ingest.run()
        return Run(summary: ingest.summary!, lines: lines.withLock { $0 }, warnings: warnings.withLock { $0 })
    }
}

extension Ledger {
    /// The canonical bytes of every event of `source` in the log, as a set (what was written,
    /// whatever the order).
    func eventSet(source: String = "erp") throws -> Set<[UInt8]> {
        Set(try (0..<size()).map { try record($0).event }.filter { $0.source == source }.map(\.canonicalBytes))
    }

    /// Every passport value of `subject`, as `path=value` lines.
    func values(_ subject: String) throws -> [String] {
        try passport(try Subject(subject)).entries.map { "\($0.path)=\(CanonicalJSON.string($0.value))" }.sorted()
    }
}
