/// What a source system says about a subject, before the ledger records it (DESIGN §3).
///
/// An event keeps the exact JSON object it was made from, so its canonical bytes — which the
/// source signs — never change. The typed properties are a validated view of that object.
public struct Event: Sendable, Hashable {
    /// The JSON object as given (its canonical form is what gets signed).
    public let json: JSONObject
    /// Event type, e.g. `bom.released`.
    public let type: String
    /// The subject the event is about.
    public let subject: Subject
    /// The source system (equal to the name of the key that signs it).
    public let source: String
    /// The source's own reference; `(source, sourceRef)` is the idempotency key.
    public let sourceRef: String
    /// When the source created the event.
    public let createdAt: Timestamp
    /// Start of the valid-time interval, if given.
    public let validFrom: Timestamp?
    /// End of the valid-time interval, if given.
    public let validUntil: Timestamp?
    /// The payload.
    public let data: JSONObject
    /// Attachments committed by hash.
    public let attachments: [Attachment]
    /// References to other subjects' events.
    public let refs: [Reference]
    /// Optimistic concurrency: the `seq` this event must receive in its subject's stream.
    public let expectedSeq: UInt64?
    /// The canonical (RFC 8785) bytes of the event, computed once.
    public let canonicalBytes: [UInt8]

    /// Every top-level field an event may carry.
    public static let fields: Set<String> = [
        "type", "subject", "source", "sourceRef", "createdAt", "validFrom", "validUntil", "data",
        "attachments", "refs", "expectedSeq",
    ]

    /// The domain-separation prefix of the signature input: `dpp/event/v1\n`.
    public static let signaturePrefix: [UInt8] = Array("dpp/event/v1\n".utf8)

    /// Validates a JSON value as an event envelope.
    /// - Parameter path: prefix for violation paths (e.g. `"event."`).
    /// - Throws: ``ValidationError`` listing every violation.
    public init(json value: JSONValue, path: String = "") throws(ValidationError) {
        guard case .object(let o) = value else {
            throw ValidationError([Violation(path: path.isEmpty ? "event" : String(path.dropLast()), rule: "must be a JSON object, not \(value.typeName)")])
        }
        var c = Checker()
        c.unknownFields(o, allowed: Event.fields, at: path)
        let type = c.string(o, "type", at: path)
        if let type, !Event.isValidType(type) {
            c.add(path + "type", "must be lowercase dotted words like bom.released (3–64 characters)", .string(type))
        }
        var subject: Subject?
        if let s = c.string(o, "subject", at: path) {
            do { subject = try Subject(s) } catch { c.add(path + "subject", error.reason, .string(s)) }
        }
        let source = c.string(o, "source", at: path)
        if let source, !Event.isValidSourceName(source) {
            c.add(path + "source", "must be 1–64 characters of A–Z a–z 0–9 . _ -", .string(source))
        }
        let sourceRef = c.string(o, "sourceRef", at: path)
        // A control character (below U+0020) is one byte below 0x20 in UTF-8, and no other byte is.
        if let sourceRef, sourceRef.isEmpty || sourceRef.utf8.count > 256 || sourceRef.utf8.contains(where: { $0 < 0x20 }) {
            c.add(path + "sourceRef", "must be 1–256 bytes with no control characters", .string(sourceRef))
        }
        let createdAt = c.timestamp(o, "createdAt", at: path, required: true)
        let validFrom = c.timestamp(o, "validFrom", at: path, required: false)
        let validUntil = c.timestamp(o, "validUntil", at: path, required: false)
        if let validFrom, let validUntil, validFrom >= validUntil {
            c.add(path + "validUntil", "must be later than validFrom (\(validFrom))", .string(validUntil.description))
        }
        var data = JSONObject()
        switch o["data"] {
        case .object(let d)?: data = d
        case nil: c.add(path + "data", "is required", code: .required, terse: "required")
        case let v?: c.add(path + "data", "must be an object, not \(v.typeName)", v)
        }
        var attachments: [Attachment] = []
        if let a = o["attachments"] {
            if case .array(let items) = a {
                for (i, item) in items.enumerated() {
                    if let att = Attachment.parse(item, path: "\(path)attachments[\(i)].", checker: &c) { attachments.append(att) }
                }
                if Set(attachments.map(\.sha256)).count != attachments.count {
                    c.add(path + "attachments", "lists the same sha256 twice")
                }
            } else {
                c.add(path + "attachments", "must be an array, not \(a.typeName)", a)
            }
        }
        var refs: [Reference] = []
        if let r = o["refs"] {
            if case .array(let items) = r {
                for (i, item) in items.enumerated() {
                    if let ref = Reference.parse(item, path: "\(path)refs[\(i)].", checker: &c) { refs.append(ref) }
                }
            } else {
                c.add(path + "refs", "must be an array, not \(r.typeName)", r)
            }
        }
        var expectedSeq: UInt64?
        if let e = o["expectedSeq"] {
            if case .number(let n) = e, let i = n.intValue, i >= 1 {
                expectedSeq = UInt64(i)
            } else {
                c.add(path + "expectedSeq", "must be an integer ≥ 1", e)
            }
        }
        try c.finish()
        self.json = o
        self.type = type!
        self.subject = subject!
        self.source = source!
        self.sourceRef = sourceRef!
        self.createdAt = createdAt!
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.data = data
        self.attachments = attachments
        self.refs = refs
        self.expectedSeq = expectedSeq
        self.canonicalBytes = CanonicalJSON.encode(.object(o))
    }

    /// The exact bytes a source signs: `dpp/event/v1\n` followed by the canonical event.
    public var signatureInput: [UInt8] { Event.signaturePrefix + canonicalBytes }

    /// Whether `type` is a well-formed event type name.
    public static func isValidType(_ s: String) -> Bool {
        let b = s.utf8
        guard (3...64).contains(b.count), b.contains(UInt8(ascii: ".")) else { return false }
        // Bytes, not characters: a word is ASCII, and anything else fails either way.
        let words = b.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return words.allSatisfy { w in
            guard let f = w.first, f >= 0x61 && f <= 0x7A else { return false }
            return w.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-") }
        }
    }

    /// Whether `s` is a valid source (and key) name.
    public static func isValidSourceName(_ s: String) -> Bool {
        guard (1...64).contains(s.utf8.count) else { return false }
        return s.utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A)
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }
    }
}

/// A file committed by its SHA-256 inside a signed event.
public struct Attachment: Sendable, Hashable {
    /// Lowercase hex SHA-256 of the bytes.
    public let sha256: String
    /// IANA media type, e.g. `application/pdf`.
    public let mediaType: String
    /// The file name as given by the source.
    public let name: String

    /// Creates an attachment reference.
    public init(sha256: String, mediaType: String, name: String) {
        self.sha256 = sha256
        self.mediaType = mediaType
        self.name = name
    }

    /// Every field an attachment has.
    static let fields: Set<String> = ["sha256", "mediaType", "name"]

    /// The attachment as JSON.
    public var json: JSONValue { ["sha256": .string(sha256), "mediaType": .string(mediaType), "name": .string(name)] }

    static func parse(_ v: JSONValue, path: String, checker c: inout Checker) -> Attachment? {
        guard case .object(let o) = v else {
            c.add(String(path.dropLast()), "must be an object, not \(v.typeName)", v)
            return nil
        }
        let before = c.violations.count
        c.unknownFields(o, allowed: Attachment.fields, at: path)
        let sha = c.string(o, "sha256", at: path)
        if let sha, !Hex.isLowercaseHex(sha, bytes: 32) {
            c.add(path + "sha256", "must be 64 lowercase hex digits", .string(sha))
        }
        let mediaType = c.string(o, "mediaType", at: path)
        if let mediaType, !isMediaType(mediaType) {
            c.add(path + "mediaType", "must be a media type like application/pdf", .string(mediaType))
        }
        let name = c.string(o, "name", at: path)
        if let name, name.isEmpty || name.utf8.count > 255 || name.utf8.contains(UInt8(ascii: "/")) {
            c.add(path + "name", "must be a file name of 1–255 bytes without '/'", .string(name))
        }
        guard let sha, let mediaType, let name, c.violations.count == before else { return nil }
        return Attachment(sha256: sha, mediaType: mediaType, name: name)
    }

    static func isMediaType(_ s: String) -> Bool {
        // Bytes, not characters: a media type is printable ASCII, and anything else fails either way.
        let parts = s.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 2, s.utf8.count <= 255 else { return false }
        return parts.allSatisfy { p in
            !p.isEmpty && p.allSatisfy { c in c > 0x20 && c < 0x7F && c != UInt8(ascii: "/") }
        }
    }
}

/// A reference from an event to another subject (and optionally one of its events).
public struct Reference: Sendable, Hashable {
    /// The relation, e.g. `declaration`, `component`.
    public let rel: String
    /// The referenced subject.
    public let subject: Subject
    /// The referenced event's sourceRef, if any.
    public let sourceRef: String?

    static func parse(_ v: JSONValue, path: String, checker c: inout Checker) -> Reference? {
        guard case .object(let o) = v else {
            c.add(String(path.dropLast()), "must be an object, not \(v.typeName)", v)
            return nil
        }
        let before = c.violations.count
        c.unknownFields(o, allowed: ["rel", "subject", "sourceRef"], at: path)
        let rel = c.string(o, "rel", at: path)
        if let rel, rel.isEmpty || rel.utf8.count > 64 { c.add(path + "rel", "must be 1–64 bytes", .string(rel)) }
        var subject: Subject?
        if let s = c.string(o, "subject", at: path) {
            do { subject = try Subject(s) } catch { c.add(path + "subject", error.reason, .string(s)) }
        }
        let sourceRef = c.string(o, "sourceRef", at: path, required: false)
        guard let rel, let subject, c.violations.count == before else { return nil }
        return Reference(rel: rel, subject: subject, sourceRef: sourceRef)
    }
}
