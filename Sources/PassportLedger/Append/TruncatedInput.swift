/// What is known of an input too long to keep whole: its length and SHA-256 (the kept bytes are a prefix).
public struct TruncatedInput: Sendable, Hashable {
    /// The input's full length in bytes.
    public let length: Int
    /// SHA-256 of the full input.
    public let sha256: [UInt8]

    /// Creates the description of a truncated input.
    public init(length: Int, sha256: [UInt8]) {
        self.length = length
        self.sha256 = sha256
    }
}
