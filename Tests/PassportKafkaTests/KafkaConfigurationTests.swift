import Foundation
import PassportIngest
import PassportKafka
import PassportLedger
import PassportTestSupport
import Testing

/// The librdkafka properties file holds credentials: it must be the owner's alone, and no error
/// ever shows a value. Brokers that cannot be reached are reported by name.
@Suite("Kafka: configuration and broker errors")
struct KafkaConfigurationTests {
    static let secret = "s3cr3t-Pa55"

    func file(_ text: String, mode: Int) throws -> (TemporaryDirectory, String) {
        let dir = TemporaryDirectory()
        let path = dir.path("kafka.properties").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
        return (dir, path)
    }

    @Test("a properties file is read: comments and blank lines skipped, white space trimmed, the last value of a key wins")
    func reads() throws {
        let (dir, path) = try file("# SASL\n\nsecurity.protocol = SASL_SSL\r\n! old style comment\nsasl.password=\(Self.secret)=x\nsecurity.protocol=SASL_PLAINTEXT\n", mode: 0o600)
        defer { withExtendedLifetime(dir) {} }
        let c = try KafkaConfiguration.load(file: path)
        #expect(c.properties.map(\.key) == ["sasl.password", "security.protocol"])
        #expect(c["sasl.password"] == "\(Self.secret)=x" && c["security.protocol"] == "SASL_PLAINTEXT")
        #expect(c.properties[1].origin == "kafka.properties line 6")
    }

    @Test("a file open to the group or others is refused, saying how to fix it", arguments: [0o640, 0o604, 0o644, 0o660])
    func refusesOpenFiles(mode: Int) throws {
        let (dir, path) = try file("sasl.password=\(Self.secret)\n", mode: mode)
        defer { withExtendedLifetime(dir) {} }
        let error = try #require(throws: KafkaError.self) { try KafkaConfiguration.load(file: path) }
        #expect(error.code == .configuration)
        #expect(error.description.contains("chmod 600 \(path)") && error.description.contains("mode \(String(mode, radix: 8))"), "\(error)")
        #expect(!error.description.contains(Self.secret))
    }

    @Test("a line that is not key=value is named by number, without its text")
    func badLine() throws {
        let (dir, path) = try file("security.protocol=SSL\n\(Self.secret)\n", mode: 0o600)
        defer { withExtendedLifetime(dir) {} }
        let error = try #require(throws: KafkaError.self) { try KafkaConfiguration.load(file: path) }
        #expect(error.description.contains("kafka.properties line 2: expected key=value"), "\(error)")
        #expect(!error.description.contains(Self.secret))
    }

    @Test("properties the consumer sets itself are refused; a value librdkafka refuses is named by its key, never shown")
    func reservedAndInvalid() async throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["wms"])
        let ingest = try EPCISIngest(ledger: ledger, source: "wms")
        for key in KafkaIngest.Options.reservedProperties {
            var kafka = KafkaConfiguration()
            kafka.set(key, "x", origin: "kafka.properties line 1")
            let options = KafkaIngest.Options(bootstrapServers: "127.0.0.1:1", topics: ["t"], group: "g", kafka: kafka)
            let error = try #require(throws: KafkaError.self) { try KafkaIngest(ledger: ledger, connector: .epcis(ingest), options: options) }
            #expect(error.description.contains("kafka.properties line 1: \(key) is set by the consumer itself"), "\(error)")
        }
        for (key, value) in [("security.protocol", Self.secret), ("no.such.property", Self.secret)] {
            var kafka = KafkaConfiguration()
            kafka.set(key, value, origin: "kafka.properties line 3")
            let options = KafkaIngest.Options(bootstrapServers: "127.0.0.1:1", topics: ["t"], group: "g", kafka: kafka)
            let consumer = try KafkaIngest(ledger: ledger, connector: .epcis(ingest), options: options)
            let error = try #require(throws: KafkaError.self) { try consumer.consume() }
            #expect(error.description.contains("kafka.properties line 3: \(key)"), "\(error)")
            #expect(!error.description.contains(Self.secret), "\(error)")
        }
    }

    @Test("unreachable brokers are reported by name while the consumer waits, and it stops with an error when no partition comes")
    func unreachableBroker() async throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["wms"])
        var options = KafkaIngest.Options(bootstrapServers: "127.0.0.1:1", topics: ["wms.epcis"], group: "g")
        options.exitWhenIdle = .milliseconds(500)
        options.assignmentTimeout = .seconds(2)
        let warnings = Locked<[KafkaError]>([])
        let size = try ledger.size()
        let ingest = try KafkaIngest(
            ledger: ledger, connector: .epcis(try EPCISIngest(ledger: ledger, source: "wms")), options: options,
            warning: { e in warnings.withLock { $0.append(e) } })
        let error = try #require(throws: KafkaError.self) { try ingest.consume() }
        #expect(error.description.contains("no partition of wms.epcis was assigned") && error.description.contains("brokers 127.0.0.1:1"), "\(error)")
        let seen = warnings.withLock { $0 }
        #expect(seen.contains { $0.description.contains("127.0.0.1:1") && $0.kafkaError != nil }, "\(seen)")
        #expect(try ledger.size() == size)
    }

    @Test("offsets are kept as 8 big-endian bytes, whose byte order is number order")
    func offsetEncoding() {
        let offsets: [Int64] = [0, 1, 255, 256, 65_535, 1 << 40, Int64.max]
        let encoded = offsets.map { KafkaPartition.encode(offset: $0) }
        #expect(encoded.allSatisfy { $0.count == 8 })
        #expect(encoded.map { KafkaPartition.decode(offset: $0)! } == offsets)
        #expect(zip(encoded, encoded.dropFirst()).allSatisfy { $0.lexicographicallyPrecedes($1) })
        #expect(KafkaPartition.decode(offset: [1, 2, 3]) == nil)
        #expect(KafkaPartition(topic: "erp.orders", partition: 3).stream == "kafka/erp.orders/3")
    }
}
