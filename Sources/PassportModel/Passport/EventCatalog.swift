/// One passport fact an event states: a field (and, for collections, an entry key) and its value.
public struct FactAssignment: Sendable, Hashable {
    /// The field path.
    public let field: String
    /// The entry key for collection fields.
    public let key: String?
    /// The value.
    public let value: JSONValue
    /// When the fact takes effect, if not the event's `validFrom` (a revocation or a status
    /// change takes effect when it was made unless it says otherwise).
    public let validFrom: Timestamp?
    /// An owner's value, an override, or the withdrawal of an override.
    public let kind: FactKind

    /// Creates an assignment.
    public init(field: String, key: String?, value: JSONValue, validFrom: Timestamp? = nil, kind: FactKind = .value) {
        self.field = field
        self.key = key
        self.value = value
        self.validFrom = validFrom
        self.kind = kind
    }
}

/// What a fact does to its field.
public enum FactKind: Sendable, Hashable {
    /// A value written by a source allowed to write the field (an owner, under the policy).
    case value
    /// An authorised override by a non-owner, with its reason. It stands until an owner writes
    /// the field again or it is withdrawn.
    case override(reason: String)
    /// Withdraws the latest override of the field; the owners' value shows again.
    case withdrawal(reason: String)

    /// 0 value, 1 override, 2 withdrawal (stored in the fact index).
    public var tag: UInt8 {
        switch self {
        case .value: 0
        case .override: 1
        case .withdrawal: 2
        }
    }

    /// The reason of an override or withdrawal.
    public var reason: String? {
        switch self {
        case .value: nil
        case .override(let r), .withdrawal(let r): r
        }
    }

    /// Rebuilds a kind from its tag and reason.
    public init(tag: UInt8, reason: String?) {
        switch tag {
        case 1: self = .override(reason: reason ?? "")
        case 2: self = .withdrawal(reason: reason ?? "")
        default: self = .value
        }
    }
}

/// An event type the passport understands: which subjects it may be about, the schema of its
/// `data`, rules beyond the schema, and the passport facts it states.
public struct EventTypeSpec: Sendable {
    /// The `type` string.
    public let type: String
    /// What the event means.
    public let description: String
    /// Subject kinds it may be about.
    public let subjects: Set<Subject.Kind>
    /// Schema of `data`.
    public let data: DataSchema
    /// Rules beyond the schema (in words, for the published schema).
    public let ruleText: [String]
    let rules: @Sendable (Event) -> [Violation]
    let facts: @Sendable (Event) -> [FactAssignment]

    /// Checks an event of this type; returns every violation.
    public func validate(_ event: Event) -> [Violation] {
        var v: [Violation] = []
        if !subjects.contains(event.subject.kind) {
            let kinds = subjects.map(\.rawValue).sorted().joined(separator: ", ")
            v.append(Violation(code: .rule, path: "subject", rule: "\(type) is about a \(kinds), not a \(event.subject.kind.rawValue)", value: event.subject.rawValue))
        }
        data.validate(.object(event.data), at: "data", into: &v)
        v += rules(event)  // all violations of one event are reported together
        return v
    }

    /// The facts a (valid) event states.
    public func assignments(_ event: Event) -> [FactAssignment] { facts(event) }

    /// The published JSON Schema of events of this type.
    public var jsonSchema: JSONValue {
        var o: JSONObject = [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": .string("https://passport-ledger.example/specs/schemas/events/\(type).schema.json"),
            "title": .string(type),
            "description": .string(description + (ruleText.isEmpty ? "" : " Rules: " + ruleText.joined(separator: "; ") + ".")),
            "allOf": [["$ref": "../event.schema.json"]],
        ]
        o["properties"] = [
            "type": ["const": .string(type)],
            "subject": ["description": .string("one of: " + subjects.map(\.rawValue).sorted().joined(separator: ", "))],
            "data": data.jsonSchema,
        ]
        return .object(o)
    }
}

/// The event types of the passport model.
public enum EventCatalog {
    typealias P = DataSchema.Property
    static let products: Set<Subject.Kind> = [.model, .batch, .item]

    static func copy(_ e: Event, _ pairs: [(String, String)]) -> [FactAssignment] {
        pairs.compactMap { key, field in e.data[key].map { FactAssignment(field: field, key: nil, value: $0) } }
    }

    static func number(_ v: JSONValue?) -> Double? { v?.numberValue?.double }

    /// The entries of the list `field` (objects with a `subject`) whose subject is not a batch or an item.
    static func batchesOrItems(_ e: Event, _ field: String) -> [Violation] {
        (e.data[field]?.arrayValue ?? []).enumerated().compactMap { i, entry in
            guard let s = entry.objectValue?["subject"]?.stringValue, let k = (try? Subject(s))?.kind, k != .batch && k != .item else { return nil }
            return Violation(code: .rule, path: "data.\(field)[\(i)].subject", rule: "must be a batch or an item", value: "\"\(s)\"")
        }
    }

    /// The sum of `values`, or nil if it is not a finite double (rules report an overflow as a
    /// violation; an infinite sum must never reach the canonical encoder).
    static func finiteSum(_ values: [Double]) -> Double? {
        var sum = 0.0
        for v in values {
            sum += v
            if !sum.isFinite { return nil }
        }
        return sum
    }

    /// Every known type, by name.
    public static let types: [String: EventTypeSpec] = Dictionary(uniqueKeysWithValues: all.map { ($0.type, $0) })

    /// Looks up a type.
    public static func spec(_ type: String) -> EventTypeSpec? { types[type] }

    /// Validates an event's `data` against its type. `system` events are the ledger's own.
    public static func validate(_ event: Event) -> [Violation] {
        if event.subject.kind == .system { return [] }
        guard let spec = types[event.type] else {
            return [Violation(code: .rule, path: "type", rule: "unknown event type (known: \(types.keys.sorted().joined(separator: ", ")))", value: event.type)]
        }
        return spec.validate(event)
    }

    /// All event types, in documentation order.
    public static let all: [EventTypeSpec] = [
        EventTypeSpec(
            type: "product.registered", description: "Registers a product model, batch or item with its identity data.",
            subjects: products,
            data: .object([
                P("name", .text, required: true, "product name"), P("category", .text), P("manufacturer", .text, required: true),
                P("manufacturerGLN", .formatted(.gln), "the manufacturer's GS1 Global Location Number"),
                P("economicOperator", .text), P("facility", .formatted(.subject), "facility/<id>"),
                P("productionDate", .formatted(.date)), P("weightKg", .nonNegative), P("countryOfOrigin", .formatted(.country)),
                P("markets", .array(.formatted(.country), minItems: 1), "countries where the product is placed on the market"),
            ]),
            ruleText: ["facility must be a facility/<id> subject"],
            rules: { e in facilityRule(e, "facility") },
            facts: { e in
                copy(e, [("name", "identity.name"), ("category", "identity.category"), ("manufacturer", "identity.manufacturer"),
                    ("manufacturerGLN", "identity.manufacturerGLN"),
                    ("economicOperator", "identity.economicOperator"), ("facility", "identity.facility"),
                    ("productionDate", "identity.productionDate"), ("weightKg", "identity.weightKg"), ("countryOfOrigin", "logistics.countryOfOrigin"),
                    ("markets", "logistics.destinationMarkets")])
            }),
        EventTypeSpec(
            type: "batch.produced", description: "A production batch was made.", subjects: [.batch],
            data: .object([
                P("quantity", .integer(minimum: 1, maximum: nil), required: true), P("facility", .formatted(.subject), required: true),
                P("productionDate", .formatted(.date), required: true), P("countryOfOrigin", .formatted(.country)),
            ]),
            ruleText: ["facility must be a facility/<id> subject"],
            rules: { e in facilityRule(e, "facility") },
            facts: { e in
                copy(e, [("quantity", "manufacturing.batchQuantity"), ("facility", "manufacturing.site"),
                    ("productionDate", "identity.productionDate"), ("countryOfOrigin", "logistics.countryOfOrigin")])
            }),
        EventTypeSpec(
            type: "item.registered", description: "A serialised item was made (and which lot it belongs to).", subjects: [.item],
            data: .object([P("lot", .string(.init(maxLength: GS1.maxAttributeLength, format: .lot)), "the item's lot, composing its passport with 01/<GTIN>/10/<lot>"),
                P("productionDate", .formatted(.date)), P("facility", .formatted(.subject))]),
            ruleText: ["facility must be a facility/<id> subject"],
            rules: { e in facilityRule(e, "facility") },
            facts: { e in copy(e, [("lot", "identity.lot"), ("productionDate", "identity.productionDate"), ("facility", "identity.facility")]) }),
        EventTypeSpec(
            type: "bom.released", description: "A released bill of materials (from PLM).", subjects: [.model, .batch],
            data: .object([
                P("revision", .text, required: true), P("lifecycle", .oneOf(["released", "draft", "in-work"]), required: true),
                P("lines", .array(.object([
                    P("part", .text, required: true), P("description", .text), P("quantity", .nonNegative, required: true),
                    P("massKg", .nonNegative, required: true), P("material", .text, required: true),
                    P("supplier", .formatted(.subject), "supplier/<id>"),
                    P("component", .formatted(.subject), "01/<GTIN> of a sub-assembly with its own passport (multi-level BoM)"),
                ]), minItems: 1), required: true),
            ]),
            ruleText: ["lifecycle must be released (draft and in-work BoMs are rejected)", "every line's quantity is greater than 0",
                "a line's supplier is a supplier/<id> subject", "a line's component is a product model 01/<GTIN>"],
            rules: { e in
                var v: [Violation] = []
                if let l = e.data["lifecycle"]?.stringValue, l != "released" {
                    v.append(Violation(code: .rule, path: "data.lifecycle", rule: "only released BoMs may be published", value: "\"\(l)\""))
                }
                for (i, line) in (e.data["lines"]?.arrayValue ?? []).enumerated() {
                    if let q = number(line.objectValue?["quantity"]), q <= 0 {
                        v.append(Violation(code: .rule, path: "data.lines[\(i)].quantity", rule: "must be greater than 0", value: CanonicalJSON.formatNumber(q)))
                    }
                    if let s = line.objectValue?["supplier"]?.stringValue, (try? Subject(s))?.kind != .supplier {
                        v.append(Violation(code: .rule, path: "data.lines[\(i)].supplier", rule: "must be a supplier/<id> subject", value: "\"\(s)\""))
                    }
                    if let s = line.objectValue?["component"]?.stringValue, (try? Subject(s))?.kind != .model {
                        v.append(Violation(code: .rule, path: "data.lines[\(i)].component", rule: "must be a product model 01/<GTIN>", value: "\"\(s)\""))
                    }
                }
                return v
            },
            facts: { e in [FactAssignment(field: "composition.billOfMaterials", key: nil, value: .object(e.data))] }),
        EventTypeSpec(
            type: "composition.declared", description: "Materials and substances of concern.", subjects: [.model, .batch],
            data: .object([
                P("materials", .array(.object([
                    P("name", .text, required: true), P("massKg", .nonNegative), P("sharePercent", .percent, required: true),
                    P("recycledPercent", .percent), P("renewablePercent", .percent),
                ]), minItems: 0)),
                P("substancesOfConcern", .array(.object([
                    P("name", .text, required: true), P("casNumber", .formatted(.cas), required: true),
                    P("concentrationPercent", .percent, required: true), P("location", .text),
                ]), minItems: 0)),
            ]),
            ruleText: ["material shares sum to at most 100 % (tolerance 0.5 percentage points)"],
            rules: { e in
                let shares = (e.data["materials"]?.arrayValue ?? []).compactMap { number($0.objectValue?["sharePercent"]) }
                guard let sum = finiteSum(shares) else {
                    return [Violation(code: .rule, path: "data.materials", rule: "sharePercent values sum to more than the largest number (overflow)")]
                }
                return sum > 100.5
                    ? [Violation(code: .rule, path: "data.materials", rule: "sharePercent values sum to more than 100 % (tolerance 0.5)", value: CanonicalJSON.formatNumber(sum))]
                    : []
            },
            facts: { e in copy(e, [("materials", "composition.materials"), ("substancesOfConcern", "composition.substancesOfConcern")]) }),
        EventTypeSpec(
            type: "carbon-footprint.declared", description: "Product carbon footprint.", subjects: [.model, .batch],
            data: .object([
                P("totalKgCO2e", .nonNegative, required: true), P("functionalUnit", .text), P("method", .text, required: true),
                P("perLifeCycleStage", .object([P("rawMaterials", .nonNegative), P("production", .nonNegative),
                    P("distribution", .nonNegative), P("endOfLife", .nonNegative)])),
                P("verification", .object([P("verifier", .text, required: true), P("reportSha256", .formatted(.sha256))])),
            ]),
            ruleText: ["the life-cycle stages do not add up to more than the total (tolerance 1 %)"],
            rules: { e in
                guard let total = number(e.data["totalKgCO2e"]), let stages = e.data["perLifeCycleStage"]?.objectValue else { return [] }
                guard let sum = finiteSum(stages.compactMap { number($0.value) }) else {
                    return [Violation(code: .rule, path: "data.perLifeCycleStage", rule: "stages sum to more than the largest number (overflow)")]
                }
                // `total * 1.01` may overflow to +infinity, which any finite sum is below: no false violation.
                return sum > total * 1.01 + 1e-9
                    ? [Violation(code: .rule, path: "data.perLifeCycleStage", rule: "stages sum to more than totalKgCO2e", value: CanonicalJSON.formatNumber(sum))] : []
            },
            facts: { e in [FactAssignment(field: "environment.carbonFootprint", key: nil, value: .object(e.data))] }),
        EventTypeSpec(
            type: "certification.recorded", description: "A certificate (validity in validFrom/validUntil).", subjects: [.model, .batch, .facility],
            data: .object([P("id", .identifier, required: true), P("scheme", .text, required: true), P("issuer", .text, required: true),
                P("documentSha256", .formatted(.sha256))]),
            ruleText: ["validUntil is required"],
            rules: { e in e.validUntil == nil ? [Violation(code: .rule, path: "validUntil", rule: "a certification needs validUntil")] : [] },
            facts: { e in [FactAssignment(field: "manufacturing.certifications", key: e.data["id"]?.stringValue, value: withValidity(e))] }),
        EventTypeSpec(
            type: "declaration.recorded", description: "A supplier declaration (conflict minerals, recycled content, substances, sustainability).",
            subjects: [.supplier],
            data: .object([
                P("kind", .oneOf(["conflict-minerals", "recycled-content", "substances", "sustainability"]), required: true),
                P("scope", .text, required: true, "materials, parts or sites covered"), P("template", .text), P("supplierName", .text),
                P("recycledContentPercent", .percent), P("documentSha256", .formatted(.sha256)),
                P("smelters", .array(.object([
                    P("metal", .text, required: true), P("rows", .integer(minimum: 0, maximum: nil), required: true, "smelter rows the supplier listed"),
                    P("smelterIds", .array(.identifier, minItems: 0), required: true, "distinct smelter IDs (RMI CID…) of those rows, sorted"),
                ]), minItems: 0), "the conflict-minerals smelters, per metal (a CMRT's Smelter List)"),
            ]),
            ruleText: ["validFrom and validUntil are required"],
            rules: { e in
                var v: [Violation] = []
                if e.validFrom == nil { v.append(Violation(code: .rule, path: "validFrom", rule: "a declaration needs validFrom")) }
                if e.validUntil == nil { v.append(Violation(code: .rule, path: "validUntil", rule: "a declaration needs validUntil")) }
                return v
            },
            facts: { e in
                guard case .object(var value) = withValidity(e) else { return [] }
                value["supplier"] = .string(e.subject.rawValue)
                if !e.attachments.isEmpty { value["attachments"] = .array(e.attachments.map(\.json)) }
                return [FactAssignment(field: "declarations", key: e.data["kind"]?.stringValue, value: .object(value))]
            }),
        EventTypeSpec(
            type: "declaration.revoked", description: "A supplier withdraws a declaration, from validFrom or else from when it was created.",
            subjects: [.supplier],
            data: .object([P("kind", .oneOf(["conflict-minerals", "recycled-content", "substances", "sustainability"]), required: true),
                P("reason", .text, required: true)]),
            ruleText: [], rules: { _ in [] },
            facts: { e in
                let value: JSONValue = ["status": "revoked", "supplier": .string(e.subject.rawValue),
                    "kind": e.data["kind"] ?? .null, "reason": e.data["reason"] ?? .null]
                return [FactAssignment(field: "declarations", key: e.data["kind"]?.stringValue, value: value, validFrom: e.validFrom ?? e.createdAt)]
            }),
        EventTypeSpec(
            type: "shipment.dispatched", description: "Goods left for a market (from WMS/TMS): a model, batch, item or logistic unit.",
            subjects: products.union([.logisticUnit]),
            data: .object([
                P("shipmentId", .identifier, required: true), P("destination", .formatted(.country), required: true),
                P("quantity", .integer(minimum: 1, maximum: nil), required: true), P("carrier", .text),
                P("customsDocument", .object([P("number", .text, required: true), P("sha256", .formatted(.sha256))])),
            ]),
            ruleText: [], rules: { _ in [] },
            facts: { e in
                let id = e.data["shipmentId"]?.stringValue
                var shipment = e.data
                shipment["customsDocument"] = nil
                var out = [FactAssignment(field: "logistics.shipments", key: id, value: .object(shipment))]
                if let doc = e.data["customsDocument"] { out.append(FactAssignment(field: "logistics.customsDocuments", key: id, value: doc)) }
                return out
            }),
        EventTypeSpec(
            type: "unit.packed",
            description: "Batches or items were packed into a logistic unit (a pallet, a case; from WMS/TMS, e.g. an EPCIS AggregationEvent): what it holds.",
            subjects: [.logisticUnit],
            data: .object([
                P("contents", .array(.object([P("subject", .formatted(.subject), required: true), P("quantity", .nonNegative)]), minItems: 1), required: true),
            ]),
            ruleText: ["contents are batches or items"],
            rules: { e in batchesOrItems(e, "contents") },
            facts: { e in [FactAssignment(field: "logistics.contents", key: e.sourceRef, value: .object(e.data))] }),
        EventTypeSpec(
            type: "batch.transformed", description: "Input batches became this output batch (genealogy).", subjects: [.batch],
            data: .object([
                P("inputs", .array(.object([P("subject", .formatted(.subject), required: true), P("quantity", .nonNegative)]), minItems: 1), required: true),
                P("process", .text),
            ]),
            ruleText: ["inputs are batches or items"],
            rules: { e in batchesOrItems(e, "inputs") },
            facts: { e in [FactAssignment(field: "manufacturing.genealogy", key: e.sourceRef, value: .object(e.data))] }),
        EventTypeSpec(
            type: "custody.transferred",
            description: "Goods changed hands (from WMS/TMS, e.g. an EPCIS receiving or shipping event): who holds them, where, from when (validFrom, or when it was created).",
            subjects: products,
            data: .object([
                P("transferId", .identifier, required: true), P("custodian", .text, required: true, "who holds the goods from now on"),
                P("previousCustodian", .text, "who handed them over"), P("location", .text, required: true, "site, warehouse or port"),
                P("locationGLN", .formatted(.gln), "the location's GS1 Global Location Number"), P("shipmentId", .identifier, "the shipment it belongs to"),
            ]),
            ruleText: [], rules: { _ in [] },
            facts: { e in
                var value = e.data
                value["since"] = .string((e.validFrom ?? e.createdAt).description)
                return [FactAssignment(field: "logistics.chainOfCustody", key: e.data["transferId"]?.stringValue, value: .object(value),
                    validFrom: e.validFrom ?? e.createdAt)]
            }),
        EventTypeSpec(
            type: "end-of-life.published", description: "Dismantling, recycling, take-back and safety information.", subjects: [.model],
            data: .object([P("disassembly", .text), P("recyclability", .object([P("recyclablePercent", .percent), P("instructions", .text)])),
                P("takeBack", .object([P("scheme", .text, required: true), P("contact", .text)])), P("safety", .text)]),
            ruleText: [], rules: { _ in [] },
            facts: { e in
                copy(e, [("disassembly", "endOfLife.disassembly"), ("recyclability", "endOfLife.recyclability"),
                    ("takeBack", "endOfLife.takeBack"), ("safety", "endOfLife.safety")])
            }),
        EventTypeSpec(
            type: "repair.published", description: "Repairability and spare parts.", subjects: [.model],
            data: .object([P("repairabilityScore", .number(minimum: 0, maximum: 10)), P("instructions", .text),
                P("spareParts", .array(.object([P("part", .text, required: true), P("availableUntil", .formatted(.date)), P("contact", .text)]), minItems: 0))]),
            ruleText: [], rules: { _ in [] },
            facts: { e in
                var out: [FactAssignment] = []
                var r = JSONObject()
                if let s = e.data["repairabilityScore"] { r["score"] = s }
                if let i = e.data["instructions"] { r["instructions"] = i }
                if r.count > 0 { out.append(FactAssignment(field: "repair.repairability", key: nil, value: .object(r))) }
                if let p = e.data["spareParts"] { out.append(FactAssignment(field: "repair.spareParts", key: nil, value: p)) }
                return out
            }),
        EventTypeSpec(
            type: "passport.status-changed",
            description: "The passport's status (recall, end of life, remanufacture); takes effect at validFrom, or when it was created.",
            subjects: products,
            data: .object([P("status", .oneOf(["active", "suspended", "recalled", "end-of-life", "remanufactured", "repurposed"]), required: true),
                P("reason", .text), P("predecessor", .formatted(.subject)), P("successor", .formatted(.subject))]),
            ruleText: [], rules: { _ in [] },
            facts: { e in
                copy(e, [("status", "identity.status"), ("predecessor", "identity.predecessor"), ("successor", "identity.successor")]).map {
                    FactAssignment(field: $0.field, key: $0.key, value: $0.value, validFrom: e.validFrom ?? e.createdAt)
                }
            }),
        EventTypeSpec(
            type: "field.overridden",
            description: "An authorised correction of a field by a source that does not own it (needs the override permission); it stands until an owner writes the field again or it is withdrawn.",
            subjects: [.model, .batch, .item, .supplier, .facility],
            data: .object([P("field", .text, required: true, "passport field path"), P("key", .identifier, "entry key, for collection fields"),
                P("value", .any, required: true, "the value the field takes (an object for fields that keep expired entries)"), P("reason", .text, required: true, "why the owner's value is overridden")]),
            ruleText: ["field is a passport field; key is given exactly for collection fields",
                "the value is an object for a field that keeps expired entries (certifications, declarations, test reports)"],
            rules: { e in overrideTarget(e) },
            facts: { e in
                guard let field = e.data["field"]?.stringValue, let value = e.data["value"] else { return [] }
                return [FactAssignment(field: field, key: e.data["key"]?.stringValue, value: value,
                    kind: .override(reason: e.data["reason"]?.stringValue ?? ""))]
            }),
        EventTypeSpec(
            type: "field.override-withdrawn", description: "Withdraws the latest override of a field; the owners' value shows again.",
            subjects: [.model, .batch, .item, .supplier, .facility],
            data: .object([P("field", .text, required: true), P("key", .identifier), P("reason", .text, required: true)]),
            ruleText: ["field is a passport field; key is given exactly for collection fields"],
            rules: { e in overrideTarget(e) },
            facts: { e in
                guard let field = e.data["field"]?.stringValue else { return [] }
                return [FactAssignment(field: field, key: e.data["key"]?.stringValue, value: .null,
                    kind: .withdrawal(reason: e.data["reason"]?.stringValue ?? ""))]
            }),
        EventTypeSpec(
            type: "test-report.recorded", description: "Result of a conformity test (authorities only).", subjects: [.model, .batch],
            data: .object([P("id", .identifier, required: true), P("standard", .text, required: true), P("result", .oneOf(["pass", "fail"]), required: true),
                P("laboratory", .text), P("reportSha256", .formatted(.sha256))]),
            ruleText: [], rules: { _ in [] },
            facts: { e in [FactAssignment(field: "compliance.testReports", key: e.data["id"]?.stringValue, value: withValidity(e))] }),
    ]

    /// The event types that override a field (they need the override permission, not ownership).
    public static let overrideTypes: Set<String> = ["field.overridden", "field.override-withdrawn"]

    /// The value of an entry of a field that keeps expired entries: the event's data with
    /// `"status": "valid"` and its validity window (the projection marks it expired after `validUntil`).
    static func withValidity(_ e: Event) -> JSONValue {
        var value = e.data
        value["status"] = "valid"
        if let from = e.validFrom { value["validFrom"] = .string(from.description) }
        if let until = e.validUntil { value["validUntil"] = .string(until.description) }
        return .object(value)
    }

    static func overrideTarget(_ e: Event) -> [Violation] {
        guard let field = e.data["field"]?.stringValue else { return [] }
        guard let f = PassportFields.byPath[field] else {
            return [Violation(code: .rule, path: "data.field", rule: "not a passport field", value: "\"\(field)\"")]
        }
        if f.isCollection && e.data["key"] == nil {
            return [Violation(code: .rule, path: "data.key", rule: "is required: \(field) is a collection, name the entry")]
        }
        if !f.isCollection && e.data["key"] != nil {
            return [Violation(code: .rule, path: "data.key", rule: "\(field) is not a collection; remove key")]
        }
        if f.keepsExpired, e.type == "field.overridden", let v = e.data["value"], v.objectValue == nil {
            return [Violation(code: .rule, path: "data.value", rule: "must be an object: entries of \(field) carry a status", value: Checker.show(v))]
        }
        return []
    }

    static func facilityRule(_ e: Event, _ key: String) -> [Violation] {
        guard let s = e.data[key]?.stringValue, (try? Subject(s))?.kind != .facility else { return [] }
        return [Violation(code: .rule, path: "data.\(key)", rule: "must be a facility/<id> subject", value: "\"\(s)\"")]
    }
}
