/// An error raised by the libsodium wrapper.
public struct SodiumError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, in words a user can act on.
    public let message: String

    /// Creates an error with a message.
    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
