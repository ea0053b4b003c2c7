import PassportAudit
import PassportModel

/// The rules for who may sign which event, shared by the append path and `verify` so that a
/// stored record is judged exactly as it was when it was appended (with the keys in force then).
enum KeyRules {
    /// The `source` of events on the `system` subject.
    static let systemSource = "ledger"

    /// A change to the key registry carried by a `system` event.
    enum Effect {
        case register(KeyEntry)
        case revoke(reference: String)
    }

    /// Checks that `key` may sign `event` as record `index` recorded at `recordedAt`.
    /// - Parameter signatureVerified: true if the signature was already checked against this key.
    static func authorize(
        event: Event, signature: EventSignature, key: KeyEntry?, index: UInt64, recordedAt: Timestamp,
        signatureVerified: Bool
    ) -> LedgerError? {
        if index == 0 {
            return authorizeGenesis(event: event, signature: signature)
        }
        guard let key, key.registeredIndex < index else {
            return LedgerError(
                .unknownKey, "signing key \(signature.key) is not registered in this ledger; register it with dpp keys add")
        }
        if let revoked = key.revokedIndex, revoked < index {
            return LedgerError(.revokedKey, "signing key \(signature.key) was revoked at record \(revoked)")
        }
        if let from = key.validFrom, recordedAt < from {
            return LedgerError(.keyNotValid, "signing key \(signature.key) is not valid before \(from)")
        }
        if let until = key.validUntil, recordedAt >= until {
            return LedgerError(.keyNotValid, "signing key \(signature.key) expired at \(until)")
        }
        if key.role == "ledger" {
            guard event.subject.kind == .system, event.source == systemSource else {
                return LedgerError(.notPermitted, "the ledger key signs only events on the system subject with source \"\(systemSource)\"")
            }
        } else {
            if event.subject.kind == .system {
                return LedgerError(.notPermitted, "only the ledger key may write the system subject; \(signature.key) is a source key")
            }
            guard event.source == key.vkey.name else {
                return LedgerError(
                    .notPermitted, "event source \"\(event.source)\" does not match the signing key \(signature.key); a source signs only its own events")
            }
        }
        if !signatureVerified, !key.vkey.publicKey.isValidSignature(signature.sig, for: event.signatureInput) {
            return LedgerError(.badSignature, "signature does not verify with key \(signature.key): the event was altered or signed with another key")
        }
        return nil
    }

    /// Record 0 must be the ledger key's self-signed registration.
    static func authorizeGenesis(event: Event, signature: EventSignature) -> LedgerError? {
        guard event.subject.kind == .system, event.type == "key.registered", event.data["role"]?.stringValue == "ledger",
            let v = event.data["vkey"]?.stringValue, let vkey = try? NoteVerifierKey(parsing: v),
            vkey.reference == signature.key
        else {
            return LedgerError(.notPermitted, "record 0 must be the ledger key's own key.registered event")
        }
        guard vkey.publicKey.isValidSignature(signature.sig, for: event.signatureInput) else {
            return LedgerError(.badSignature, "the ledger key's registration is not signed by the ledger key")
        }
        return nil
    }

    /// Interprets a `system` event; `lookup` finds currently registered keys.
    static func effect(
        of event: Event, index: UInt64, lookup: (String) throws -> KeyEntry?
    ) throws -> Effect? {
        guard event.subject.kind == .system else { return nil }
        var violations: [Violation] = []
        switch event.type {
        case "key.registered":
            let allowed: Set<String> = ["vkey", "role", "description"]
            for k in event.data.keys where !allowed.contains(k) {
                violations.append(Violation(path: "data.\(k)", rule: "unknown field (allowed: description, role, vkey)"))
            }
            let role = event.data["role"]?.stringValue
            if role != "source" && role != "ledger" {
                violations.append(Violation(path: "data.role", rule: "must be \"source\" or \"ledger\""))
            }
            var vkey: NoteVerifierKey?
            if let v = event.data["vkey"]?.stringValue {
                do { vkey = try NoteVerifierKey(parsing: v) } catch {
                    violations.append(Violation(path: "data.vkey", rule: error.message, value: v))
                }
            } else {
                violations.append(Violation(path: "data.vkey", rule: "is required (a note verifier key)"))
            }
            if role == "ledger" && index != 0 {
                violations.append(Violation(path: "data.role", rule: "the ledger key is registered only by record 0"))
            }
            if role == "source", let vkey, !Event.isValidSourceName(vkey.name) || vkey.name == systemSource {
                violations.append(Violation(path: "data.vkey", rule: "a source key name must be 1–64 of A–Z a–z 0–9 . _ - and not \"ledger\"", value: vkey.name))
            }
            if !violations.isEmpty { throw LedgerError(.invalidEvent, reasons: violations.map(\.description)) }
            if try lookup(vkey!.reference) != nil {
                throw LedgerError(.invalidEvent, "key \(vkey!.reference) is already registered")
            }
            return .register(
                KeyEntry(vkey: vkey!, role: role!, registeredIndex: index, validFrom: event.validFrom, validUntil: event.validUntil))
        case "key.revoked":
            for k in event.data.keys where k != "key" && k != "reason" {
                violations.append(Violation(path: "data.\(k)", rule: "unknown field (allowed: key, reason)"))
            }
            guard let ref = event.data["key"]?.stringValue else {
                throw LedgerError(.invalidEvent, reasons: violations.map(\.description) + ["data.key: is required (<name>+<key id>)"])
            }
            if event.data["reason"]?.stringValue?.isEmpty ?? true {
                violations.append(Violation(path: "data.reason", rule: "is required: say why the key is revoked"))
            }
            if !violations.isEmpty { throw LedgerError(.invalidEvent, reasons: violations.map(\.description)) }
            guard let entry = try lookup(ref) else { throw LedgerError(.invalidEvent, "key \(ref) is not registered") }
            if entry.role == "ledger" { throw LedgerError(.invalidEvent, "the ledger key cannot be revoked") }
            if entry.revokedIndex != nil { throw LedgerError(.invalidEvent, "key \(ref) is already revoked") }
            return .revoke(reference: ref)
        default:
            throw LedgerError(.invalidEvent, "unknown system event type \(event.type) (known: key.registered, key.revoked)")
        }
    }
}
