import Foundation
import LMDB
import PassportAudit
import PassportModel

/// A registered key as shown to users.
public struct KeyInfo: Sendable, Hashable {
    /// `<name>+<hex key ID>`.
    public let reference: String
    /// The verifier key (vkey line).
    public let vkey: NoteVerifierKey
    /// `ledger` or `source`.
    public let role: String
    /// The record that registered it.
    public let registeredIndex: UInt64
    /// The record that revoked it, if revoked.
    public let revokedIndex: UInt64?
    /// Validity window start.
    public let validFrom: Timestamp?
    /// Validity window end.
    public let validUntil: Timestamp?
    /// The source system's kind (named by ownership policies).
    public let kind: String?
    /// What the key may write.
    public let permissions: Permissions

    /// True if not revoked.
    public var isActive: Bool { revokedIndex == nil }

    /// The key as `dpp keys list --format json` and `GET /admin/keys` give it.
    public var json: JSONObject {
        var o: JSONObject = [
            "key": .string(reference), "vkey": .string(vkey.description), "role": .string(role),
            "registeredIndex": .number(JSONNumber(Int(registeredIndex))), "active": .bool(isActive),
        ]
        if let r = revokedIndex { o["revokedIndex"] = .number(JSONNumber(Int(r))) }
        if let f = validFrom { o["validFrom"] = .string(f.description) }
        if let u = validUntil { o["validUntil"] = .string(u.description) }
        if let kind { o["kind"] = .string(kind) }
        o["permissions"] = permissions.json
        return o
    }
}

extension Ledger {
    /// All registered keys, ledger key first, then in registration order.
    public func keys() throws -> [KeyInfo] {
        try env.read { txn in
            var out: [KeyInfo] = []
            try txn.withCursor(dbs.keys) { c in
                var pos: Cursor.Position = .first
                while let bytes = try c.move(pos, { _, v in [UInt8](v) }) {
                    let e = try KeyEntry(bytes: bytes)
                    out.append(KeyInfo(
                        reference: e.vkey.reference, vkey: e.vkey, role: e.role, registeredIndex: e.registeredIndex,
                        revokedIndex: e.revokedIndex, validFrom: e.validFrom, validUntil: e.validUntil, kind: e.kind,
                        permissions: e.permissions))
                    pos = .next
                }
            }
            return out.sorted { $0.registeredIndex < $1.registeredIndex }
        }
    }

    /// The newest active key of a source, if any.
    public func activeKey(source: String) throws -> KeyInfo? {
        try keys().last { $0.vkey.name == source && $0.role == "source" && $0.isActive }
    }

    /// Creates a source key, stores it in a 0600 file and registers it in the `system` subject.
    /// - Parameters:
    ///   - name: the source system's name (events from it carry `"source": name`).
    ///   - kind: the kind of system (`plm`, `erp`, `supplier`, `tms`, `qa`…) that ownership policies
    ///     name; by default the part of `name` before its first `-`.
    ///   - permissions: what it may write (default: every event type and field, no overrides).
    ///   - validFrom: optional start of the key's validity.
    ///   - validUntil: optional end of the key's validity.
    /// - Returns: the new key's verifier key.
    /// - Throws: ``LedgerError`` if the name is invalid, the source already has an active key, or registration fails.
    @discardableResult
    public func addKey(
        name: String, kind: String? = nil, permissions: Permissions = .all, validFrom: Timestamp? = nil, validUntil: Timestamp? = nil
    ) throws -> NoteVerifierKey {
        guard Event.isValidSourceName(name), name != KeyRules.systemSource else {
            throw LedgerError(.invalidArgument, "key name \"\(name)\" must be 1–64 characters of A–Z a–z 0–9 . _ - and not \"ledger\"")
        }
        if let existing = try activeKey(source: name) {
            throw LedgerError(.key, "source \(name) already has an active key \(existing.reference); revoke it first with dpp keys revoke \(name)")
        }
        let signer = try NoteSigner.generate(name: name)
        try keyFiles.write(signer)
        do {
            try appendSystemEvent(
                type: "key.registered", sourceRef: "key.registered/\(signer.verifier.reference)",
                data: ["vkey": .string(signer.verifier.description), "role": "source",
                    "kind": .string(kind ?? String(name.split(separator: "-").first ?? Substring(name))), "permissions": permissions.json],
                validFrom: validFrom, validUntil: validUntil)
        } catch {
            keyFiles.remove(reference: signer.verifier.reference)
            throw error
        }
        return signer.verifier
    }

    /// Revokes a key (by source name, meaning its active key, or by `<name>+<id>`). Events signed
    /// with it after the revocation are rejected; earlier ones stay valid.
    /// - Returns: the revoked key's reference.
    @discardableResult
    public func revokeKey(_ nameOrReference: String, reason: String) throws -> String {
        let target = try key(nameOrReference)
        try appendSystemEvent(
            type: "key.revoked", sourceRef: "key.revoked/\(target.reference)",
            data: ["key": .string(target.reference), "reason": .string(reason)])
        return target.reference
    }

    /// Changes what a source's active key (or a key by reference) may write; recorded as
    /// `key.permissions-changed`, so the history of who was allowed what is audited.
    @discardableResult
    public func changePermissions(_ nameOrReference: String, to permissions: Permissions, reason: String) throws -> String {
        let target = try key(nameOrReference)
        try appendSystemEvent(
            type: "key.permissions-changed", sourceRef: "key.permissions-changed/\(target.reference)/\(UUID().uuidString)",
            data: ["key": .string(target.reference), "permissions": permissions.json, "reason": .string(reason)])
        return target.reference
    }

    /// A key by `<name>+<id>`, or a source's active key by its name.
    /// - Throws: ``LedgerError`` `not-found` if there is none.
    public func key(_ nameOrReference: String) throws -> KeyInfo {
        let all = try keys()
        let target = nameOrReference.contains("+")
            ? all.first { $0.reference == nameOrReference }
            : all.last { $0.vkey.name == nameOrReference && $0.role == "source" && $0.isActive }
        guard let target else { throw LedgerError(.notFound, "no active key \(nameOrReference); see dpp keys list") }
        return target
    }

    /// The signer for a source's active key, read from its key file.
    public func sourceSigner(_ source: String) throws -> NoteSigner {
        guard let key = try activeKey(source: source) else {
            throw LedgerError(.key, "source \(source) has no active key; create one with dpp keys add \(source)")
        }
        return try keyFiles.read(reference: key.reference)
    }
}
