/// Why a document cannot be read: a code a program can branch on, where in the document (a cell
/// such as `Declaration!D8`, an XML path such as `/MainDeclaration/Product`, or a ZIP entry) and a
/// message that tells the user what to do.
public struct DocumentReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An extensible error code.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The code's text (kebab-case).
        public let rawValue: String
        /// Creates a code.
        public init(rawValue: String) { self.rawValue = rawValue }
        /// The text of the code.
        public var description: String { rawValue }

        /// The bytes are not a ZIP archive (not an xlsx workbook).
        public static let notZIP = Code(rawValue: "not-zip")
        /// The archive or one of its parts is over a limit (a zip bomb, or simply too large).
        public static let tooLarge = Code(rawValue: "too-large")
        /// XML with a DTD or an entity declaration, which is refused.
        public static let unsafeXML = Code(rawValue: "unsafe-xml")
        /// XML that is not well-formed.
        public static let malformedXML = Code(rawValue: "malformed-xml")
        /// The workbook lacks a part every xlsx has.
        public static let notWorkbook = Code(rawValue: "not-workbook")
        /// The document is not of the kind read (not a CMRT, not an IPC-1752A declaration).
        public static let wrongKind = Code(rawValue: "wrong-kind")
        /// A template or schema version this reader does not know.
        public static let unknownVersion = Code(rawValue: "unknown-version")
        /// A required value is missing.
        public static let required = Code(rawValue: "required")
        /// A value has the wrong form.
        public static let format = Code(rawValue: "format")
    }

    /// The code.
    public let code: Code
    /// Where: a cell (`Declaration!D8`), an XML path or a ZIP entry; empty for the whole document.
    public let path: String
    /// What is wrong and what to do.
    public let message: String

    /// Creates an error.
    public init(_ code: Code, path: String = "", _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// `path: message`, or the message alone.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
