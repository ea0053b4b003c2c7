/// Who may see a field (ESPR; Battery Regulation Annex XIII).
public enum AccessTier: String, Sendable, CaseIterable, Comparable {
    /// Anyone scanning the product's QR code.
    case `public`
    /// Recyclers, repairers, remanufacturers and others with a legitimate interest.
    case legitimateInterest = "legitimate-interest"
    /// Market surveillance, customs, notified bodies, the Commission.
    case authority

    private var rank: Int {
        switch self {
        case .public: 0
        case .legitimateInterest: 1
        case .authority: 2
        }
    }

    public static func < (a: AccessTier, b: AccessTier) -> Bool { a.rank < b.rank }
}

/// A passport field: its path, default tier and how it behaves over time.
public struct PassportField: Sendable, Hashable {
    /// Dotted path, e.g. `composition.billOfMaterials`.
    public let path: String
    /// Default access tier (Battery Regulation Annex XIII split).
    public let tier: AccessTier
    /// A collection: entries keyed by an ID (shipments, certificates, declarations).
    public let isCollection: Bool
    /// Entries carry `"status"` (`"valid"`, `"expired"`, `"revoked"`) and stay visible after their
    /// validity ends, marked `"status": "expired"`, while no other fact of the entry is in force
    /// (declarations, certifications, test reports).
    public let keepsExpired: Bool
    /// What the field holds.
    public let description: String
}

/// The passport's fields (the data model of `Specs/schemas/passport.schema.json`).
public enum PassportFields {
    static func f(_ path: String, _ tier: AccessTier, collection: Bool = false, keepsExpired: Bool = false, _ d: String) -> PassportField {
        PassportField(path: path, tier: tier, isCollection: collection, keepsExpired: keepsExpired, description: d)
    }

    /// Every field, in display order.
    public static let all: [PassportField] = [
        f("identity.name", .public, "product name"),
        f("identity.category", .public, "product category (e.g. battery category)"),
        f("identity.manufacturer", .public, "manufacturer name and address"),
        f("identity.manufacturerGLN", .public, "manufacturer's GS1 GLN"),
        f("identity.economicOperator", .public, "economic operator responsible in the EU"),
        f("identity.facility", .legitimateInterest, "manufacturing facility (facility/<id>)"),
        f("identity.productionDate", .public, "date of manufacture"),
        f("identity.weightKg", .public, "weight in kg"),
        f("identity.lot", .public, "batch/lot of an item"),
        f("identity.status", .public, "passport status: active, suspended, recalled, end-of-life, remanufactured, repurposed"),
        f("identity.predecessor", .public, "passport this product was remanufactured or repurposed from"),
        f("identity.successor", .public, "passport that replaced this one"),
        f("composition.billOfMaterials", .legitimateInterest, "released bill of materials: part numbers, quantities, masses, materials, suppliers"),
        f("composition.materials", .public, "materials with mass, share, recycled and renewable content"),
        f("composition.substancesOfConcern", .public, "substances of concern with CAS number, concentration and location"),
        f("manufacturing.site", .legitimateInterest, "production site of the batch"),
        f("manufacturing.batchQuantity", .legitimateInterest, "number of units in the batch"),
        f("manufacturing.genealogy", .legitimateInterest, collection: true, "batch genealogy by transformation: input batches or items to this batch"),
        f("manufacturing.certifications", .public, collection: true, keepsExpired: true, "certifications by ID"),
        f("environment.carbonFootprint", .public, "carbon footprint: total, per life-cycle stage, method, verification"),
        f("declarations", .legitimateInterest, collection: true, keepsExpired: true, "supplier declarations by supplier and kind"),
        f("logistics.countryOfOrigin", .public, "country of origin (ISO 3166-1)"),
        f("logistics.destinationMarkets", .public, "markets the product is placed on (ISO 3166-1)"),
        f("logistics.shipments", .legitimateInterest, collection: true, "shipments by ID: destination market, quantity, carrier"),
        f("logistics.customsDocuments", .authority, collection: true, "customs documents by shipment ID"),
        f("logistics.chainOfCustody", .authority, collection: true, "custody transfers by ID: who held the goods, where, from when"),
        f("logistics.contents", .legitimateInterest, collection: true, "what a logistic unit holds, by packing (batches and items, quantities)"),
        f("endOfLife.disassembly", .legitimateInterest, "dismantling and disassembly information"),
        f("endOfLife.recyclability", .public, "recyclability and recycling instructions"),
        f("endOfLife.takeBack", .public, "take-back and collection schemes"),
        f("endOfLife.safety", .legitimateInterest, "safety measures for handling and dismantling"),
        f("repair.repairability", .public, "repairability score and information"),
        f("repair.spareParts", .legitimateInterest, "spare parts and where to get them"),
        f("compliance.testReports", .authority, collection: true, keepsExpired: true, "results of conformity tests by report ID"),
    ]

    /// Fields by path.
    public static let byPath: [String: PassportField] = Dictionary(uniqueKeysWithValues: all.map { ($0.path, $0) })
}

/// Per-deployment access tiers: the defaults, with overrides from a JSON document
/// `{"<field path>": "public" | "legitimate-interest" | "authority", …}`.
public struct AccessPolicy: Sendable, Hashable {
    /// Overrides of the default tiers.
    public let overrides: [String: AccessTier]

    /// The defaults (Battery Regulation Annex XIII split).
    public static let defaults = AccessPolicy(overrides: [:])

    /// Creates a policy from overrides.
    public init(overrides: [String: AccessTier]) { self.overrides = overrides }

    /// Parses an overrides document.
    /// - Throws: ``ValidationError`` naming unknown fields and unknown tiers.
    public init(json: JSONValue) throws(ValidationError) {
        guard case .object(let o) = json else {
            throw ValidationError([Violation(path: "access tiers", rule: "must be an object of field path → tier")])
        }
        var violations: [Violation] = []
        var out: [String: AccessTier] = [:]
        for (path, v) in o {
            if PassportFields.byPath[path] == nil {
                violations.append(Violation(path: path, rule: "unknown passport field"))
            }
            guard case .string(let s) = v, let tier = AccessTier(rawValue: s) else {
                violations.append(Violation(path: path, rule: "must be public, legitimate-interest or authority", value: Checker.show(v)))
                continue
            }
            out[path] = tier
        }
        if !violations.isEmpty { throw ValidationError(violations) }
        overrides = out
    }

    /// The tier of a field.
    public func tier(of field: String) -> AccessTier {
        overrides[field] ?? PassportFields.byPath[field]?.tier ?? .authority
    }
}
