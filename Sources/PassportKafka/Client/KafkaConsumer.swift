import CRdKafka

/// librdkafka's high-level consumer: a member of a consumer group that subscribes to topics and
/// reads the partitions the group assigns it, starting each where the caller says.
///
/// One thread uses a consumer: every callback (``Rebalance``, the error handler) runs inside
/// ``poll(timeout:)`` or ``close()`` on the caller's thread. Offsets are never committed
/// automatically (`enable.auto.commit=false`): the caller knows when a message's effect is durable.
public final class KafkaConsumer {
    /// What the consumer does when the group gives it partitions or takes them away.
    public struct Rebalance {
        /// Partitions given: returns where to start each (a partition left out starts at the beginning).
        /// A throw takes none of them, and the next ``KafkaConsumer/poll(timeout:)`` throws.
        public var assigned: ([KafkaPartition]) throws -> [KafkaPartition: KafkaStartOffset]
        /// Partitions about to be taken away (finish and commit their work now). They are given up
        /// even if this throws; the next ``KafkaConsumer/poll(timeout:)`` then throws.
        public var revoked: ([KafkaPartition]) throws -> Void

        /// Creates the handlers.
        public init(
            assigned: @escaping ([KafkaPartition]) throws -> [KafkaPartition: KafkaStartOffset],
            revoked: @escaping ([KafkaPartition]) throws -> Void
        ) {
            self.assigned = assigned
            self.revoked = revoked
        }
    }

    /// The client's `bootstrap.servers`, named in its errors.
    public let brokers: String
    private let handle: OpaquePointer
    private let callbacks: Unmanaged<Callbacks>
    private var closed = false

    /// Creates a consumer (it connects in the background; nothing is read before ``subscribe(_:)``).
    /// - Parameters:
    ///   - configuration: librdkafka properties; `bootstrap.servers` and `group.id` are required.
    ///     `enable.auto.commit` is set to false.
    ///   - rebalance: what to do on assignment and revocation.
    ///   - onError: errors the consumer goes on after (a broker unreachable, a topic not there
    ///     yet); fatal ones are thrown by ``poll(timeout:)`` instead.
    /// - Throws: ``KafkaError`` (`configuration`, `client`) naming the property (never its value).
    public init(configuration: KafkaConfiguration, rebalance: Rebalance, onError: @escaping (KafkaError) -> Void) throws(KafkaError) {
        guard let brokers = configuration["bootstrap.servers"], configuration["group.id"] != nil else {
            throw KafkaError(.configuration, "a consumer needs bootstrap.servers and group.id")
        }
        self.brokers = brokers
        var configuration = configuration
        configuration.set("enable.auto.commit", "false")
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(.client, "librdkafka could not allocate a configuration") }
        var errstr = [CChar](repeating: 0, count: 512)
        for p in configuration.properties {
            let res = rd_kafka_conf_set(conf, p.key, p.value, &errstr, errstr.count)
            guard res == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                let place = p.origin.map { "\($0): " } ?? ""
                // librdkafka's text may quote the value, which may be a credential: not shown.
                throw KafkaError(
                    .configuration,
                    res == RD_KAFKA_CONF_UNKNOWN
                        ? "\(place)\(p.key) is not a librdkafka property (see librdkafka's CONFIGURATION.md)"
                        : "\(place)\(p.key) has a value librdkafka does not accept (the value is not shown)",
                    brokers: brokers)
            }
        }
        let box = Unmanaged.passRetained(Callbacks(rebalance: rebalance, onError: onError, brokers: brokers))
        rd_kafka_conf_set_opaque(conf, box.toOpaque())
        rd_kafka_conf_set_rebalance_cb(conf, rebalanceCallback)
        rd_kafka_conf_set_error_cb(conf, errorCallback)
        // Errors reach onError (error_cb); librdkafka's log lines repeat them, unless asked for (`debug`).
        if configuration["debug"] == nil { rd_kafka_conf_set_log_cb(conf, discardLog) }
        // On success rd_kafka_new owns `conf`; on failure it is still ours to destroy.
        guard let rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errstr, errstr.count) else {
            rd_kafka_conf_destroy(conf)
            box.release()
            throw KafkaError(.client, "the consumer could not be created: \(text(of: errstr))", brokers: brokers)
        }
        handle = rk
        callbacks = box
        // Serve errors and rebalances from consumer polls (one queue).
        _ = rd_kafka_poll_set_consumer(rk)
    }

    deinit {
        if !closed { _ = rd_kafka_consumer_close(handle) }
        rd_kafka_destroy(handle)
        callbacks.release()
    }

    /// Joins the group for these topics (it replaces an earlier subscription).
    /// - Throws: ``KafkaError`` if librdkafka refuses the subscription.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        let list = rd_kafka_topic_partition_list_new(Int32(topics.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for t in topics { rd_kafka_topic_partition_list_add(list, t, crdkafka_partition_unassigned()) }
        try check(rd_kafka_subscribe(handle, list), .client, "subscribing to \(topics.joined(separator: ", "))", brokers: brokers)
    }

    /// The partitions the group has given this consumer.
    public var assignment: Set<KafkaPartition> { callbacks.takeUnretainedValue().assignment }

    /// The assigned partitions read to their end: librdkafka reported reaching the end (with
    /// `enable.partition.eof=true`) and no message came from them since.
    public var partitionsAtEnd: Set<KafkaPartition> { callbacks.takeUnretainedValue().atEnd }

    /// Waits up to `timeout` for the next message; rebalances and errors are handled meanwhile.
    /// - Returns: the message, or nil if none came (or an error the consumer goes on after came instead).
    /// - Throws: ``KafkaError`` when the consumer cannot go on: a fatal librdkafka error, failed
    ///   authentication or authorization, a rebalance handler that failed.
    public func poll(timeout: Duration) throws(KafkaError) -> KafkaMessage? {
        let box = callbacks.takeUnretainedValue()
        try box.throwFailure()
        let (seconds, attoseconds) = timeout.components
        let ms = Int32(clamping: max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000))
        guard let m = rd_kafka_consumer_poll(handle, ms) else {
            try box.throwFailure()
            return nil
        }
        defer { rd_kafka_message_destroy(m) }
        try box.throwFailure()
        let message = m.pointee
        let topic = message.rkt.map { String(cString: rd_kafka_topic_name($0)) }
        guard message.err == RD_KAFKA_RESP_ERR_NO_ERROR else {
            if message.err == RD_KAFKA_RESP_ERR__PARTITION_EOF {
                if let topic { box.atEnd.insert(KafkaPartition(topic: topic, partition: message.partition)) }
                return nil
            }
            let error = KafkaError(
                .broker, String(cString: rd_kafka_message_errstr(m)), kafkaError: KafkaError.name(message.err), brokers: brokers,
                topic: topic, partition: topic != nil && message.partition >= 0 ? message.partition : nil, isFatal: KafkaError.isFatal(message.err))
            if error.isFatal { throw error }
            box.onError(error)
            return nil
        }
        func bytes(_ p: UnsafeMutableRawPointer?, _ count: Int) -> [UInt8]? {
            p.map { [UInt8](UnsafeRawBufferPointer(start: $0, count: count)) }
        }
        let partition = KafkaPartition(topic: topic ?? "", partition: message.partition)
        box.atEnd.remove(partition)
        return KafkaMessage(
            partition: partition, offset: message.offset,
            key: bytes(message.key, message.key_len), value: bytes(message.payload, message.len))
    }

    /// Commits offsets to the group (what lag tools and a consumer without other state resume from).
    /// - Parameters:
    ///   - offsets: per partition, the next offset to read (the last one consumed + 1).
    ///   - wait: wait for the coordinator's answer; otherwise the commit is sent and its outcome ignored.
    /// - Throws: ``KafkaError`` (`commit`, not fatal) if the commit failed (a rebalance in progress, the coordinator unreachable).
    public func commit(_ offsets: [KafkaPartition: Int64], wait: Bool) throws(KafkaError) {
        guard !offsets.isEmpty, !closed else { return }
        let list = rd_kafka_topic_partition_list_new(Int32(offsets.count))!
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for (p, offset) in offsets.sorted(by: { $0.key < $1.key }) {
            rd_kafka_topic_partition_list_add(list, p.topic, p.partition).pointee.offset = offset
        }
        let err = rd_kafka_commit(handle, list, wait ? 0 : 1)
        guard err != RD_KAFKA_RESP_ERR_NO_ERROR, err != RD_KAFKA_RESP_ERR__NO_OFFSET else { return }
        let what = offsets.keys.sorted().map(\.description).joined(separator: ", ")
        throw KafkaError(
            .commit, "committing offsets of \(what) failed: \(KafkaError.text(err))", kafkaError: KafkaError.name(err), brokers: brokers,
            isFatal: false)
    }

    /// Leaves the group (revoking the partitions through ``Rebalance/revoked``) and stops fetching.
    /// Call it once done; a consumer released without it closes all the same.
    /// - Throws: ``KafkaError`` if leaving failed or the revocation handler threw.
    public func close() throws(KafkaError) {
        guard !closed else { return }
        closed = true
        try check(rd_kafka_consumer_close(handle), .client, "closing the consumer", brokers: brokers)
        try callbacks.takeUnretainedValue().throwFailure()
    }
}

/// What the C callbacks reach through librdkafka's opaque pointer. Used only on the thread that
/// polls (librdkafka serves these callbacks from `rd_kafka_consumer_poll` and `rd_kafka_consumer_close`).
final class Callbacks {
    let rebalance: KafkaConsumer.Rebalance
    let onError: (KafkaError) -> Void
    let brokers: String
    var assignment: Set<KafkaPartition> = []
    /// Assigned partitions read to their end (and no message since).
    var atEnd: Set<KafkaPartition> = []
    /// The first fatal error a callback met, thrown by the next poll.
    var failure: KafkaError?

    init(rebalance: KafkaConsumer.Rebalance, onError: @escaping (KafkaError) -> Void, brokers: String) {
        self.rebalance = rebalance
        self.onError = onError
        self.brokers = brokers
    }

    func throwFailure() throws(KafkaError) {
        if let f = failure {
            failure = nil
            throw f
        }
    }

    func report(_ error: KafkaError) {
        if error.isFatal {
            if failure == nil { failure = error }
        } else {
            onError(error)
        }
    }

    func rebalance(_ rk: OpaquePointer, _ err: rd_kafka_resp_err_t, _ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) {
        let cooperative = String(cString: rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE"
        let partitions = (0..<Int(list.pointee.cnt)).map { i in
            let e = list.pointee.elems[i]
            return KafkaPartition(topic: String(cString: e.topic), partition: e.partition)
        }
        let names = partitions.sorted().map(\.description).joined(separator: ", ")
        do throws(KafkaError) {
            switch err {
            case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
                let starts: [KafkaPartition: KafkaStartOffset]
                do { starts = try rebalance.assigned(partitions) } catch {
                    throw KafkaError(
                        .rebalance, "partitions \(names) were not taken: where to start them is unknown (\(error))", brokers: brokers,
                        underlying: error)
                }
                // librdkafka advises setting start offsets on a copy of the list it lends.
                let copy = rd_kafka_topic_partition_list_copy(list)!
                defer { rd_kafka_topic_partition_list_destroy(copy) }
                for i in 0..<Int(copy.pointee.cnt) {
                    let p = KafkaPartition(topic: String(cString: copy.pointee.elems[i].topic), partition: copy.pointee.elems[i].partition)
                    switch starts[p] ?? .beginning {
                    case .beginning: copy.pointee.elems[i].offset = crdkafka_offset_beginning()
                    case .offset(let o): copy.pointee.elems[i].offset = o
                    }
                }
                if cooperative {
                    try check(rd_kafka_incremental_assign(rk, copy), .rebalance, "taking partitions \(names)", brokers: brokers)
                } else {
                    try check(rd_kafka_assign(rk, copy), .rebalance, "taking partitions \(names)", brokers: brokers)
                }
                assignment.formUnion(partitions)
                atEnd.subtract(partitions)
            case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
                var failure: KafkaError?
                do { try rebalance.revoked(partitions) } catch {
                    failure = error as? KafkaError
                        ?? KafkaError(.rebalance, "giving up partitions \(names) failed: \(error)", brokers: brokers, underlying: error)
                }
                assignment.subtract(partitions)
                atEnd.subtract(partitions)
                if cooperative {
                    try check(rd_kafka_incremental_unassign(rk, list), .rebalance, "giving up partitions \(names)", brokers: brokers)
                } else {
                    try check(rd_kafka_assign(rk, nil), .rebalance, "giving up partitions \(names)", brokers: brokers)
                }
                if let failure { throw failure }
            default:
                onError(KafkaError(
                    .rebalance, "the group rebalance failed (\(KafkaError.text(err))); this consumer holds no partition until the next one",
                    kafkaError: KafkaError.name(err), brokers: brokers, isFatal: false))
                assignment = []
                atEnd = []
                try check(rd_kafka_assign(rk, nil), .rebalance, "giving up partitions \(names)", brokers: brokers)
            }
        } catch {
            report(error)
        }
    }
}

/// `rebalance_cb`: a C function pointer, so no captured context — the consumer's ``Callbacks`` come
/// through the opaque pointer.
private let rebalanceCallback: @convention(c) (
    OpaquePointer?, rd_kafka_resp_err_t, UnsafeMutablePointer<rd_kafka_topic_partition_list_t>?, UnsafeMutableRawPointer?
) -> Void = { rk, err, list, opaque in
    guard let rk, let list, let opaque else { return }
    Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue().rebalance(rk, err, list)
}

/// `error_cb`: errors of the client as a whole (brokers down, authentication, fatal errors).
private let errorCallback: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafeMutableRawPointer?) -> Void = {
    rk, code, reason, opaque in
    guard let opaque else { return }
    let box = Unmanaged<Callbacks>.fromOpaque(opaque).takeUnretainedValue()
    var err = rd_kafka_resp_err_t(rawValue: code)
    var text = reason.map { String(cString: $0) } ?? KafkaError.text(err)
    if err == RD_KAFKA_RESP_ERR__FATAL, let rk {
        var buffer = [UInt8](repeating: 0, count: 512)
        err = buffer.withUnsafeMutableBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { rd_kafka_fatal_error(rk, $0.baseAddress, $0.count) }
        }
        text = String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)
    }
    box.report(KafkaError(.broker, text, kafkaError: KafkaError.name(err), brokers: box.brokers, isFatal: KafkaError.isFatal(err)))
}

/// `log_cb` that drops librdkafka's log lines (its errors come through `error_cb`).
private let discardLog: @convention(c) (OpaquePointer?, Int32, UnsafePointer<CChar>?, UnsafePointer<CChar>?) -> Void = { _, _, _, _ in }
