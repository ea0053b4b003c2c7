import ArgumentParser
import Foundation
import PassportLedger
import PassportModel

struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy", abstract: "The data-ownership policy: which source systems own which passport fields.",
        subcommands: [Show.self, Set.self, History.self, Default.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the policy in force (now, or at --as-of).", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Option(help: "System time (RFC 3339 date-time, or a date).", transform: Arg.timestamp) var asOf: Timestamp?
        func run() throws {
            try guarded {
                print(PrettyJSON.string(try store.open(readOnly: true).policy(asOf: asOf).json))
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Record a new policy (policy.updated, signed by the ledger key); later events are judged by it.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        @Argument(help: "Policy JSON file (see Specs/schemas/ownership-policy.schema.json).") var file: String
        @Option(help: "Why the policy changes (recorded).") var reason: String
        func run() throws {
            try guarded {
                let policy: OwnershipPolicy
                do {
                    policy = try OwnershipPolicy(json: try JSONParser.parse(try readInput(file)))
                } catch let e as PassportModel.ValidationError {
                    throw LedgerError(.invalidArgument, "\(file): \(e)")
                }
                print("policy recorded as record \(try store.open().setPolicy(policy, reason: reason))")
            }
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every policy recorded, oldest first.", discussion: exitCodes())
        @OptionGroup var store: StoreOptions
        func run() throws {
            try guarded {
                for p in try store.open(readOnly: true).policyHistory() {
                    print("#\(p.index)  \(p.recordedAt)  \(p.policy.fields.count) field patterns")
                }
            }
        }
    }

    struct Default: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the default policy shipped with dpp.", discussion: exitCodes())
        func run() throws { print(PrettyJSON.string(OwnershipPolicy.default.json)) }
    }
}

/// `--event-types`, `--fields`, `--subjects`, `--override` for keys.
struct PermissionOptions: ParsableArguments {
    @Option(help: "Comma-separated event types the key may write (default: all).") var eventTypes: String?
    @Option(help: "Comma-separated field patterns it may write: path, section.* or * (default: all).") var fields: String?
    @Option(help: "Comma-separated subjects it may write: a subject (supplier/ACME), a prefix ending in * (01/09506000134352*) or * (default: all).")
    var subjects: String?
    @Flag(inversion: .prefixedNo, help: "May override fields its source does not own (field.overridden); default: no.")
    var override: Bool?

    /// Checks the lists' syntax before anything runs (a usage error, exit 64).
    func validate() throws { _ = try permissions() }

    /// True if any option is given.
    var namesAny: Bool { eventTypes != nil || fields != nil || subjects != nil || override != nil }

    /// The permissions the options give: those named replace the ones in `base`, the rest are kept.
    func permissions(base: Permissions = .all) throws -> Permissions {
        func list(_ s: String?) -> JSONValue? { s.map { .array($0.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }) } }
        var o = base.json.objectValue ?? [:]
        if let t = list(eventTypes) { o["eventTypes"] = t }
        if let f = list(fields) { o["fields"] = f }
        if let s = list(subjects) { o["subjects"] = s }
        if let override { o["override"] = .bool(override) }
        do { return try Permissions(json: .object(o), path: "permissions") } catch {
            throw ArgumentParser.ValidationError("\(error)")
        }
    }
}

struct AuditTrail: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trail", abstract: "Every write that touched a subject's passport (or one field): when, which system and key, from which document, overrides and their reasons.", discussion: exitCodes())
    @OptionGroup var store: StoreOptions
    @Argument(help: "Subject, e.g. 01/09506000134352.", transform: Arg.subject) var subject: Subject
    @Option(help: "Only writes of this field (e.g. environment.carbonFootprint or logistics.shipments[SHP-1]).") var field: String?
    @Option(help: "Access tier: public, legitimate-interest or authority; fields above it are not listed, documents only of records wholly visible.")
    var view: AccessTier = .public
    @Option(help: "text or json.") var format: OutputFormat = .text

    func validate() throws {
        if let field, PassportFields.byPath[String(field.prefix { $0 != "[" })] == nil {
            throw ArgumentParser.ValidationError("--field: \(field) is not a passport field")
        }
    }

    func run() throws {
        try guarded {
            let id = subject
            let ledger = try store.open(readOnly: true)
            let policy = try ledger.accessPolicy()
            let trail = try ledger.passportHistory(id, field: field, view: view, policy: policy)
            if trail.isEmpty, field != nil { printError("no write visible at tier \(view.rawValue) touched \(field!) of \(id)") }
            for (record, facts) in trail {
                let e = record.event
                // Documents reveal what the record carries: only for a caller who may see all of it.
                let documents = policy.tier(toDisclose: e) > view ? [] : e.refs.map { "\($0.rel) \($0.subject)\($0.sourceRef.map { " (\($0))" } ?? "")" }
                    + e.attachments.map { "attachment \($0.name) sha256 \($0.sha256)" }
                let changes = facts.map { f -> (String, String?) in
                    let path = f.key.map { "\(f.field)[\($0)]" } ?? f.field
                    switch f.kind {
                    case .value: return (path, nil)
                    case .override(let r): return (path, "override: \(r)")
                    case .withdrawal(let r): return (path, "override withdrawn: \(r)")
                    }
                }
                if format == .json {
                    var o: JSONObject = [
                        "index": .number(JSONNumber(Int(record.index))), "recordedAt": .string(record.recordedAt.description),
                        "subject": .string(record.subject.rawValue), "source": .string(e.source), "key": .string(record.signature.key),
                        "type": .string(e.type), "sourceRef": .string(e.sourceRef),
                        "fields": .array(changes.map { c in c.1.map { ["path": .string(c.0), "note": .string($0)] } ?? ["path": .string(c.0)] }),
                    ]
                    if !documents.isEmpty { o["documents"] = .array(documents.map { .string($0) }) }
                    print(CanonicalJSON.string(.object(o)))
                } else {
                    print("#\(record.index)  \(record.recordedAt)  \(e.source) [\(record.signature.key)]  \(e.type) \(e.sourceRef) on \(record.subject)")
                    for c in changes { print("    \(c.0)\(c.1.map { "  — \($0)" } ?? "")") }
                    for d in documents { print("    from \(d)") }
                }
            }
        }
    }
}
