/// Why a JSON text was rejected: malformed, or not canonicalizable (RFC 8785 / I-JSON).
public struct JSONError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The byte offset in the input where the problem was found.
    public let offset: Int
    /// What is wrong, in words a user can act on.
    public let reason: String

    /// Creates an error.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "invalid JSON at byte \(offset): \(reason)" }
}
