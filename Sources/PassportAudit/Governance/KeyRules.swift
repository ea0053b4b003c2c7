import PassportModel

/// The rules for who may sign which event, shared by the append path, `dpp verify` and an
/// auditor's offline replay, so that a record is judged exactly as it was when it was appended
/// (with the keys, permissions and policy in force then). No storage: callers supply the keys.
public enum KeyRules {
    /// The `source` of events on the `system` subject.
    public static let systemSource = "ledger"

    /// A change to the ledger's governance state carried by a `system` event.
    public enum Effect: Sendable {
        case register(KeyEntry)
        case revoke(reference: String)
        case permissions(reference: String, Permissions)
        case policy(OwnershipPolicy)
        /// Recorded for the audit trail; changes no state.
        case noted
    }

    /// The `system` event types.
    public static let systemTypes = ["key.registered", "key.revoked", "key.permissions-changed", "policy.updated", "quarantine.discarded", "quarantine.corrected", "input.kept"]

    /// Checks that `key` may sign `event` as record `index` recorded at `recordedAt`.
    /// - Parameter signatureVerified: true if the signature was already checked against this key.
    public static func authorize(
        event: Event, signature: EventSignature, key: KeyEntry?, index: UInt64, recordedAt: Timestamp,
        signatureVerified: Bool
    ) -> GovernanceRejection? {
        if index == 0 {
            return authorizeGenesis(event: event, signature: signature)
        }
        guard let key, key.registeredIndex < index else {
            return GovernanceRejection(
                .unknownKey, "signing key \(signature.key) is not registered in this ledger; register it with dpp keys add",
                path: "signature.key", rule: "registered key", value: signature.key)
        }
        if let revoked = key.revokedIndex, revoked < index {
            return GovernanceRejection(.revokedKey, "signing key \(signature.key) was revoked at record \(revoked)", path: "signature.key", rule: "key not revoked", value: signature.key)
        }
        if let from = key.validFrom, recordedAt < from {
            return GovernanceRejection(.keyNotValid, "signing key \(signature.key) is not valid before \(from)", path: "signature.key", rule: "key valid from \(from)", value: signature.key)
        }
        if let until = key.validUntil, recordedAt >= until {
            return GovernanceRejection(.keyNotValid, "signing key \(signature.key) expired at \(until)", path: "signature.key", rule: "key valid until \(until)", value: signature.key)
        }
        if key.role == "ledger" {
            guard event.subject.kind == .system, event.source == systemSource else {
                return GovernanceRejection(.notPermitted, "the ledger key signs only events on the system subject with source \"\(systemSource)\"", path: "subject", rule: "system subject")
            }
        } else {
            if event.subject.kind == .system {
                return GovernanceRejection(.notPermitted, "only the ledger key may write the system subject; \(signature.key) is a source key", path: "subject", rule: "not system")
            }
            guard event.source == key.vkey.name else {
                return GovernanceRejection(
                    .notPermitted, "event source \"\(event.source)\" does not match the signing key \(signature.key); a source signs only its own events",
                    path: "source", rule: "source \(key.vkey.name)", value: "\"\(event.source)\"")
            }
        }
        if !signatureVerified, !key.vkey.publicKey.isValidSignature(signature.sig, for: event.signatureInput) {
            return GovernanceRejection(
                .badSignature, "signature does not verify with key \(signature.key): the event was altered or signed with another key", path: "signature.sig",
                rule: "Ed25519 signature by \(signature.key)")
        }
        return nil
    }

    /// Record 0 must be the ledger key's self-signed registration.
    public static func authorizeGenesis(event: Event, signature: EventSignature) -> GovernanceRejection? {
        guard event.subject.kind == .system, event.type == "key.registered", event.data["role"]?.stringValue == "ledger",
            let v = event.data["vkey"]?.stringValue, let vkey = try? NoteVerifierKey(parsing: v),
            vkey.reference == signature.key
        else {
            return GovernanceRejection(.notPermitted, "record 0 must be the ledger key's own key.registered event")
        }
        guard vkey.publicKey.isValidSignature(signature.sig, for: event.signatureInput) else {
            return GovernanceRejection(.badSignature, "the ledger key's registration is not signed by the ledger key")
        }
        return nil
    }

    /// Interprets a `system` event; `lookup` finds currently registered keys.
    public static func effect(
        of event: Event, index: UInt64, lookup: (String) throws -> KeyEntry?
    ) throws -> Effect? {
        guard event.subject.kind == .system else { return nil }
        var violations: [Violation] = []
        func allow(_ keys: [String]) {
            for k in event.data.keys where !keys.contains(k) {
                violations.append(Violation(path: "data.\(k)", rule: "unknown field (allowed: \(keys.sorted().joined(separator: ", ")))"))
            }
        }
        func finish() throws {
            if !violations.isEmpty { throw GovernanceRejection(.invalidEvent, violations: violations) }
        }
        func requireText(_ k: String, _ rule: String) {
            if event.data[k]?.stringValue?.isEmpty ?? true { violations.append(Violation(path: "data.\(k)", rule: rule)) }
        }
        switch event.type {
        case "key.registered":
            allow(["vkey", "role", "description", "kind", "permissions"])
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
                violations.append(Violation(code: .required, path: "data.vkey", rule: "is required (a note verifier key)"))
            }
            if role == "ledger" && index != 0 {
                violations.append(Violation(path: "data.role", rule: "the ledger key is registered only by record 0"))
            }
            if role == "source", let vkey, !Event.isValidSourceName(vkey.name) || vkey.name == systemSource {
                violations.append(Violation(path: "data.vkey", rule: "a source key name must be 1–64 of A–Z a–z 0–9 . _ - and not \"ledger\"", value: vkey.name))
            }
            let kind = event.data["kind"]?.stringValue
            if let k = event.data["kind"], kind.map(Event.isValidSourceName) != true {
                violations.append(Violation(path: "data.kind", rule: "must be 1–64 of A–Z a–z 0–9 . _ -", value: Violation.show(k)))
            }
            var permissions = Permissions.all
            if let p = event.data["permissions"] {
                do { permissions = try Permissions(json: p) } catch { violations += error.violations }
            }
            try finish()
            if try lookup(vkey!.reference) != nil {
                throw GovernanceRejection(.invalidEvent, "key \(vkey!.reference) is already registered")
            }
            return .register(KeyEntry(
                vkey: vkey!, role: role!, registeredIndex: index, validFrom: event.validFrom, validUntil: event.validUntil, kind: kind,
                permissions: permissions))
        case "key.revoked", "key.permissions-changed":
            let changing = event.type == "key.permissions-changed"
            allow(changing ? ["key", "permissions", "reason"] : ["key", "reason"])
            requireText("reason", changing ? "is required: say why the permissions change" : "is required: say why the key is revoked")
            var permissions: Permissions?
            if changing {
                if let p = event.data["permissions"] {
                    do { permissions = try Permissions(json: p) } catch { violations += error.violations }
                } else {
                    violations.append(Violation(code: .required, path: "data.permissions", rule: "is required"))
                }
            }
            guard let ref = event.data["key"]?.stringValue else {
                throw GovernanceRejection(.invalidEvent, violations: violations + [Violation(code: .required, path: "data.key", rule: "required", message: "is required (<name>+<key id>)")])
            }
            try finish()
            guard let entry = try lookup(ref) else { throw GovernanceRejection(.invalidEvent, "key \(ref) is not registered") }
            if entry.role == "ledger" { throw GovernanceRejection(.invalidEvent, "the ledger key cannot be \(changing ? "restricted" : "revoked")") }
            if entry.revokedIndex != nil { throw GovernanceRejection(.invalidEvent, "key \(ref) is revoked") }
            return changing ? .permissions(reference: ref, permissions!) : .revoke(reference: ref)
        case "policy.updated":
            do {
                return .policy(try OwnershipPolicy(json: .object(event.data)))
            } catch {
                throw GovernanceRejection(.invalidEvent, violations: error.violations.map {
                    Violation(code: $0.code, path: "data." + $0.path, rule: $0.rule, message: $0.message, value: $0.value)
                })
            }
        case "quarantine.discarded":
            allow(["entry", "reason", "sha256", "origin"])
            requireText("reason", "is required: say why the input is discarded")
            if event.data["entry"]?.numberValue?.intValue == nil { violations.append(Violation(code: .required, path: "data.entry", rule: "is required (the quarantine entry ID)")) }
            if !(event.data["sha256"]?.stringValue.map { Hex.isLowercaseHex($0, bytes: 32) } ?? false) {
                violations.append(Violation(code: .required, path: "data.sha256", rule: "is required: SHA-256 of the discarded bytes"))
            }
            try finish()
            return .noted
        case "quarantine.corrected":
            allow(["entry", "sha256", "record", "origin"])
            if event.data["entry"]?.numberValue?.intValue == nil { violations.append(Violation(code: .required, path: "data.entry", rule: "is required (the quarantine entry ID)")) }
            if !(event.data["sha256"]?.stringValue.map { Hex.isLowercaseHex($0, bytes: 32) } ?? false) {
                violations.append(Violation(code: .required, path: "data.sha256", rule: "is required: SHA-256 of the rejected bytes"))
            }
            if (event.data["record"]?.numberValue?.intValue ?? -1) < 0 || UInt64(event.data["record"]!.numberValue!.intValue!) >= index {
                violations.append(Violation(code: .required, path: "data.record", rule: "is required: the index of the earlier record the correction became"))
            }
            try finish()
            return .noted
        case "input.kept":
            // Input a connector received that no passport event states (an EPCIS observation): the
            // ledger commits it, as the attachment named by sha256, so that nothing received is lost.
            allow(["connector", "source", "origin", "sha256", "reason"])
            requireText("connector", "is required: the connector that received the input")
            requireText("origin", "is required: where the input came from")
            let sha = event.data["sha256"]?.stringValue
            if !(sha.map { Hex.isLowercaseHex($0, bytes: 32) } ?? false) {
                violations.append(Violation(code: .required, path: "data.sha256", rule: "is required: SHA-256 of the kept input"))
            } else if !event.attachments.contains(where: { $0.sha256 == sha }) {
                violations.append(Violation(code: .rule, path: "attachments", rule: "must attach the kept input (data.sha256)"))
            }
            try finish()
            return .noted
        default:
            throw GovernanceRejection(.invalidEvent, "unknown system event type \(event.type) (known: \(systemTypes.joined(separator: ", ")))")
        }
    }

    /// Checks what a source key writes against its permissions and the ownership policy in force:
    /// the subject, the event type, every field the event sets, ownership of those fields (owners write, others
    /// only override), and the override permission. Every missing permission is named.
    public static func checkWrite(_ event: Event, fields: [String], key: KeyEntry, policy: OwnershipPolicy) -> GovernanceRejection? {
        guard event.subject.kind != .system, key.role == "source" else { return nil }
        let ref = key.vkey.reference
        var violations: [Violation] = []
        func deny(_ path: String, _ rule: String, _ message: String, _ value: String? = nil) {
            violations.append(Violation(code: Violation.Code(rawValue: GovernanceRejection.Code.notPermitted.rawValue), path: path, rule: rule, message: message, value: value))
        }
        if !key.permissions.allows(subject: event.subject) {
            deny("subject", "subjects \(key.permissions.subjects.joined(separator: ", "))",
                "key \(ref) may not write subject \(event.subject) (permitted subjects: \(key.permissions.subjects.joined(separator: ", ")))", event.subject.rawValue)
        }
        if !key.permissions.allows(type: event.type) {
            deny("type", "event types \(key.permissions.eventTypes.joined(separator: ", "))",
                "key \(ref) may not write \(event.type) events (permitted: \(key.permissions.eventTypes.joined(separator: ", ")))", event.type)
        }
        let isOverride = EventCatalog.overrideTypes.contains(event.type)
        if isOverride && !key.permissions.override {
            deny("type", "override permission", "key \(ref) lacks the override permission needed for \(event.type)", event.type)
        }
        for field in Set(fields).sorted() {
            if !key.permissions.allows(field: field) {
                deny("", "fields \(key.permissions.fields.joined(separator: ", "))",
                    "key \(ref) may not write \(field) (permitted fields: \(key.permissions.fields.joined(separator: ", ")))", field)
            }
            if !isOverride, policy.rank(of: event.source, kind: key.kind, for: field) == nil {
                deny("", "owner \(policy.owners(of: field).joined(separator: ", "))",
                    "source \(event.source)\(key.kind.map { " (kind \($0))" } ?? "") does not own \(field) (owners: \(policy.owners(of: field).joined(separator: ", "))); a non-owner changes it only with a field.overridden event by a key with the override permission", field)
            }
        }
        return violations.isEmpty ? nil : GovernanceRejection(.notPermitted, violations: violations)
    }
}
