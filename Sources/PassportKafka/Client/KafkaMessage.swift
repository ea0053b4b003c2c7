/// One partition of a topic.
public struct KafkaPartition: Hashable, Sendable, CustomStringConvertible, Comparable {
    /// The topic.
    public let topic: String
    /// The partition number.
    public let partition: Int32

    /// Names a partition.
    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `<topic>/<partition>`.
    public var description: String { "\(topic)/\(partition)" }

    /// By topic, then partition number.
    public static func < (a: KafkaPartition, b: KafkaPartition) -> Bool {
        (a.topic, a.partition) < (b.topic, b.partition)
    }
}

/// Where a consumer starts reading a partition it is assigned.
public enum KafkaStartOffset: Sendable, Hashable {
    /// At its first message still kept by the brokers.
    case beginning
    /// At this offset (the next message to read).
    case offset(Int64)
}

/// One message read from a partition, copied out of librdkafka's buffers.
public struct KafkaMessage: Sendable {
    /// Where it was read.
    public let partition: KafkaPartition
    /// Its offset in the partition.
    public let offset: Int64
    /// Its key, if it has one.
    public let key: [UInt8]?
    /// Its value; nil for a null value (a tombstone).
    public let value: [UInt8]?

    /// Creates a message (tests; a consumer makes them from what it reads).
    public init(partition: KafkaPartition, offset: Int64, key: [UInt8]?, value: [UInt8]?) {
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
    }
}
