import Foundation

/// A completed RMI Conflict Minerals Reporting Template (CMRT 6.x), as read from its workbook.
public struct CMRTDeclaration: Sendable, Hashable {
    /// The metals a CMRT asks about.
    public enum Metal: String, Sendable, Hashable, CaseIterable {
        /// Tantalum.
        case tantalum
        /// Tin.
        case tin
        /// Gold.
        case gold
        /// Tungsten.
        case tungsten
    }

    /// The answers given for one metal.
    public struct MetalAnswers: Sendable, Hashable {
        /// The metal.
        public let metal: Metal
        /// Question 1: is the metal intentionally added or used (`Yes`, `No`)?
        public let intentionallyAdded: String?
        /// Question 2: does it remain in the product?
        public let remainsInProduct: String?
        /// Whether either question is answered.
        public var isAnswered: Bool { intentionallyAdded != nil || remainsInProduct != nil }
    }

    /// One row of the Smelter List sheet.
    public struct Smelter: Sendable, Hashable {
        /// The sheet row.
        public let row: Int
        /// The metal (as written: `Tin`).
        public let metal: String
        /// The smelter's name (or, when empty, the look-up's).
        public let name: String?
        /// The smelter's country.
        public let country: String?
        /// The smelter identification (`CID001234`).
        public let smelterID: String?
    }

    /// The template version (`6.5`).
    public let version: String
    /// The declaring company.
    public let companyName: String
    /// The declaration scope (`A. Company`, `B. Product (or List of Products)`, `C. User defined`).
    public let declarationScope: String
    /// The description of scope (for a user-defined scope).
    public let scopeDescription: String?
    /// The company's unique ID (DUNS or similar).
    public let companyUniqueID: String?
    /// The date of completion, `YYYY-MM-DD`.
    public let completionDate: String?
    /// The answers per metal, in ``Metal`` order.
    public let answers: [MetalAnswers]
    /// The smelters listed.
    public let smelters: [Smelter]

    /// The metals with an answer to question 1 or 2.
    public var metalsAnswered: [Metal] { answers.filter(\.isAnswered).map(\.metal) }
}

/// Reads CMRT 6.x workbooks by cell position (the template's labels are formulas into a language
/// sheet, so labels are never read): `Specs/connectors/cmrt.md` lists the cells and their source.
public enum CMRTReader {
    /// Where a template version keeps its values.
    public struct Layout: Sendable {
        /// The company name cell.
        public var companyName = "D8"
        /// The declaration scope cell.
        public var declarationScope = "D9"
        /// The description of scope cell.
        public var scopeDescription = "D10"
        /// The company unique ID cell.
        public var companyUniqueID = "D11"
        /// The date of completion cell.
        public var completionDate = "D21"
        /// Question 1's answer cells, tantalum, tin, gold, tungsten.
        public var question1 = ["D24", "D25", "D26", "D27"]
        /// Question 2's answer cells.
        public var question2 = ["D30", "D31", "D32", "D33"]
        /// The Smelter List's first data row.
        public var smelterFirstRow = 5
        /// Smelter List columns: metal, smelter look-up, smelter name, country, smelter identification, smelter ID input.
        public var smelterColumns = (metal: "B", lookUp: "C", name: "D", country: "E", id: "F", idInput: "A")

        /// The CMRT 6.x layout.
        public init() {}
    }

    /// The sheet holding the declaration.
    public static let declarationSheet = "Declaration"
    /// The sheet holding the smelters.
    public static let smelterSheet = "Smelter List"
    /// The cell of the Declaration sheet holding the template's revision (`Revision 6.5` or `6.5`).
    public static let versionCell = "C2"
    /// The revisions read, oldest first.
    public static let versions = ["6.0", "6.01", "6.1", "6.2", "6.22", "6.3", "6.31", "6.4", "6.5"]
    /// The revisions' layouts (every 6.x release keeps the same positions).
    public static let layouts: [String: Layout] = Dictionary(uniqueKeysWithValues: versions.map { ($0, Layout()) })

    /// Reads a workbook.
    /// - Throws: ``DocumentReadError``: the workbook's (`not-zip`, `too-large`, `unsafe-xml`…),
    ///   `wrong-kind` (no Declaration or Smelter List sheet, no version), `unknown-version`,
    ///   `required` (no company name or declaration scope), `format` (a completion date that is not one).
    public static func read(_ bytes: [UInt8], limits: ZIPPackage.Limits = .default) throws(DocumentReadError) -> CMRTDeclaration {
        let wb = try Workbook(bytes, limits: limits)
        let missing = [declarationSheet, smelterSheet].filter { !wb.sheetNames.contains($0) }
        guard missing.isEmpty, let decl = try wb.sheet(declarationSheet), let list = try wb.sheet(smelterSheet) else {
            throw DocumentReadError(
                .wrongKind,
                "the workbook is not a CMRT: it has no \(missing.joined(separator: " or ")) sheet (its sheets: \(wb.sheetNames.joined(separator: ", ")))")
        }
        let at = { (ref: String) in "\(declarationSheet)!\(ref)" }
        guard let versionText = decl.text(versionCell), let version = version(in: versionText) else {
            throw DocumentReadError(.wrongKind, path: at(versionCell), "holds no CMRT revision (such as Revision 6.5), so the workbook is not a CMRT")
        }
        guard let layout = layouts[version] else {
            throw DocumentReadError(
                .unknownVersion, path: at(versionCell),
                "CMRT revision \(version) is not one this reader knows (\(versions.joined(separator: ", "))): send it as a known revision or add its layout")
        }
        guard let company = decl.text(layout.companyName) else {
            throw DocumentReadError(.required, path: at(layout.companyName), "the company name is empty: the supplier must fill in its legal name")
        }
        guard let scope = decl.text(layout.declarationScope) else {
            throw DocumentReadError(.required, path: at(layout.declarationScope), "the declaration scope is empty: the supplier must choose Company, Product or User defined")
        }
        var completion: String?
        switch decl[layout.completionDate] {
        case nil: completion = nil
        case .number(let serial)?:
            guard let d = Workbook.date(serial: serial) else {
                throw DocumentReadError(.format, path: at(layout.completionDate), "\(serial) is not a date serial between 1900 and 9999")
            }
            completion = d
        case let cell?:
            guard let d = date(text: cell.text) else {
                throw DocumentReadError(.format, path: at(layout.completionDate), "\"\(cell.text)\" is not a date: write DD-MMM-YYYY (26-Nov-2026) or YYYY-MM-DD")
            }
            completion = d
        }
        let answers = CMRTDeclaration.Metal.allCases.enumerated().map { i, m in
            CMRTDeclaration.MetalAnswers(metal: m, intentionallyAdded: decl.text(layout.question1[i]), remainsInProduct: decl.text(layout.question2[i]))
        }
        var smelters: [CMRTDeclaration.Smelter] = []
        let c = layout.smelterColumns
        if list.lastRow >= layout.smelterFirstRow {
            for row in layout.smelterFirstRow...list.lastRow {
                guard let metal = list.text("\(c.metal)\(row)") else { continue }
                smelters.append(CMRTDeclaration.Smelter(
                    row: row, metal: metal, name: list.text("\(c.name)\(row)") ?? list.text("\(c.lookUp)\(row)"),
                    country: list.text("\(c.country)\(row)"), smelterID: list.text("\(c.id)\(row)") ?? list.text("\(c.idInput)\(row)")))
            }
        }
        return CMRTDeclaration(
            version: version, companyName: company, declarationScope: scope, scopeDescription: decl.text(layout.scopeDescription),
            companyUniqueID: decl.text(layout.companyUniqueID), completionDate: completion, answers: answers, smelters: smelters)
    }

    /// The version number in a revision text: `Revision 6.5`, `6.5`, `CMRT 6.31` → `6.5`, `6.31`.
    static func version(in text: String) -> String? {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        for w in words.reversed() {
            let t = w.trimmingCharacters(in: CharacterSet(charactersIn: "vV()"))
            if !t.isEmpty, t.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }), t.first!.isNumber, t.contains(".") { return t }
        }
        return nil
    }

    /// A date written as text: `DD-MMM-YYYY` (the template's format) or `YYYY-MM-DD`.
    static func date(text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let p = t.split(separator: "-").map(String.init)
        guard p.count == 3 else { return nil }
        var y = 0, m = 0, d = 0
        if p[0].count == 4, let yy = Int(p[0]), let mm = Int(p[1]), let dd = Int(p[2]) {
            (y, m, d) = (yy, mm, dd)
        } else if let dd = Int(p[0]), let mi = months.firstIndex(of: p[1].lowercased().prefix(3).description), let yy = Int(p[2]), p[2].count == 4 {
            (y, m, d) = (yy, mi + 1, dd)
        } else {
            return nil
        }
        guard (1900...9999).contains(y), (1...12).contains(m), (1...31).contains(d) else { return nil }
        return String(format: "%04d-%02d-%02d", y, m, d)
    }
}
