import PassportLedger

extension KafkaPartition {
    /// The ledger's source stream of this partition: `kafka/<topic>/<partition>`.
    public var stream: String { "kafka/\(topic)/\(partition)" }

    /// An offset as the ledger keeps it: 8 bytes, big-endian, so that byte order is number order.
    public static func encode(offset: Int64) -> [UInt8] {
        withUnsafeBytes(of: UInt64(bitPattern: offset).bigEndian, Array.init)
    }

    /// Reads ``encode(offset:)``; nil if the bytes are not 8.
    public static func decode(offset bytes: [UInt8]) -> Int64? {
        guard bytes.count == 8 else { return nil }
        return Int64(bitPattern: bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
}

extension KafkaMessage {
    /// How results and quarantine name the message: `kafka/<topic>/<partition>@<offset>`.
    public var origin: String { "kafka/\(partition.topic)/\(partition.partition)@\(offset)" }

    /// The position that records the message as consumed: its offset in its partition's stream,
    /// written whatever the outcome (appended, duplicate, or rejected and kept in quarantine).
    public var position: SourcePosition {
        SourcePosition(stream: partition.stream, value: KafkaPartition.encode(offset: offset), when: .consumed)
    }
}

extension Ledger {
    /// The offset of the last message of a partition whose effect the ledger holds, or nil if none
    /// (a consumer starts the partition at the next offset, or at its beginning).
    /// - Throws: ``LedgerError`` if the store cannot be read or the stream's position is not an offset.
    public func kafkaOffset(_ partition: KafkaPartition) throws -> Int64? {
        guard let bytes = try sourcePosition(partition.stream) else { return nil }
        guard let offset = KafkaPartition.decode(offset: bytes) else {
            throw LedgerError(.notAStore, "the position of \(partition.stream) is \(bytes.count) bytes, not a Kafka offset (8); run dpp verify")
        }
        return offset
    }
}
