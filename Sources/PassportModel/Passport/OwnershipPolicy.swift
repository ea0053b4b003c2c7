/// The data-ownership policy: which source systems own which passport fields (DESIGN §6).
///
/// `{"fields": {"<field path> | <section>.* | *": ["<owner>", …]}}` — owners in precedence order;
/// an owner is a source name or a source kind (`dpp keys add NAME --kind plm`). The most specific
/// pattern that matches a field applies (exact path, then `section.*`, then `*`). A field no
/// pattern matches has no owner: any source permitted to write it may. A source that does not own
/// a field changes it only through an authorised override (`field.overridden`).
public struct OwnershipPolicy: Sendable, Hashable {
    /// Pattern → owners in precedence order.
    public let fields: [String: [String]]

    /// Creates a policy.
    public init(fields: [String: [String]]) { self.fields = fields }

    /// Parses and checks a policy document.
    /// - Throws: ``ValidationError`` naming every unknown field, bad pattern or empty owner list.
    public init(json: JSONValue) throws(ValidationError) {
        var violations: [Violation] = []
        guard case .object(let root) = json else {
            throw ValidationError([Violation(path: "policy", rule: "must be an object with a \"fields\" member")])
        }
        for k in root.keys where k != "fields" && k != "description" {
            violations.append(Violation(path: k, rule: "unknown member (allowed: description, fields)"))
        }
        guard case .object(let f)? = root["fields"] else {
            throw ValidationError(violations + [Violation(code: .required, path: "fields", rule: "is required: an object of field pattern → owners")])
        }
        var out: [String: [String]] = [:]
        for (pattern, owners) in f {
            if !OwnershipPolicy.isValidPattern(pattern) {
                violations.append(Violation(path: "fields.\(pattern)", rule: "not a passport field, section.* or *"))
            }
            guard case .array(let list) = owners, !list.isEmpty, list.allSatisfy({ $0.stringValue.map(Event.isValidSourceName) ?? false }) else {
                violations.append(Violation(path: "fields.\(pattern)", rule: "must be a non-empty array of source names or kinds", value: Checker.show(owners)))
                continue
            }
            out[pattern] = list.compactMap(\.stringValue)
        }
        if !violations.isEmpty { throw ValidationError(violations) }
        fields = out
    }

    /// Whether `p` is a field path, `section.*` or `*`.
    public static func isValidPattern(_ p: String) -> Bool {
        if p == "*" || PassportFields.byPath[p] != nil { return true }
        if p.hasSuffix(".*") {
            let section = p.dropLast(2)
            return PassportFields.all.contains { $0.path.hasPrefix(section + ".") }
        }
        return false
    }

    /// The owners of a field, in precedence order; empty if no pattern matches.
    public func owners(of field: String) -> [String] {
        if let o = fields[field] { return o }
        if let dot = field.firstIndex(of: "."), let o = fields[String(field[..<dot]) + ".*"] { return o }
        return fields["*"] ?? []
    }

    /// The precedence rank of a source for a field (0 = first owner); nil if it is not an owner.
    /// A field with no owners ranks every source equally (0).
    public func rank(of source: String, kind: String?, for field: String) -> Int? {
        let owners = owners(of: field)
        if owners.isEmpty { return 0 }
        return owners.firstIndex { $0 == source || $0 == kind }
    }

    /// The policy as JSON.
    public var json: JSONValue {
        var f = JSONObject()
        for (k, v) in fields.sorted(by: { $0.key < $1.key }) { f[k] = .array(v.map { .string($0) }) }
        return ["fields": .object(f)]
    }

    /// No ownership: every permitted source may write every field.
    public static let open = OwnershipPolicy(fields: [:])

    /// The default shipped with dpp: PLM owns product definition, ERP production, batches and
    /// batch genealogy (with logistics events after it), supplier portals declarations, logistics
    /// systems (WMS/TMS, then ERP) shipments and chain of custody, labs tests — with PLM over ERP
    /// for the carbon footprint. Owners are source kinds (`--kind`, by default the part of a
    /// source's name before its first `-`).
    public static let `default` = OwnershipPolicy(fields: [
        "identity.name": ["plm"], "identity.category": ["plm"], "identity.manufacturer": ["plm"], "identity.manufacturerGLN": ["plm"],
        "identity.economicOperator": ["plm"], "identity.weightKg": ["plm"],
        "identity.facility": ["erp", "plm"], "identity.productionDate": ["erp"], "identity.lot": ["erp"],
        "identity.status": ["erp", "plm"], "identity.predecessor": ["erp", "plm"], "identity.successor": ["erp", "plm"],
        "composition.*": ["plm"],
        "manufacturing.site": ["erp"], "manufacturing.batchQuantity": ["erp"], "manufacturing.genealogy": ["erp", "wms", "tms"],
        "manufacturing.certifications": ["qa", "plm"],
        "environment.carbonFootprint": ["plm", "erp"],
        "declarations": ["supplier"],
        "logistics.countryOfOrigin": ["erp", "plm"], "logistics.destinationMarkets": ["plm", "erp"], "logistics.shipments": ["tms", "wms", "erp"], "logistics.customsDocuments": ["tms", "wms", "erp"],
        "logistics.chainOfCustody": ["wms", "tms", "erp"], "logistics.contents": ["wms", "tms"],
        "endOfLife.*": ["plm"], "repair.*": ["plm"],
        "compliance.testReports": ["qa"],
    ])

    /// The published JSON Schema of a policy document.
    public static var jsonSchema: JSONValue {
        [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://passport-ledger.example/specs/schemas/ownership-policy.schema.json",
            "title": "Data-ownership policy (policy.updated data)",
            "description": "Field pattern (a passport field path, <section>.* or *) → owners in precedence order. An owner is a source name or a source kind. Most specific pattern wins. See Specs/governance.md.",
            "type": "object", "additionalProperties": false, "required": ["fields"],
            "properties": [
                "description": ["type": "string"],
                "fields": [
                    "type": "object",
                    "propertyNames": ["enum": .array((["*"] + Set(PassportFields.all.map { String($0.path.split(separator: ".")[0]) + ".*" }).sorted()
                        + PassportFields.all.map(\.path)).map { .string($0) })],
                    "additionalProperties": ["type": "array", "minItems": 1, "items": ["type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"]],
                ],
            ],
        ]
    }
}
