/// An error raised while encoding or rendering a QR code: what kind of failure it is, and a message
/// that names what is wrong and what to do about it.
public struct QRError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of failure; new kinds may be added, so switch over it with a `default` case.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The code's name, stable across versions (for logs and metrics).
        public let rawValue: String

        /// Creates a code from its name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// The text to encode is empty.
        public static let emptyText = Code(rawValue: "emptyText")
        /// The text does not fit: longer than ``QRCode/maxTextBytes``, or longer than a version 40
        /// symbol holds at the requested error correction (libqrencode `ERANGE`).
        public static let textTooLong = Code(rawValue: "textTooLong")
        /// A rendering parameter (module size, margin) is outside its allowed range.
        public static let parameterOutOfRange = Code(rawValue: "parameterOutOfRange")
        /// A C library could not allocate memory (`ENOMEM`, `Z_MEM_ERROR`).
        public static let outOfMemory = Code(rawValue: "outOfMemory")
        /// A C library refused its input or failed in a way this wrapper does not expect
        /// (`EINVAL`, another errno or zlib code); ``QRError/underlyingCode`` has the C code.
        public static let libraryFailure = Code(rawValue: "libraryFailure")

        /// The code's name.
        public var description: String { rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, naming the parameter, the value and the rule, in words a user can act on.
    public let message: String
    /// The C library's own code when the failure came from C (an `errno` value from libqrencode,
    /// a `Z_*` return code from zlib); `nil` when this wrapper refused the input itself.
    public let underlyingCode: Int32?

    /// Creates an error.
    /// - Parameters:
    ///   - code: The kind of failure.
    ///   - message: What went wrong and what to do.
    ///   - underlyingCode: The C library's code, if the failure came from C.
    public init(_ code: Code, _ message: String, underlyingCode: Int32? = nil) {
        self.code = code
        self.message = message
        self.underlyingCode = underlyingCode
    }

    /// The message.
    public var description: String { message }
}
