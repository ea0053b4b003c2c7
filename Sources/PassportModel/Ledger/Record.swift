/// A committed event: what the ledger stores. Its canonical bytes are the Merkle leaf data (DESIGN §3).
public struct Record: Sendable, Hashable {
    /// 0-based global position (= Merkle leaf index).
    public let index: UInt64
    /// The subject (same as the event's).
    public let subject: Subject
    /// 1-based, gapless position in the subject's stream.
    public let seq: UInt64
    /// System time the ledger assigned; never decreasing along the log.
    public let recordedAt: Timestamp
    /// Leaf hash of this subject's previous record; nil when `seq` is 1.
    public let prev: [UInt8]?
    /// The signed event.
    public let event: Event
    /// Who signed the event.
    public let signature: EventSignature

    /// Largest allowed canonical size of a record: 65,535 bytes, so that every record fits a C2SP
    /// tlog-tiles entry bundle (a 16-bit length prefix).
    public static let maxCanonicalSize = 65_535

    /// Every top-level field a record has.
    public static let fields: Set<String> = ["index", "subject", "seq", "recordedAt", "prev", "event", "signature"]

    /// Creates a record.
    public init(
        index: UInt64, seq: UInt64, recordedAt: Timestamp, prev: [UInt8]?, event: Event, signature: EventSignature
    ) {
        self.index = index
        self.subject = event.subject
        self.seq = seq
        self.recordedAt = recordedAt
        self.prev = prev
        self.event = event
        self.signature = signature
    }

    /// The record as a JSON object.
    public var json: JSONValue {
        var o = JSONObject()
        o["index"] = .number(JSONNumber(Int(index)))
        o["subject"] = .string(subject.rawValue)
        o["seq"] = .number(JSONNumber(Int(seq)))
        o["recordedAt"] = .string(recordedAt.description)
        if let prev { o["prev"] = .string(Base64.encode(prev)) }
        o["event"] = .object(event.json)
        o["signature"] = signature.json
        return .object(o)
    }

    /// The canonical (RFC 8785) bytes: the Merkle leaf data.
    ///
    /// Equal to `CanonicalJSON.encode(json)`, but splices in the event's cached canonical bytes
    /// (members in UTF-16 order: event, index, prev, recordedAt, seq, signature, subject).
    public var canonicalBytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(event.canonicalBytes.count + 300)
        out.append(contentsOf: #"{"event":"#.utf8)
        out.append(contentsOf: event.canonicalBytes)
        out.append(contentsOf: #","index":"#.utf8)
        out.append(contentsOf: String(index).utf8)
        if let prev {
            out.append(contentsOf: #","prev":""#.utf8)
            out.append(contentsOf: Base64.encode(prev).utf8)
            out.append(UInt8(ascii: "\""))
        }
        out.append(contentsOf: #","recordedAt":""#.utf8)
        out.append(contentsOf: recordedAt.description.utf8)
        out.append(contentsOf: #"","seq":"#.utf8)
        out.append(contentsOf: String(seq).utf8)
        out.append(contentsOf: #","signature":"#.utf8)
        CanonicalJSON.write(signature.json, into: &out)
        out.append(contentsOf: #","subject":"#.utf8)
        CanonicalJSON.write(.string(subject.rawValue), into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// Parses and validates a record from its bytes. With `requireCanonical`, the bytes must
    /// already be in canonical form (as stored bytes always are).
    /// - Throws: ``JSONError`` or ``ValidationError`` naming what is wrong.
    public init(bytes: [UInt8], requireCanonical: Bool = true) throws {
        let value = try JSONParser.parse(bytes)
        if requireCanonical, CanonicalJSON.encode(value) != bytes {
            throw ValidationError([Violation(path: "record", rule: "bytes are not in RFC 8785 canonical form")])
        }
        try self.init(json: value)
    }

    /// Validates a JSON value as a record.
    public init(json value: JSONValue) throws(ValidationError) {
        guard case .object(let o) = value else {
            throw ValidationError([Violation(path: "record", rule: "must be a JSON object")])
        }
        var c = Checker()
        c.unknownFields(o, allowed: Record.fields, at: "")
        func uint(_ key: String, min: Int) -> UInt64? {
            guard let v = o[key] else {
                c.add(key, "is required", code: .required, terse: "required")
                return nil
            }
            guard case .number(let n) = v, let i = n.intValue, i >= min else {
                c.add(key, "must be an integer ≥ \(min)", v)
                return nil
            }
            return UInt64(i)
        }
        let index = uint("index", min: 0)
        let seq = uint("seq", min: 1)
        let subject = c.string(o, "subject", at: "")
        let recordedAt = c.timestamp(o, "recordedAt", at: "", required: true)
        var prev: [UInt8]?
        if let p = c.string(o, "prev", at: "", required: false) {
            if let bytes = Base64.decode(p), bytes.count == 32 { prev = bytes } else {
                c.add("prev", "must be the base64 of a 32-byte hash", .string(p))
            }
        }
        var event: Event?
        if let e = o["event"] {
            do { event = try Event(json: e, path: "event.") } catch { c.violations += error.violations }
        } else {
            c.add("event", "is required", code: .required, terse: "required")
        }
        var signature: EventSignature?
        if let s = o["signature"] {
            signature = EventSignature.parse(s, checker: &c)
        } else {
            c.add("signature", "is required", code: .required, terse: "required")
        }
        if let event, let subject, event.subject.rawValue != subject {
            c.add("subject", "must equal event.subject (\(event.subject))", .string(subject))
        }
        if let seq {
            if seq == 1, prev != nil { c.add("prev", "must be absent when seq is 1") }
            if seq > 1, prev == nil, o["prev"] == nil { c.add("prev", "is required when seq > 1", code: .required, terse: "required") }
        }
        try c.finish()
        self.init(index: index!, seq: seq!, recordedAt: recordedAt!, prev: prev, event: event!, signature: signature!)
    }
}

/// An Ed25519 signature over an event, naming the key as `<name>+<hex key ID>`.
public struct EventSignature: Sendable, Hashable {
    /// The key reference, `<name>+<8 hex digits>`.
    public let key: String
    /// The 64-byte Ed25519 signature.
    public let sig: [UInt8]

    /// Creates a signature reference.
    public init(key: String, sig: [UInt8]) {
        self.key = key
        self.sig = sig
    }

    /// The key name part of ``key``.
    public var keyName: String { String(key.split(separator: "+").first ?? "") }

    /// The signature as JSON.
    public var json: JSONValue { ["key": .string(key), "sig": .string(Base64.encode(sig))] }

    /// Validates `{"key": …, "sig": …}`.
    public static func parse(_ v: JSONValue, path: String = "signature.") throws(ValidationError) -> EventSignature {
        var c = Checker()
        let s = parse(v, checker: &c, path: path)
        try c.finish()
        return s!
    }

    static func parse(_ v: JSONValue, checker c: inout Checker, path: String = "signature.") -> EventSignature? {
        guard case .object(let o) = v else {
            c.add(String(path.dropLast()), "must be an object with key and sig", v)
            return nil
        }
        let before = c.violations.count
        c.unknownFields(o, allowed: ["key", "sig"], at: path)
        let key = c.string(o, "key", at: path)
        if let key, !isKeyReference(key) {
            c.add(path + "key", "must be <name>+<8 lowercase hex digits>", .string(key))
        }
        var sig: [UInt8]?
        if let s = c.string(o, "sig", at: path) {
            if let b = Base64.decode(s), b.count == 64 { sig = b } else {
                c.add(path + "sig", "must be the base64 of a 64-byte Ed25519 signature", .string(s))
            }
        }
        guard let key, let sig, c.violations.count == before else { return nil }
        return EventSignature(key: key, sig: sig)
    }

    /// Whether `s` has the form `<name>+<8 lowercase hex digits>`.
    public static func isKeyReference(_ s: String) -> Bool {
        let parts = s.split(separator: "+", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && Hex.isLowercaseHex(String(parts[1]), bytes: 4)
    }
}
