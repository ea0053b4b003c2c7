import Foundation
import PassportKafkaTesting
import PassportLedger
import PassportModel
import PassportTestSupport
import Testing

/// `dpp ingest kafka` against librdkafka's mock cluster (running in this process; `dpp` connects
/// to it over localhost): the results of the file connector, nothing twice across runs, SIGTERM
/// and SIGKILL.
@Suite("dpp ingest kafka", .serialized)
struct KafkaIngestCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }
    static let fixtures = CLI.packageRoot.appendingPathComponent("Tests/PassportIngestTests/Fixtures/debezium")
    static let secret = "s3cr3t-Pa55"

    func dpp(_ args: [String]) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], in: dir.url)
    }

    /// A properties file for the mock cluster (a short session timeout: see KafkaMockCluster), owner-only.
    func properties(mode: Int = 0o600, extra: String = "") throws -> String {
        let path = dir.path("kafka-\(mode).properties").path
        try Data("# mock cluster\nsession.timeout.ms=6000\nheartbeat.interval.ms=1000\n\(extra)".utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return path
    }

    func kafka(_ cluster: KafkaMockCluster, topic: String, group: String, mapping: String, _ extra: [String] = []) -> [String] {
        ["ingest", "kafka", "--bootstrap-servers", cluster.bootstrapServers, "--topic", topic, "--group", group, "--connector", "debezium",
            "--source", "erp-sap", "--mapping", mapping] + extra
    }

    /// The store's offset of a partition (8 bytes, big-endian), read as a second process would.
    func offset(_ topic: String, _ partition: Int) throws -> Int64? {
        let ledger = try Ledger.open(at: URL(fileURLWithPath: store), readOnly: true)
        return try ledger.sourcePosition("kafka/\(topic)/\(partition)").map { b in Int64(bitPattern: b.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }) }
    }

    /// The events of source `erp-sap` in the store.
    func events() throws -> [Event] {
        let ledger = try Ledger.open(at: URL(fileURLWithPath: store), readOnly: true)
        return try (0..<ledger.size()).map { try ledger.record($0).event }.filter { $0.source == "erp-sap" }
    }

    @Test("Debezium's example streams on a topic give the file connector's results; a second run reads nothing; a properties file open to others is refused without showing its values")
    func debezium() throws {
        #expect(try dpp(["init", "--origin", "cli.example/passports"]).status == 0)
        #expect(try dpp(["keys", "add", "erp-sap", "--kind", "erp"]).status == 0)
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("cdc", partitions: 1)
        var lines: [String] = []
        for file in ["postgresql-stream.jsonl", "mysql-stream.jsonl"] {
            lines += try String(contentsOf: Self.fixtures.appendingPathComponent(file), encoding: .utf8).split(separator: "\n").map(String.init)
        }
        for line in lines { try cluster.produce(topic: "cdc", partition: 0, value: line == "null" ? nil : Array(line.utf8)) }
        try cluster.flush()
        let mapping = Self.fixtures.appendingPathComponent("mapping.yaml").path
        let config = try properties(extra: "sasl.password=\(Self.secret)\n")

        let first = try dpp(kafka(cluster, topic: "cdc", group: "g", mapping: mapping, ["--kafka-config", config, "--exit-when-idle", "1.5"]))
        #expect(first.status == 0, "\(first.stderr)")
        // As `dpp ingest debezium` of the two files (IngestCLITests).
        #expect(first.stderr.contains("kafka cdc: 3 appended, 0 duplicates (nothing written), 7 skipped (nothing to write), 0 rejected"), "\(first.stderr)")
        #expect(first.stdout.contains("kafka/cdc/0@3 skipped: tombstone"), "\(first.stdout)")
        #expect(first.stdout.split(separator: "\n").count == lines.count)
        #expect(try offset("cdc", 0) == Int64(lines.count - 1))
        #expect(!first.stderr.contains(Self.secret) && !first.stdout.contains(Self.secret))
        // Where the store stands: the partition's offset, and each row's state beside it.
        let positions = try dpp(["positions", "kafka/"])
        #expect(positions.status == 0 && positions.stdout == "kafka/cdc/0  offset \(lines.count - 1)\n", "\(positions.stdout)\(positions.stderr)")
        let rows = try dpp(["positions", "debezium/", "--format", "json"]).stdout.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
        #expect(!rows.isEmpty && rows.allSatisfy { $0.objectValue?["stream"]?.stringValue?.hasPrefix("debezium/") == true && $0.objectValue?["state"]?.objectValue != nil }, "\(rows)")
        #expect(try dpp(["positions"]).stdout.split(separator: "\n").count == rows.count + 1)

        let again = try dpp(kafka(cluster, topic: "cdc", group: "g2", mapping: mapping, ["--kafka-config", config, "--exit-when-idle", "1.5", "--format", "json"]))
        #expect(again.status == 0 && again.stdout.isEmpty, "\(again.stdout)\(again.stderr)")
        #expect(again.stderr.contains("kafka cdc: no events (no message past the store's positions)"), "\(again.stderr)")

        let open = try properties(mode: 0o644, extra: "sasl.password=\(Self.secret)\n")
        let refused = try dpp(kafka(cluster, topic: "cdc", group: "g", mapping: mapping, ["--kafka-config", open]))
        #expect(refused.status == 1 && refused.stderr.contains("chmod 600"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(Self.secret))
        let usage = try dpp(["ingest", "kafka", "--bootstrap-servers", cluster.bootstrapServers, "--topic", "cdc", "--group", "g", "--connector", "debezium", "--source", "erp-sap"])
        #expect(usage.status == 64 && usage.stderr.contains("--connector debezium needs --mapping FILE"), "\(usage.stderr)")
    }

    @Test("SIGTERM finishes the batch in hand and exits 0; SIGKILL mid-stream loses nothing: the next run applies every change exactly once")
    func signals() throws {
        #expect(try dpp(["init", "--origin", "cli.example/passports"]).status == 0)
        #expect(try dpp(["keys", "add", "erp-sap", "--kind", "erp"]).status == 0)
        let mapping = dir.path("mapping.yaml").path
        try Data(ChangeEvents.mapping.utf8).write(to: URL(fileURLWithPath: mapping))
        let config = try properties()
        let cluster = try KafkaMockCluster()
        try cluster.createTopic("orders", partitions: 2)
        let total = 6000
        for id in 1...total { try cluster.produce(topic: "orders", partition: Int32(id % 2), value: ChangeEvents.order(id: id, lsn: id * 10)) }
        try cluster.flush()

        /// Messages the store holds as consumed.
        func consumed() -> Int64 {
            ((try? offset("orders", 0)).flatMap { $0 }.map { $0 + 1 } ?? 0) + ((try? offset("orders", 1)).flatMap { $0 }.map { $0 + 1 } ?? 0)
        }
        /// Starts dpp and waits until the store holds at least `messages` as consumed.
        func startAndWait(group: String, messages: Int) throws -> Process {
            let p = try CLI.start(kafka(cluster, topic: "orders", group: group, mapping: mapping, ["--kafka-config", config, "--batch", "200", "--store", store]),
                log: dir.path("\(group).log"), in: dir.url)
            let deadline = Date().addingTimeInterval(60)
            while p.isRunning, Date() < deadline, consumed() < messages { Thread.sleep(forTimeInterval: 0.02) }
            return p
        }

        let term = try startAndWait(group: "a", messages: 500)
        term.terminate()  // SIGTERM
        term.waitUntilExit()
        let log = try String(contentsOf: dir.path("a.log"), encoding: .utf8)
        #expect(term.terminationStatus == 0, "\(log.suffix(2000))")
        #expect(log.contains("kafka orders: ") && log.contains(" appended, 0 duplicates"), "\(log.suffix(500))")
        let afterTerm = try events().count
        #expect(afterTerm >= 500 && afterTerm < total, "stopped mid-stream: \(afterTerm)")
        #expect(consumed() == Int64(afterTerm), "each message consumed is in the store, and no other")

        let kill = try startAndWait(group: "b", messages: afterTerm + 1000)
        let stillRunning = kill.isRunning
        if stillRunning { Foundation.kill(kill.processIdentifier, SIGKILL) }
        kill.waitUntilExit()
        #expect(stillRunning, "dpp ended before it could be killed: \((try? String(contentsOf: dir.path("b.log"), encoding: .utf8))?.suffix(500) ?? "")")

        let rest = try dpp(kafka(cluster, topic: "orders", group: "c", mapping: mapping, ["--kafka-config", config, "--exit-when-idle", "1.5"]))
        #expect(rest.status == 0, "\(rest.stderr)")
        #expect(!rest.stdout.contains(" duplicate "), "nothing applied before the kill is read again")
        let all = try events()
        #expect(all.count == total)
        #expect(Set(all.map(\.sourceRef)).count == total)
        #expect(try offset("orders", 0) == Int64(total / 2 - 1) && offset("orders", 1) == Int64(total / 2 - 1))
        #expect(try dpp(["verify"]).status == 0)
    }
}
