import PassportModel

/// Why a key may not write an event, or a `system` event is malformed: a rejection code (the same
/// strings as the ledger's rejection codes) and the violations, each with field, rule and message.
public struct GovernanceRejection: Error, Sendable, Hashable, CustomStringConvertible {
    /// A rejection code.
    public struct Code: RawRepresentable, Hashable, Sendable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The signing key is not registered.
        public static let unknownKey = Code(rawValue: "unknown-key")
        /// The signing key was revoked.
        public static let revokedKey = Code(rawValue: "revoked-key")
        /// The signing key is outside its validity window.
        public static let keyNotValid = Code(rawValue: "key-not-valid")
        /// The key may not write this event.
        public static let notPermitted = Code(rawValue: "not-permitted")
        /// The signature does not verify.
        public static let badSignature = Code(rawValue: "bad-signature")
        /// A `system` event breaks its rules.
        public static let invalidEvent = Code(rawValue: "invalid-event")
    }

    /// The code.
    public let code: Code
    /// Every problem found.
    public let violations: [Violation]

    /// Creates a rejection with one problem (`path`: the field, empty for the event as a whole).
    public init(_ code: Code, _ message: String, path: String = "", rule: String? = nil, value: String? = nil) {
        self.init(code, violations: [Violation(code: Violation.Code(rawValue: code.rawValue), path: path, rule: rule ?? code.rawValue, message: message, value: value)])
    }

    /// Creates a rejection from violations.
    public init(_ code: Code, violations: [Violation]) {
        self.code = code
        self.violations = violations
    }

    public var description: String { violations.map(\.description).joined(separator: "; ") }
}
