import PassportModel
import Yams

/// How the columns of a supplier's attestation CSV become `declaration.recorded` events
/// (`Specs/connectors/csv.md`): a small YAML file.
public struct AttestationMapping: Sendable, Hashable {
    /// Where a declaration field comes from.
    public enum Value: Sendable, Hashable {
        /// The named column's value.
        case column(String)
        /// The same value on every row.
        case constant(String)
    }

    /// The declaration fields a mapping may fill.
    public static let fields = ["supplier", "id", "kind", "scope", "validFrom", "validUntil", "issuedAt", "recycledContentPercent", "supplierName", "template", "documentSha256"]
    /// The fields every mapping fills (`supplier` may come from `--supplier` instead).
    public static let requiredFields = ["kind", "scope", "validFrom", "validUntil"]

    /// The field separator (`,` by default).
    public let delimiter: UInt8
    /// Whether numbers are written with a decimal comma (`decimal: ","`).
    public let decimalComma: Bool
    /// Field → where its value comes from.
    public let columns: [String: Value]

    /// Creates a mapping.
    public init(delimiter: UInt8 = UInt8(ascii: ","), decimalComma: Bool = false, columns: [String: Value]) {
        self.delimiter = delimiter
        self.decimalComma = decimalComma
        self.columns = columns
    }

    /// The columns the mapping reads.
    public var columnNames: [String] {
        columns.values.compactMap { if case .column(let c) = $0 { return c } else { return nil } }.sorted()
    }

    /// Reads a mapping file.
    /// - Parameter yaml: the file's text.
    /// - Throws: ``ValidationError`` listing every problem (unknown keys and fields, a missing
    ///   required field, a delimiter or decimal mark that is not one of the allowed ones, invalid YAML).
    public init(yaml: String) throws(ValidationError) {
        let loaded: Any?
        do { loaded = try Yams.load(yaml: yaml) } catch {
            throw ValidationError([Violation(code: .format, path: "", rule: "YAML", message: "not valid YAML: \(error)")])
        }
        guard let top = loaded as? [String: Any] else {
            throw ValidationError([Violation(code: .type, path: "", rule: "type mapping", message: "a mapping file is a YAML mapping with version and columns")])
        }
        var v: [Violation] = []
        var delimiter = UInt8(ascii: ","), decimalComma = false
        var columns: [String: Value] = [:]
        for (k, value) in top.sorted(by: { $0.key < $1.key }) {
            switch k {
            case "version":
                if "\(value)" != "1" { v.append(Violation(code: .oneOf, path: "version", rule: "must be 1 (the only version of this format)", value: "\(value)")) }
            case "description": break
            case "delimiter":
                switch value as? String {
                case ","?: delimiter = UInt8(ascii: ",")
                case ";"?: delimiter = UInt8(ascii: ";")
                case "\t"?, "tab"?: delimiter = UInt8(ascii: "\t")
                default: v.append(Violation(code: .oneOf, path: "delimiter", rule: "one of \",\", \";\", tab", value: "\(value)"))
                }
            case "decimal":
                switch value as? String {
                case "."?: decimalComma = false
                case ","?: decimalComma = true
                default: v.append(Violation(code: .oneOf, path: "decimal", rule: "one of \".\", \",\"", value: "\(value)"))
                }
            case "columns":
                guard let m = value as? [String: Any] else {
                    v.append(Violation(code: .type, path: "columns", rule: "a mapping of declaration field to column"))
                    continue
                }
                for (field, source) in m.sorted(by: { $0.key < $1.key }) {
                    guard Self.fields.contains(field) else {
                        v.append(Violation(code: .unknownField, path: "columns.\(field)", rule: "unknown field (allowed: \(Self.fields.joined(separator: ", ")))"))
                        continue
                    }
                    if let c = source as? String, !c.isEmpty {
                        columns[field] = .column(c)
                    } else if let o = source as? [String: Any], o.count == 1, let c = o["value"], !(c is [Any]), !(c is [String: Any]) {
                        columns[field] = .constant("\(c)")
                    } else {
                        v.append(Violation(code: .type, path: "columns.\(field)", rule: "a column name, or {value: v} for a constant"))
                    }
                }
            default:
                v.append(Violation(code: .unknownField, path: k, rule: "unknown key (allowed: columns, decimal, delimiter, description, version)"))
            }
        }
        if top["columns"] == nil { v.append(Violation(code: .required, path: "columns", rule: "is required: which column fills each declaration field")) }
        for f in Self.requiredFields where top["columns"] != nil && columns[f] == nil {
            v.append(Violation(code: .required, path: "columns.\(f)", rule: "is required: every declaration has \(f)"))
        }
        if delimiter == UInt8(ascii: ",") && decimalComma {
            v.append(Violation(code: .rule, path: "decimal", rule: "a decimal comma needs another delimiter (delimiter: \";\")"))
        }
        if !v.isEmpty { throw ValidationError(v) }
        self.init(delimiter: delimiter, decimalComma: decimalComma, columns: columns)
    }
}
