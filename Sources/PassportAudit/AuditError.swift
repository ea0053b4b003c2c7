/// Why an audit check failed.
public struct AuditError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Kinds of audit failure.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// A Merkle proof does not verify.
        public static let badProof = Code(rawValue: "bad-proof")
        /// A key (vkey or skey) is malformed.
        public static let badKey = Code(rawValue: "bad-key")
        /// A signed note is malformed or its signature does not verify.
        public static let badNote = Code(rawValue: "bad-note")
        /// A checkpoint body is malformed.
        public static let badCheckpoint = Code(rawValue: "bad-checkpoint")
        /// A proof bundle is malformed.
        public static let badBundle = Code(rawValue: "bad-bundle")
        /// A record is malformed or does not match its proof.
        public static let badRecord = Code(rawValue: "bad-record")
        /// An event signature does not verify.
        public static let badSignature = Code(rawValue: "bad-signature")
    }

    /// The kind of failure.
    public let code: Code
    /// What is wrong.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
