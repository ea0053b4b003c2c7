import CRdKafka

/// An error of the Kafka client: what failed, where (brokers, topic, partition), librdkafka's own
/// code, and whether the consumer can go on.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure; extensible.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's text.
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// A configuration property or file that cannot be used.
        public static let configuration = Code(rawValue: "configuration")
        /// The client could not be created or subscribed.
        public static let client = Code(rawValue: "client")
        /// A broker, a topic or a partition reported an error.
        public static let broker = Code(rawValue: "broker")
        /// Offsets could not be committed to Kafka.
        public static let commit = Code(rawValue: "commit")
        /// A group rebalance could not be followed (where to start a partition is unknown).
        public static let rebalance = Code(rawValue: "rebalance")
        /// Producing to a topic failed (the test producer).
        public static let produce = Code(rawValue: "produce")

        /// The code's text.
        public var description: String { rawValue }
    }

    /// What kind of failure.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// librdkafka's error name (`_TRANSPORT`, `TOPIC_AUTHORIZATION_FAILED`), if it gave one.
    public let kafkaError: String?
    /// The brokers the client talks to (its `bootstrap.servers`), if known.
    public let brokers: String?
    /// The topic concerned, if any.
    public let topic: String?
    /// The partition concerned, if any.
    public let partition: Int32?
    /// True when the client cannot go on (a fatal librdkafka error, an authentication or
    /// authorization failure, a broken rebalance): the consumer stops with this error.
    public let isFatal: Bool
    /// What caused it, if it came from elsewhere (a ledger error while reading positions).
    public let underlying: (any Error)?

    /// Creates an error.
    public init(
        _ code: Code, _ message: String, kafkaError: String? = nil, brokers: String? = nil, topic: String? = nil,
        partition: Int32? = nil, isFatal: Bool = true, underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.kafkaError = kafkaError
        self.brokers = brokers
        self.topic = topic
        self.partition = partition
        self.isFatal = isFatal
        self.underlying = underlying
    }

    /// `kafka: <message> (brokers …, topic …, partition …; librdkafka <name>)`.
    public var description: String {
        var place: [String] = []
        if let brokers { place.append("brokers \(brokers)") }
        if let topic { place.append("topic \(topic)") }
        if let partition { place.append("partition \(partition)") }
        var context = place.joined(separator: ", ")
        if let kafkaError { context += (context.isEmpty ? "" : "; ") + "librdkafka \(kafkaError)" }
        return "kafka: \(message)" + (context.isEmpty ? "" : " (\(context))")
    }

    /// The same error about a place (fills only what is not set).
    func at(brokers: String? = nil, topic: String? = nil, partition: Int32? = nil) -> KafkaError {
        KafkaError(
            code, message, kafkaError: kafkaError, brokers: self.brokers ?? brokers, topic: self.topic ?? topic,
            partition: self.partition ?? partition, isFatal: isFatal, underlying: underlying)
    }
}

extension KafkaError {
    /// librdkafka's name of an error code (`_TRANSPORT`).
    static func name(_ err: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2name(err)) }

    /// librdkafka's text of an error code.
    static func text(_ err: rd_kafka_resp_err_t) -> String { String(cString: rd_kafka_err2str(err)) }

    /// Errors after which a consumer cannot make progress by retrying: librdkafka's fatal error,
    /// failed authentication, refused authorization.
    static func isFatal(_ err: rd_kafka_resp_err_t) -> Bool {
        [RD_KAFKA_RESP_ERR__FATAL, RD_KAFKA_RESP_ERR__AUTHENTICATION, RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED,
            RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED,
            RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED, RD_KAFKA_RESP_ERR__INVALID_ARG]
            .contains(err)
    }
}

/// Turns a librdkafka return code into a ``KafkaError``; the one place return codes are checked.
/// - Parameters:
///   - err: the code (`RD_KAFKA_RESP_ERR_NO_ERROR` passes).
///   - code: the kind of failure.
///   - what: what was being done (`subscribe to orders`), the start of the message.
package func check(
    _ err: rd_kafka_resp_err_t, _ code: KafkaError.Code, _ what: @autoclosure () -> String, brokers: String? = nil, topic: String? = nil,
    partition: Int32? = nil
) throws(KafkaError) {
    guard err != RD_KAFKA_RESP_ERR_NO_ERROR else { return }
    throw KafkaError(
        code, "\(what()) failed: \(KafkaError.text(err))", kafkaError: KafkaError.name(err), brokers: brokers, topic: topic,
        partition: partition, isFatal: true)
}

/// Takes over an `rd_kafka_error_t` (nil: success) and destroys it.
func check(_ error: OpaquePointer?, _ code: KafkaError.Code, _ what: @autoclosure () -> String, brokers: String? = nil) throws(KafkaError) {
    guard let error else { return }
    defer { rd_kafka_error_destroy(error) }
    throw KafkaError(
        code, "\(what()) failed: \(String(cString: rd_kafka_error_string(error)))", kafkaError: String(cString: rd_kafka_error_name(error)),
        brokers: brokers, isFatal: true)
}

/// The text librdkafka wrote into an error buffer (NUL-terminated).
package func text(of buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
