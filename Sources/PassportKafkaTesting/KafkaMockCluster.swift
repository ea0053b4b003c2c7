import CRdKafka
import Foundation
import PassportKafka

/// An in-process Kafka cluster (librdkafka's mock cluster) and a producer writing to it, for tests
/// and benchmarks: consumers connect to ``bootstrapServers`` as to real brokers (also from another
/// process, over localhost), and no broker needs to be installed.
///
/// The cluster lives as long as this value. Its consumer-group coordinator waits 3 s before the
/// first rebalance of a group (as a broker's `group.initial.rebalance.delay.ms`); consumers should
/// use ``consumerProperties``.
public final class KafkaMockCluster: @unchecked Sendable {
    // @unchecked: librdkafka's producer and mock cluster are thread-safe; the handles are written
    // only in init and released only in deinit; `topics` is reached only under `topicsLock`.
    private let producer: OpaquePointer
    private let cluster: OpaquePointer
    private let reports: Unmanaged<DeliveryReports>
    private var topics: [String: OpaquePointer] = [:]
    private let topicsLock = NSLock()

    /// Consumer properties for this cluster: a 6 s session timeout. The mock's group coordinator
    /// re-forms a group that a member left only after that member's session timeout (less 1 s),
    /// so with librdkafka's default (45 s) a consumer that restarts in the same group waits 44 s.
    public static var consumerProperties: KafkaConfiguration {
        var c = KafkaConfiguration()
        c.set("session.timeout.ms", "6000")
        c.set("heartbeat.interval.ms", "1000")
        return c
    }

    /// Where consumers connect: `host:port[,…]`.
    public let bootstrapServers: String

    /// Starts a cluster of `brokers` brokers.
    /// - Throws: ``KafkaError`` if librdkafka cannot start it.
    public init(brokers: Int = 1) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(.client, "librdkafka could not allocate a configuration") }
        var errstr = [CChar](repeating: 0, count: 512)
        // The producer owns the mock cluster it creates for this property, and produces to it.
        for (k, v) in [("test.mock.num.brokers", String(brokers)), ("linger.ms", "5"), ("log_level", "3")] {
            guard rd_kafka_conf_set(conf, k, v, &errstr, errstr.count) == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                throw KafkaError(.configuration, "\(k): \(text(of: errstr))")
            }
        }
        let box = Unmanaged.passRetained(DeliveryReports())
        rd_kafka_conf_set_opaque(conf, box.toOpaque())
        rd_kafka_conf_set_dr_msg_cb(conf, deliveryReport)
        guard let rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            box.release()
            throw KafkaError(.client, "the mock cluster's producer could not be created: \(text(of: errstr))")
        }
        guard let mock = rd_kafka_handle_mock_cluster(rk) else {
            rd_kafka_destroy(rk)
            box.release()
            throw KafkaError(.client, "librdkafka did not start a mock cluster")
        }
        producer = rk
        cluster = mock
        reports = box
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(mock))
    }

    deinit {
        _ = rd_kafka_flush(producer, 5000)
        for (_, t) in topics { rd_kafka_topic_destroy(t) }
        rd_kafka_destroy(producer)  // destroys the mock cluster it owns
        reports.release()
    }

    /// Creates a topic.
    /// - Throws: ``KafkaError`` if the cluster refuses it.
    public func createTopic(_ name: String, partitions: Int) throws(KafkaError) {
        try check(rd_kafka_mock_topic_create(cluster, name, Int32(partitions), 1), .client, "creating topic \(name)", brokers: bootstrapServers)
    }

    /// Makes `broker` (1 to the number of brokers) lead `partition` of `topic`.
    /// - Throws: ``KafkaError`` if the cluster refuses it.
    public func setLeader(topic: String, partition: Int32, broker: Int32) throws(KafkaError) {
        try check(
            rd_kafka_mock_partition_set_leader(cluster, topic, partition, broker), .client, "moving \(topic)/\(partition) to broker \(broker)",
            brokers: bootstrapServers)
    }

    /// Makes `broker` the coordinator of consumer group `group`.
    /// - Throws: ``KafkaError`` if the cluster refuses it.
    public func setCoordinator(group: String, broker: Int32) throws(KafkaError) {
        try check(rd_kafka_mock_coordinator_set(cluster, "group", group, broker), .client, "making broker \(broker) coordinate \(group)", brokers: bootstrapServers)
    }

    /// Takes `broker` down (it closes its connections and refuses new ones) or brings it up again.
    /// - Throws: ``KafkaError`` if the cluster refuses it.
    public func setBroker(_ broker: Int32, up: Bool) throws(KafkaError) {
        let rc = up ? rd_kafka_mock_broker_set_up(cluster, broker) : rd_kafka_mock_broker_set_down(cluster, broker)
        try check(rc, .client, "taking broker \(broker) \(up ? "up" : "down")", brokers: bootstrapServers)
    }

    /// Sends a message to a partition (asynchronously; ``flush()`` waits for delivery).
    /// - Parameters:
    ///   - topic: the topic (created beforehand).
    ///   - partition: the partition.
    ///   - key: the key, if any.
    ///   - value: the value; nil sends a null value (a tombstone).
    /// - Throws: ``KafkaError`` if the producer refuses it.
    public func produce(topic: String, partition: Int32, key: [UInt8]? = nil, value: [UInt8]?) throws(KafkaError) {
        let rkt = topicHandle(topic)
        while true {
            let rc = value.withOptionalBytes { v in
                key.withOptionalBytes { k in
                    rd_kafka_produce(
                        rkt, partition, crdkafka_msg_f_copy(), UnsafeMutableRawPointer(mutating: v.baseAddress), v.count,
                        k.baseAddress, k.count, nil)
                }
            }
            if rc == 0 { return }
            let err = rd_kafka_last_error()
            guard err == RD_KAFKA_RESP_ERR__QUEUE_FULL else {
                try check(err, .produce, "producing to \(topic)/\(partition)", brokers: bootstrapServers, topic: topic, partition: partition)
                return
            }
            rd_kafka_poll(producer, 10)
        }
    }

    /// Waits until every message sent is delivered.
    /// - Throws: ``KafkaError`` if some could not be, or not within 30 s.
    public func flush() throws(KafkaError) {
        try check(rd_kafka_flush(producer, 30_000), .produce, "delivering messages", brokers: bootstrapServers)
        let failed = reports.takeUnretainedValue().takeFailures()
        if failed > 0 { throw KafkaError(.produce, "\(failed) message(s) could not be delivered", brokers: bootstrapServers) }
    }

    private func topicHandle(_ name: String) -> OpaquePointer {
        topicsLock.withLock {
            if let t = topics[name] { return t }
            let t = rd_kafka_topic_new(producer, name, nil)!
            topics[name] = t
            return t
        }
    }
}

/// Counts failed deliveries (librdkafka calls back from `rd_kafka_poll`/`rd_kafka_flush`).
final class DeliveryReports: @unchecked Sendable {
    // @unchecked: `failures` is read and written under `lock` only.
    private let lock = NSLock()
    private var failures = 0

    func failed() { lock.withLock { failures += 1 } }

    func takeFailures() -> Int {
        lock.withLock {
            defer { failures = 0 }
            return failures
        }
    }
}

/// `dr_msg_cb`: a C function pointer; the counter comes through the opaque pointer.
private let deliveryReport: @convention(c) (OpaquePointer?, UnsafePointer<rd_kafka_message_t>?, UnsafeMutableRawPointer?) -> Void = {
    _, message, opaque in
    guard let message, let opaque, message.pointee.err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
    Unmanaged<DeliveryReports>.fromOpaque(opaque).takeUnretainedValue().failed()
}

extension Optional where Wrapped == [UInt8] {
    /// The bytes' buffer (an empty one with a nil base for nil).
    fileprivate func withOptionalBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
        switch self {
        case .some(let bytes): bytes.withUnsafeBytes(body)
        case .none: body(UnsafeRawBufferPointer(start: nil, count: 0))
        }
    }
}
