/// Key encodings.
enum Keys {
    static func u64(_ v: UInt64) -> [UInt8] { withUnsafeBytes(of: v.bigEndian) { Array($0) } }

    /// Reads an 8-byte big-endian integer; a value of any other length (a damaged store) reads as
    /// `UInt64.max`, which names no record, so the caller reports it instead of crashing.
    static func readU64(_ b: UnsafeRawBufferPointer) -> UInt64 {
        guard b.count == 8 else { return .max }
        var v: UInt64 = 0
        for byte in b { v = v << 8 | UInt64(byte) }
        return v
    }

    static func readU64(_ b: [UInt8]) -> UInt64 { b.withUnsafeBytes { readU64($0) } }

    static func subject(_ s: String, _ seq: UInt64) -> [UInt8] { Array(s.utf8) + [0] + u64(seq) }

    static func idempotency(_ source: String, _ sourceRef: String) -> [UInt8] {
        Array(source.utf8) + [0] + Array(sourceRef.utf8)
    }

    static func node(level: Int, index: UInt64) -> [UInt8] { [UInt8(level)] + u64(index) }

    static let metaFormat = Array("format".utf8)
    static let metaOrigin = Array("origin".utf8)
    static let metaVKey = Array("vkey".utf8)
    static let metaSize = Array("size".utf8)
    static let metaLastRecordedAt = Array("lastRecordedAt".utf8)
    static let metaQuarantineNext = Array("quarantineNext".utf8)
    static let metaFactsVersion = Array("factsVersion".utf8)
    /// `position/<stream>` → the last source position consumed from that stream.
    static func metaPosition(_ stream: String) -> [UInt8] { Array("position/".utf8) + Array(stream.utf8) }
}
