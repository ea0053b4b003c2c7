import Foundation

/// An IPC-1752A material declaration (class C or D), as read from its XML.
public struct MaterialDeclaration: Sendable, Hashable {
    /// A substance of a homogeneous material.
    public struct Substance: Sendable, Hashable {
        /// Its name.
        public let name: String
        /// Its CAS number, as written (checked by the ledger).
        public let casNumber: String?
        /// Its mass in kg, if given.
        public let massKg: Double?
        /// Whether it is on one of the declarable substance lists the declaration answers.
        public let declarable: Bool
        /// Where it is in the document.
        public let path: String
    }

    /// A homogeneous material.
    public struct Material: Sendable, Hashable {
        /// Its name.
        public let name: String
        /// Its mass in kg.
        public let massKg: Double
        /// Its substances.
        public let substances: [Substance]
        /// Where it is in the document.
        public let path: String
    }

    /// A declared product.
    public struct Product: Sendable, Hashable {
        /// The supplier's item number.
        public let itemNumber: String?
        /// The item's name.
        public let itemName: String?
        /// Its homogeneous materials.
        public let materials: [Material]
    }

    /// The schema version (`2.0`).
    public let version: String
    /// The declaration class (`C` or `D`).
    public let declarationClass: String
    /// The supplier's company name.
    public let supplierName: String?
    /// The supplier's company unique ID.
    public let supplierID: String?
    /// The declaration's date (`YYYY-MM-DD`), if given.
    public let date: String?
    /// The products declared.
    public let products: [Product]
}

/// Reads IPC-1752A material declarations (`Specs/connectors/ipc1752.md`): the elements read and
/// every structural problem is named by its XML path. DTDs and entities are refused.
public enum IPC1752Reader {
    /// The schema versions read.
    public static let versions = ["1.1", "2.0", "2.1"]
    /// The classes read (A and B are compliance answers without a composition).
    public static let classes = ["C", "D"]

    /// Reads a declaration.
    /// - Throws: ``DocumentReadError``: `unsafe-xml`, `malformed-xml`, `wrong-kind` (not a
    ///   `MainDeclaration`, or class A/B), `unknown-version`, `required` and `format` naming the path.
    public static func read(_ bytes: [UInt8], name: String = "the document") throws(DocumentReadError) -> MaterialDeclaration {
        let root = try XMLTree.parse(bytes, part: name)
        guard root.name == "MainDeclaration" else {
            throw DocumentReadError(.wrongKind, path: "/\(root.name)", "the document is not an IPC-1752A material declaration (its root is \(root.name), not MainDeclaration)")
        }
        let version = root.attributes["version"] ?? ""
        guard versions.contains(version) else {
            throw DocumentReadError(
                .unknownVersion, path: "/MainDeclaration/@version",
                version.isEmpty ? "is missing: an IPC-1752A declaration names its version (\(versions.joined(separator: ", ")))"
                    : "IPC-1752A version \(version) is not one this reader knows (\(versions.joined(separator: ", ")))")
        }
        let products = root.all("Product")
        guard !products.isEmpty else {
            throw DocumentReadError(.required, path: "/MainDeclaration/Product", "is missing: the declaration has no product")
        }
        let hasMaterials = !root.descendants("HomogeneousMaterial").isEmpty
        let cls = (root.attributes["class"] ?? root.first("BusinessInfo")?.attributes["class"] ?? (hasMaterials ? "C" : "")).uppercased()
        guard classes.contains(cls) else {
            throw DocumentReadError(
                .wrongKind, path: "/MainDeclaration/@class",
                cls.isEmpty ? "the declaration has no homogeneous materials: it is not a class C or D material declaration"
                    : "class \(cls) is a compliance answer without a composition: ask the supplier for a class C or D declaration")
        }
        // Declarable substance lists: every CAS number named under a SubstanceCategoryList.
        var declarable = Set<String>()
        for list in root.descendants("SubstanceCategoryList") {
            for s in list.descendants("Substance") { if let cas = casNumber(s) { declarable.insert(cas) } }
        }
        let supplier = root.first("BusinessInfo")?.first("Supplier")
        var out: [MaterialDeclaration.Product] = []
        for (pi, p) in products.enumerated() {
            let pPath = "/MainDeclaration/Product[\(pi + 1)]"
            let id = p.first("ProductID")
            var materials: [MaterialDeclaration.Material] = []
            let list = p.descendants("HomogeneousMaterial")
            guard !list.isEmpty else {
                throw DocumentReadError(.required, path: "\(pPath)/MaterialInfo/HomogeneousMaterialList", "the product has no homogeneous material")
            }
            for (mi, m) in list.enumerated() {
                let mPath = "\(pPath)/MaterialInfo/HomogeneousMaterialList/HomogeneousMaterial[\(mi + 1)]"
                guard let mName = nonEmpty(m.attributes["name"]) else {
                    throw DocumentReadError(.required, path: "\(mPath)/@name", "is missing: every homogeneous material has a name")
                }
                guard let mass = try amount(m, path: mPath) else {
                    throw DocumentReadError(.required, path: "\(mPath)/Amount", "is missing: every homogeneous material has its mass (Amount value and UOM)")
                }
                var substances: [MaterialDeclaration.Substance] = []
                for (si, s) in m.all("Substance").enumerated() {
                    let sPath = "\(mPath)/Substance[\(si + 1)]"
                    guard let sName = nonEmpty(s.attributes["name"]) else {
                        throw DocumentReadError(.required, path: "\(sPath)/@name", "is missing: every substance has a name")
                    }
                    let cas = casNumber(s)
                    let isDeclarable = cas.map(declarable.contains) ?? false
                    let sMass = try amount(s, path: sPath)
                    if isDeclarable && sMass == nil {
                        throw DocumentReadError(.required, path: "\(sPath)/Amount", "is missing: a declarable substance needs its mass to give its concentration")
                    }
                    substances.append(.init(name: sName, casNumber: cas, massKg: sMass, declarable: isDeclarable, path: sPath))
                }
                materials.append(.init(name: mName, massKg: mass, substances: substances, path: mPath))
            }
            out.append(.init(itemNumber: nonEmpty(id?.attributes["itemNumber"]), itemName: nonEmpty(id?.attributes["itemName"]), materials: materials))
        }
        let date = nonEmpty(root.first("BusinessInfo")?.first("Response")?.attributes["responseDate"]).map { String($0.prefix(10)) }
        return MaterialDeclaration(
            version: version, declarationClass: cls, supplierName: nonEmpty(supplier?.attributes["company"]),
            supplierID: nonEmpty(supplier?.attributes["companyUniqueID"]), date: date, products: out)
    }

    /// The CAS number of a `Substance`: its `SubstanceID` with authority CAS, or its `CASNumber` attribute.
    static func casNumber(_ s: XMLTree) -> String? {
        if let id = s.all("SubstanceID").first(where: { ($0.attributes["authority"] ?? "CAS").uppercased() == "CAS" }) {
            return nonEmpty(id.attributes["identity"])
        }
        return nonEmpty(s.attributes["CASNumber"])
    }

    /// An element's `Amount` in kg, or nil if it has none.
    static func amount(_ e: XMLTree, path: String) throws(DocumentReadError) -> Double? {
        guard let a = e.first("Amount") else { return nil }
        let at = "\(path)/Amount"
        guard let text = nonEmpty(a.attributes["value"]), let v = Double(text), v.isFinite, v >= 0 else {
            throw DocumentReadError(.format, path: "\(at)/@value", "\"\(a.attributes["value"] ?? "")\" is not a mass: a number ≥ 0 with a point")
        }
        let factors: [String: Double] = ["kg": 1, "g": 1e-3, "mg": 1e-6, "µg": 1e-9, "ug": 1e-9]
        let uom = (a.attributes["UOM"] ?? a.attributes["unitOfMeasure"] ?? "").trimmingCharacters(in: .whitespaces)
        guard let f = factors[uom.lowercased()] else {
            throw DocumentReadError(.format, path: "\(at)/@UOM", "\"\(uom)\" is not a unit of mass (kg, g, mg, µg)")
        }
        return v * f
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let t = s?.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else { return nil }
        return t
    }
}
