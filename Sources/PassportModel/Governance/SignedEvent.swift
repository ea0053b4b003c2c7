/// The line type of pre-signed input (`dpp append --signed`), part of the rules an auditor replays.
/// An event with its signature, ready to append.
public struct SignedEvent: Sendable, Hashable {
    /// The event.
    public let event: Event
    /// Its signature.
    public let signature: EventSignature

    /// Creates a signed event.
    public init(event: Event, signature: EventSignature) {
        self.event = event
        self.signature = signature
    }

    /// Parses a pre-signed line: `{"event": {...}, "signature": {"key": ..., "sig": ...}}`.
    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let o) = json else {
            throw ValidationError([Violation(path: "line", rule: "must be an object with event and signature")])
        }
        var violations: [Violation] = []
        for k in o.keys where k != "event" && k != "signature" {
            violations.append(Violation(path: k, rule: "unknown field (a signed line has only event and signature)"))
        }
        var event: Event?
        var signature: EventSignature?
        if let e = o["event"] {
            do { event = try Event(json: e, path: "event.") } catch { violations += error.violations }
        } else {
            violations.append(Violation(code: .required, path: "event", rule: "is required"))
        }
        if let s = o["signature"] {
            do { signature = try EventSignature.parse(s) } catch { violations += error.violations }
        } else {
            violations.append(Violation(code: .required, path: "signature", rule: "is required"))
        }
        if !violations.isEmpty { throw ValidationError(violations) }
        self.init(event: event!, signature: signature!)
    }

    /// The signed line form.
    public var json: JSONValue { ["event": .object(event.json), "signature": signature.json] }
}
