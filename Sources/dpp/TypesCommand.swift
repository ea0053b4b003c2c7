import ArgumentParser
import Foundation
import PassportModel

/// `dpp types`: what a newcomer may write — every event type with its subjects, required fields,
/// the passport fields it writes with their owners under the default policy, and a valid example.
struct Types: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the event types: required fields, who owns what they write, and a valid example line.",
        discussion: """
            Every event has type, subject, sourceRef, createdAt and data (source is filled in by dpp append --source); \
            validFrom/validUntil give valid time. The examples share one product (model 01/09506000134352, its batch \
            LOT-2026-001 and item SN-0001) and can be appended as they are: \
            dpp types --example bom.released | dpp append --source plm-windchill.


            """ + exitCodes())

    @OptionGroup var store: StoreOptions  // accepted like every verb's, though types needs no store
    @Argument(help: "Only this event type (default: all).") var type: String?
    @Flag(help: "Print only the example line(s), ready for dpp append --source.") var example = false
    @Option(help: "text or json (one object per type).") var format: OutputFormat = .text

    func validate() throws {
        if let type, EventCatalog.spec(type) == nil {
            throw ValidationError("unknown event type \(type) (known: \(EventCatalog.all.map(\.type).joined(separator: ", ")))")
        }
    }

    func run() throws {
        let specs = EventCatalog.all.filter { type == nil || $0.type == type }
        for spec in specs {
            let example = EventCatalog.examples[spec.type].map { CanonicalJSON.string(.object($0)) } ?? ""
            if self.example {
                print(example)
                continue
            }
            let writes = Types.writes(spec)
            if format == .json {
                var o: JSONObject = [
                    "type": .string(spec.type), "description": .string(spec.description),
                    "subjects": .array(spec.subjects.map(\.rawValue).sorted().map { .string($0) }),
                    "required": .array(Types.required(spec.data, at: "data").map { .string($0) }),
                    "rules": .array(spec.ruleText.map { .string($0) }),
                    "writes": .array(writes.map { w in
                        ["field": .string(w.field), "owners": .array(w.owners.map { .string($0) }), "tier": .string(w.tier.rawValue)]
                    }),
                ]
                if let e = EventCatalog.examples[spec.type] { o["example"] = .object(e) }
                print(CanonicalJSON.string(.object(o)))
                continue
            }
            print("\(spec.type) — \(spec.description)")
            print("  subjects: \(spec.subjects.map(\.rawValue).sorted().joined(separator: ", "))")
            print("  required: \(Types.required(spec.data, at: "data").joined(separator: ", "))")
            if !spec.ruleText.isEmpty { print("  rules:    \(spec.ruleText.joined(separator: "; "))") }
            if EventCatalog.overrideTypes.contains(spec.type) {
                print("  writes:   the field it names, by a key with the override permission (not ownership)")
            } else {
                print("  writes:   " + writes.map { "\($0.field) (owner \($0.owners.isEmpty ? "any" : $0.owners.joined(separator: "/")); \($0.tier.rawValue))" }
                    .joined(separator: ", "))
            }
            print("  example:  \(example)")
            print("")
        }
    }

    /// The passport fields an event type writes (from its example), with owners under the default policy.
    static func writes(_ spec: EventTypeSpec) -> [(field: String, owners: [String], tier: AccessTier)] {
        guard let event = try? EventCatalog.exampleEvent(spec.type) else { return [] }
        var seen = Set<String>()
        return spec.assignments(event).compactMap { a in
            guard seen.insert(a.field).inserted else { return nil }
            return (a.field, OwnershipPolicy.default.owners(of: a.field), AccessPolicy.defaults.tier(of: a.field))
        }
    }

    /// The required members of a data schema, as paths (`lines[].part`).
    static func required(_ schema: DataSchema, at path: String) -> [String] {
        switch schema {
        case .object(let properties):
            return properties.flatMap { p -> [String] in
                let here = path.isEmpty ? p.name : "\(path).\(p.name)"
                return (p.required ? [here] : []) + required(p.schema, at: here).filter { _ in p.required }
            }
        case .array(let item, _):
            return required(item, at: path + "[]")
        default:
            return []
        }
    }
}
