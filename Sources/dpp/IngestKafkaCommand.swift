import ArgumentParser
import Foundation
import Logging
import PassportIngest
import PassportKafka
import PassportLedger
import PassportModel
import ServiceLifecycle

extension IngestCommand {
    struct Kafka: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kafka",
            abstract: "Consume Kafka topics of Debezium change events or EPCIS documents into the store, exactly-once in effect.",
            discussion: """
                Joins consumer group --group, reads --topic (one or more) from --bootstrap-servers and maps each message \
                with --connector: debezium (each value a change event, null a tombstone; --mapping) or epcis (each value a \
                document; --locations), as dpp ingest debezium and dpp ingest epcis map files (Specs/connectors/kafka.md). \
                Each message's offset is kept in the store with what it produced, in one transaction; on assignment every \
                partition is read from the store's position on, whatever Kafka committed, so nothing is applied twice or \
                lost across restarts, crashes and rebalances. Offsets are committed to Kafka too, for lag tools. A message \
                that cannot be mapped is kept in quarantine (origin kafka/<topic>/<partition>@<offset>; dpp quarantine retry \
                maps it again). --kafka-config is a librdkafka properties file (key=value: security.protocol, sasl.*, ssl.*), \
                readable by its owner only; its values are never printed. Runs until SIGINT or SIGTERM (the batch in hand is \
                finished and committed) or, with --exit-when-idle, once every partition is read to its end and no message came for that long (exit 1 if a partition \
                is still not read to its end after 30 s without a message: its broker stopped answering). One result line per message (per EPCIS \
                event), like the file connectors, and a summary on stderr.

                """ + exitCodes("3 some input was rejected (kept in quarantine), "))
        @OptionGroup var store: StoreOptions
        @Option(help: ArgumentHelp("The brokers to start from.", valueName: "HOST:PORT[,HOST:PORT…]")) var bootstrapServers: String
        @Option(help: "A topic to consume (repeat for more; ^ starts a regular expression).") var topic: [String]
        @Option(help: "The consumer group (partitions are shared among its members).") var group: String
        @Option(help: "debezium or epcis.") var connector: Connector
        @Option(help: "The source system whose key signs the events (e.g. erp-sap).") var source: String
        @Option(help: "Debezium: the mapping file (YAML).") var mapping: String?
        @Option(help: ArgumentHelp("EPCIS: a JSON object of GLN → ISO 3166 country code, for destinations without master data.", valueName: "FILE"))
        var locations: String?
        @Option(help: ArgumentHelp("librdkafka properties, key=value lines (security, SASL, TLS); mode 0600.", valueName: "FILE"))
        var kafkaConfig: String?
        @Option(help: ArgumentHelp("Stop once every assigned partition is read to its end and no message came for this long.", valueName: "SECONDS"))
        var exitWhenIdle: Double?
        @Option(help: "Messages per write transaction (at most).") var batch: Int = 4096
        @Option(help: "text or json.") var format: OutputFormat = .text

        enum Connector: String, ExpressibleByArgument, CaseIterable {
            case debezium, epcis
        }

        func validate() throws {
            if batch < 1 { throw ValidationError("--batch must be at least 1") }
            if topic.isEmpty { throw ValidationError("name a topic: --topic T (repeat for more)") }
            if connector == .debezium && mapping == nil { throw ValidationError("--connector debezium needs --mapping FILE") }
            if connector != .debezium && mapping != nil { throw ValidationError("--mapping is for --connector debezium") }
            if connector != .epcis && locations != nil { throw ValidationError("--locations is for --connector epcis") }
            if let idle = exitWhenIdle, !(idle > 0 && idle < 1e9) { throw ValidationError("--exit-when-idle must be a positive number of seconds") }
        }

        func run() throws {
            try guarded {
                let kafka = try kafkaConfig.map { try KafkaConfiguration.load(file: $0) } ?? KafkaConfiguration()
                let ledger = try store.open()
                let mapper: KafkaIngest.Connector =
                    switch connector {
                    case .debezium: .debezium(try DebeziumIngest(ledger: ledger, source: source, mappingFile: mapping!))
                    case .epcis: .epcis(try EPCISIngest(ledger: ledger, source: source, locationCountries: try readLocations(locations)))
                    }
                var options = KafkaIngest.Options(bootstrapServers: bootstrapServers, topics: topic, group: group, kafka: kafka)
                options.batchMessages = batch
                options.exitWhenIdle = exitWhenIdle.map { .milliseconds(Int64(($0 * 1000).rounded(.up))) }
                let output = KafkaOutput(format: format, name: "kafka \(topic.joined(separator: ","))")
                let ingest = try KafkaIngest(
                    ledger: ledger, connector: mapper, options: options, report: output.print, warning: { printError("\($0)") })
                printError(
                    "consuming \(topic.joined(separator: ", ")) from \(bootstrapServers) as group \(group) into \(ledger.directory.path)"
                        + (exitWhenIdle.map { "; stops when idle for \($0) s" } ?? "") + "; Ctrl-C stops")
                _ = bootstrapLogging
                var logger = Logger(label: "dpp.ingest.kafka")
                logger.logLevel = .warning
                let group = ServiceGroup(
                    configuration: ServiceGroupConfiguration(
                        services: [.init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup)],
                        gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                try runBlocking { try await group.run() }
                output.finish()
                if output.summary.rejected > 0 { throw SomeRejected(count: output.summary.rejected) }
            }
        }
    }
}

/// Prints the results of `dpp ingest kafka` as the file connectors do, and counts them. Used by
/// the consuming thread while it runs, then by the command once it has ended.
final class KafkaOutput {
    let format: OutputFormat
    var summary: AppendSummary
    var kept = 0

    init(format: OutputFormat, name: String) {
        self.format = format
        summary = AppendSummary(name: name, emptyReason: "no message past the store's positions")
    }

    func print(_ report: KafkaIngest.Report) {
        var out = ""
        for line in report.lines {
            switch line {
            case .outcome(let origin, let outcome):
                out += describeOutcome(origin: origin, outcome, format: format) + "\n"
                summary.count(outcome)
            case .skipped(let origin, let reason):
                out += describeSkip(origin: origin, reason: reason, format: format) + "\n"
                summary.skip()
            case .kept(let origin, let reason):
                out += describeKept(origin: origin, reason: reason, format: format) + "\n"
                kept += 1
            }
        }
        writeOut(out)
        summary.showProgress()
    }

    func finish() {
        summary.finish()
        if kept > 0 { printError("\(kept) EPCIS event(s) the passport does not show were kept (input.kept, signed by the ledger)") }
    }
}
