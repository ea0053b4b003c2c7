import PassportAudit
import PassportModel

/// An error from the ledger, with a stable code and a message that says what to do.
public struct LedgerError: Error, CustomStringConvertible, Sendable, Hashable {
    /// Stable, machine-readable error codes.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The folder is not a store, or the store is damaged.
        public static let notAStore = Code(rawValue: "not-a-store")
        /// `init` on a folder that already holds a store.
        public static let alreadyExists = Code(rawValue: "already-exists")
        /// The LMDB map reached its configured maximum.
        public static let storeFull = Code(rawValue: "store-full")
        /// An I/O or LMDB failure.
        public static let io = Code(rawValue: "io")
        /// A key file or key operation problem.
        public static let key = Code(rawValue: "key")
        /// Something asked for does not exist.
        public static let notFound = Code(rawValue: "not-found")
        /// Bad arguments.
        public static let invalidArgument = Code(rawValue: "invalid-argument")

        // Rejection codes for submissions.
        /// The line is not valid JSON.
        public static let malformedJSON = Code(rawValue: "malformed-json")
        /// The event envelope breaks a rule.
        public static let invalidEvent = Code(rawValue: "invalid-event")
        /// The signing key is not registered.
        public static let unknownKey = Code(rawValue: "unknown-key")
        /// The signing key was revoked.
        public static let revokedKey = Code(rawValue: "revoked-key")
        /// The signing key is outside its validity window.
        public static let keyNotValid = Code(rawValue: "key-not-valid")
        /// The signature does not verify.
        public static let badSignature = Code(rawValue: "bad-signature")
        /// The key may not write this event (wrong source, or system subject rules).
        public static let notPermitted = Code(rawValue: "not-permitted")
        /// A different event already uses this (source, sourceRef).
        public static let idempotencyConflict = Code(rawValue: "idempotency-conflict")
        /// `expectedSeq` does not match.
        public static let seqConflict = Code(rawValue: "seq-conflict")
        /// An attachment's bytes are not in the blob store.
        public static let missingAttachment = Code(rawValue: "missing-attachment")
        /// The record would exceed 65,535 canonical bytes, or the input line is too long.
        public static let tooLarge = Code(rawValue: "too-large")
        /// The event passed its checks but one of its index entries could not be stored; only
        /// that event was rejected.
        public static let unstorable = Code(rawValue: "unstorable")
    }

    /// The error code.
    public let code: Code
    /// Every problem found, each with a stable code, the field as a JSON Pointer, the rule, the
    /// offending value and a message (`Specs/ledger-formats.md` §7, "Rejections").
    public let violations: [Violation]
    /// The underlying error (an LMDB or file-system failure, a parser error), where there is one.
    public let underlying: (any Error & Sendable)?

    /// Creates an error with one problem.
    /// - Parameters:
    ///   - code: the error code.
    ///   - message: what is wrong and what to do.
    ///   - path: the field it concerns, as a dotted path (empty: the input as a whole).
    ///   - rule: the rule, tersely (default: the error code).
    ///   - value: the offending value, as shown to people.
    ///   - underlying: the error behind it, if any.
    public init(_ code: Code, _ message: String, path: String = "", rule: String? = nil, value: String? = nil, underlying: (any Error & Sendable)? = nil) {
        self.init(code, violations: [Violation(code: Violation.Code(rawValue: code.rawValue), path: path, rule: rule ?? code.rawValue, message: message, value: value)], underlying: underlying)
    }

    /// Creates an error with several problems, each a sentence about the input as a whole.
    public init(_ code: Code, reasons: [String]) {
        self.init(code, violations: reasons.map { Violation(code: Violation.Code(rawValue: code.rawValue), path: "", rule: code.rawValue, message: $0) })
    }

    /// Creates an error from violations.
    public init(_ code: Code, violations: [Violation], underlying: (any Error & Sendable)? = nil) {
        self.code = code
        self.violations = violations
        self.underlying = underlying
    }

    /// What is wrong and what to do, one entry per problem (each violation's description).
    public var reasons: [String] { violations.map(\.description) }

    /// The reasons joined into one message.
    public var message: String { reasons.joined(separator: "; ") }

    public var description: String { message }

    /// The error as JSON: `code`, `violations` and, where there is one, `underlying` (its text).
    public var json: JSONValue {
        var o: JSONObject = ["code": .string(code.rawValue), "violations": .array(violations.map(\.json))]
        if let underlying { o["underlying"] = .string("\(underlying)") }
        return .object(o)
    }

    /// Two errors are equal when their codes and violations are (the underlying error is not compared).
    public static func == (a: LedgerError, b: LedgerError) -> Bool { a.code == b.code && a.violations == b.violations }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(violations)
    }

    /// An `invalid-event` rejection carrying a validation error's violations.
    public static func validation(_ e: ValidationError) -> LedgerError {
        LedgerError(.invalidEvent, violations: e.violations)
    }
}

extension LedgerError {
    /// The ledger's rejection for a governance rule broken (same code, same violations).
    init(_ r: GovernanceRejection) {
        self.init(LedgerError.Code(rawValue: r.code.rawValue), violations: r.violations)
    }
}
