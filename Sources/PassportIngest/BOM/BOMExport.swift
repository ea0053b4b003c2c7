import Foundation
import PassportModel
import Sodium

/// A PLM bill-of-materials export at a release milestone (`Specs/connectors/bom.md`), read into one
/// `bom.released` event per assembly revision, each carrying the export file as its attachment.
///
/// A pure mapper: it reads bytes and returns events or the violations that stop them; it writes
/// nothing. An export may hold several assemblies (a pack and its modules: a multi-level BoM names
/// a sub-assembly in a line's `component`); each is judged on its own, so one draft does not stop
/// the released ones.
public struct BOMExport: Sendable {
    /// The two layouts of an export.
    public enum Format: String, Sendable, CaseIterable {
        /// `{"assemblies": [{"assembly", "revision", "lifecycle", "effectiveFrom", "lines": […]}]}`.
        case json
        /// One row per BoM line with the assembly's columns repeated (RFC 4180, header line).
        case csv

        /// The format a file name suggests (`.csv` is CSV, anything else JSON).
        public static func guess(_ fileName: String) -> Format {
            (fileName as NSString).pathExtension.lowercased() == "csv" ? .csv : .json
        }

        /// The media type of the export as an attachment.
        public var mediaType: String { self == .csv ? "text/csv" : "application/json" }
    }

    /// One assembly revision of the export: its event, or why it cannot be released.
    public struct Release: Sendable {
        /// `<GTIN>/<revision>` (the event's `sourceRef`), or where the assembly is when it has no
        /// usable identity (`assemblies[2]`, `line 7`).
        public let key: String
        /// The unsigned `bom.released` event (no `source`), or the violations.
        public let event: Result<JSONObject, ValidationError>
    }

    /// The fields of an assembly (JSON members; CSV columns repeated on each of its rows).
    public static let assemblyFields = ["assembly", "revision", "lifecycle", "effectiveFrom", "releasedAt"]
    /// The fields of a BoM line.
    public static let lineFields = ["part", "description", "quantity", "massKg", "material", "supplier", "component"]
    /// The CSV columns an export must have.
    public static let requiredColumns = ["assembly", "revision", "lifecycle", "effectiveFrom", "part", "quantity", "massKg", "material"]
    /// Revisions: 1–32 of `A–Z a–z 0–9 . _ -`.
    public static let revisionRule = "1–32 of A–Z a–z 0–9 . _ -"

    /// Reads an export.
    /// - Parameters:
    ///   - bytes: the export file.
    ///   - format: its layout.
    ///   - fileName: its name, kept in the attachment.
    /// - Returns: the releases in file order, or the violations that stop the whole file (not JSON,
    ///   not CSV, no assemblies, a missing or unknown column).
    public static func read(_ bytes: [UInt8], format: Format, fileName: String) -> Result<[Release], ValidationError> {
        let attachment: JSONValue = ["sha256": .string(Hex.encode(SHA256.hash(bytes))), "mediaType": .string(format.mediaType), "name": .string(fileName)]
        switch format {
        case .json: return readJSON(bytes, attachment: attachment)
        case .csv: return readCSV(bytes, attachment: attachment)
        }
    }

    static func readJSON(_ bytes: [UInt8], attachment: JSONValue) -> Result<[Release], ValidationError> {
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch {
            return .failure(ValidationError([Violation(code: .format, path: "", rule: "JSON", message: "not valid JSON: \(error.description)")]))
        }
        guard case .object(let top) = root else {
            return .failure(ValidationError([Violation(code: .type, path: "", rule: "type object", message: "an export is a JSON object with assemblies")]))
        }
        var r = FieldReader()
        r.onlyKnown(FieldSet(values: dict(top), path: { $0 }, textual: false), ["assemblies", "exportedAt", "exportedBy"])
        guard case .array(let items)? = top["assemblies"], !items.isEmpty else {
            r.fail(.required, "assemblies", "required", message: "is required: a non-empty array of assemblies")
            return .failure(ValidationError(r.violations))
        }
        if !r.violations.isEmpty { return .failure(ValidationError(r.violations)) }
        var releases: [Release] = []
        for (i, item) in items.enumerated() {
            let at = "assemblies[\(i)]"
            guard case .object(let a) = item else {
                releases.append(Release(key: at, event: .failure(ValidationError([Violation(code: .type, path: at, rule: "type object", message: "an assembly is a JSON object")]))))
                continue
            }
            var r = FieldReader()
            let head = FieldSet(values: dict(a), path: { "\(at).\($0)" }, textual: false)
            r.onlyKnown(head, assemblyFields + ["lines"])
            var lines: [FieldSet] = []
            if case .array(let ls)? = a["lines"] {
                for (j, l) in ls.enumerated() {
                    guard case .object(let lo) = l else {
                        r.fail(.type, "\(at).lines[\(j)]", "type object", message: "a BoM line is a JSON object")
                        continue
                    }
                    lines.append(FieldSet(values: dict(lo), path: { "\(at).lines[\(j)].\($0)" }, textual: false))
                }
                if ls.isEmpty { r.fail(.minItems, "\(at).lines", "min-items 1", message: "a BoM has at least one line") }
            } else {
                r.fail(.required, "\(at).lines", "required", message: "is required: the BoM lines (an array)")
            }
            releases.append(release(head: head, lines: lines, reader: r, fallbackKey: at, attachment: attachment))
        }
        return .success(duplicatesRefused(releases))
    }

    static func readCSV(_ bytes: [UInt8], attachment: JSONValue) -> Result<[Release], ValidationError> {
        let table: CSVTable
        do { table = try CSVTable(bytes) } catch {
            return .failure(ValidationError([Violation(code: .format, path: "line \(error.line)", rule: "CSV (RFC 4180)", message: error.reason)]))
        }
        var problems: [Violation] = []
        for c in table.columns where !(assemblyFields + lineFields).contains(c) {
            problems.append(Violation(code: .unknownField, path: "line 1: \(c)", rule: "unknown column",
                message: "unknown column (the columns are: \((assemblyFields + lineFields).joined(separator: ", ")))"))
        }
        for c in requiredColumns where !table.columns.contains(c) {
            problems.append(Violation(code: .required, path: "line 1", rule: "required", message: "the header has no column \(c) (required: \(requiredColumns.joined(separator: ", ")))"))
        }
        if table.rows.isEmpty { problems.append(Violation(code: .minItems, path: "line 1", rule: "min-items 1", message: "the export has a header but no BoM lines")) }
        if !problems.isEmpty { return .failure(ValidationError(problems)) }
        // Rows grouped by assembly and revision, in the order they first appear.
        var order: [String] = []
        var groups: [String: [CSVTable.Row]] = [:]
        var releases: [Release] = []
        for row in table.rows {
            guard let v = row.values else {
                releases.append(Release(key: "line \(row.line)", event: .failure(ValidationError([Violation(
                    code: .format, path: "line \(row.line)", rule: "\(table.columns.count) fields",
                    message: "has \(row.fieldCount) fields; the header has \(table.columns.count)")]))))
                continue
            }
            let key = (v["assembly"] ?? "").trimmingWhitespace + "\u{0}" + (v["revision"] ?? "").trimmingWhitespace
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(row)
        }
        for key in order {
            let rows = groups[key]!
            func fields(_ row: CSVTable.Row) -> FieldSet {
                FieldSet(values: (row.values ?? [:]).mapValues { .string($0) }, path: { "line \(row.line): \($0)" }, textual: true)
            }
            let head = fields(rows[0])
            var r = FieldReader()
            // The assembly's columns must say the same on every one of its rows.
            for row in rows.dropFirst() {
                for c in assemblyFields {
                    let first = rows[0].values?[c]?.trimmingWhitespace ?? "", here = row.values?[c]?.trimmingWhitespace ?? ""
                    if first != here {
                        r.fail(.rule, "line \(row.line): \(c)", "same on every row of an assembly",
                            message: "differs from line \(rows[0].line) of the same assembly revision (\(FileInputs.show(first)))", value: FileInputs.show(here))
                    }
                }
            }
            releases.append(release(head: head, lines: rows.map(fields), reader: r, fallbackKey: "line \(rows[0].line)", attachment: attachment))
        }
        return .success(duplicatesRefused(releases))
    }

    /// One assembly revision as an event, or its violations.
    static func release(head: FieldSet, lines: [FieldSet], reader: FieldReader, fallbackKey: String, attachment: JSONValue) -> Release {
        var r = reader
        let assembly = r.subject(head, "assembly", required: "the assembly's product model, 01/<GTIN>", FileInputs.model)
        var revision = r.text(head, "revision", required: "the BoM's revision")
        if let rev = revision, rev.utf8.count > 32 || !rev.utf8.allSatisfy({ c in
            (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c) || c == UInt8(ascii: ".") || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
        }) {
            r.fail(.format, head.path("revision"), "format revision", message: "a revision is \(revisionRule)", value: FileInputs.show(rev))
            revision = nil
        }
        if let lifecycle = r.text(head, "lifecycle", required: "the BoM's lifecycle state (only released BoMs are accepted)") {
            let state = lifecycle.lowercased().replacingOccurrences(of: " ", with: "-").replacingOccurrences(of: "_", with: "-")
            switch state {
            case "released": break
            case "draft", "in-work", "inwork":
                r.fail(.rule, head.path("lifecycle"), "only released BoMs are accepted",
                    message: "the BoM is \(state == "draft" ? "a draft" : "in work"), not released: release it in the PLM system and export it again", value: FileInputs.show(lifecycle))
            default:
                r.fail(.oneOf, head.path("lifecycle"), "one of released, draft, in-work", message: "is not a lifecycle state (released, draft, in-work); only released BoMs are accepted", value: FileInputs.show(lifecycle))
            }
        }
        let effective = r.time(head, "effectiveFrom", required: "the effectivity date from which this revision applies")
        let released = r.time(head, "releasedAt")
        var out: [JSONValue] = []
        for l in lines {
            if !l.textual { r.onlyKnown(l, lineFields) }
            var line = JSONObject()
            if let v = r.text(l, "part", required: "every BoM line names its part") { line["part"] = .string(v) }
            if let v = r.text(l, "description") { line["description"] = .string(v) }
            if let q = r.number(l, "quantity", required: "every BoM line has a quantity") {
                if q > 0 { line["quantity"] = FileInputs.json(q) } else {
                    r.fail(.minimum, l.path("quantity"), "greater than 0", message: "must be greater than 0", value: CanonicalJSON.formatNumber(q))
                }
            }
            if let m = r.number(l, "massKg", required: "every BoM line has its mass in kg") {
                if m >= 0 { line["massKg"] = FileInputs.json(m) } else {
                    r.fail(.minimum, l.path("massKg"), "minimum 0", message: "must be at least 0", value: CanonicalJSON.formatNumber(m))
                }
            }
            if let v = r.text(l, "material", required: "every BoM line names its material") { line["material"] = .string(v) }
            if let v = r.subject(l, "supplier", FileInputs.supplier) { line["supplier"] = .string(v) }
            if let v = r.subject(l, "component", FileInputs.model) { line["component"] = .string(v) }
            out.append(.object(line))
        }
        let key = assembly.flatMap { a in revision.map { "\(a.dropFirst(3))/\($0)" } } ?? fallbackKey
        guard r.violations.isEmpty, let assembly, let revision, let effective else {
            return Release(key: key, event: .failure(ValidationError(r.violations)))
        }
        var event: JSONObject = [
            "type": "bom.released", "subject": .string(assembly), "sourceRef": .string(key), "createdAt": .string(released ?? effective),
            "validFrom": .string(effective),
            "data": ["revision": .string(revision), "lifecycle": "released", "lines": .array(out)],
            "attachments": [attachment],
        ]
        // The catalog's own rules, checked here so that a problem names the export's field.
        var check = event
        check["source"] = "bom"
        do {
            let problems = EventCatalog.validate(try Event(json: .object(check)))
            if !problems.isEmpty { return Release(key: key, event: .failure(ValidationError(problems))) }
        } catch {
            return Release(key: key, event: .failure(error))
        }
        event["source"] = nil
        return Release(key: key, event: .success(event))
    }

    /// A second release of the same assembly revision in one export is refused (the first stands).
    static func duplicatesRefused(_ releases: [Release]) -> [Release] {
        var seen: Set<String> = []
        return releases.map { rel in
            guard case .success = rel.event else { return rel }
            if seen.insert(rel.key).inserted { return rel }
            return Release(key: rel.key, event: .failure(ValidationError([Violation(
                code: .rule, path: "", rule: "one release per assembly revision",
                message: "assembly revision \(rel.key) appears twice in the export; it is released once")])))
        }
    }

    static func dict(_ o: JSONObject) -> [String: JSONValue] {
        var d: [String: JSONValue] = [:]
        for (k, v) in o { d[k] = v }
        return d
    }
}
