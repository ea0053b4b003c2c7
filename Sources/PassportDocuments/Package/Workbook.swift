import Foundation

/// An xlsx workbook (Office Open XML SpreadsheetML) read for its cell values, as Excel writes it
/// and as other tools do: shared strings (`xl/sharedStrings.xml`) and inline strings, formulas
/// with a cached value (or none: the cell is then empty), numbers and booleans. Styles are not
/// read, so a date is a number (a serial of the 1900 date system; see ``Workbook/date(serial:)``).
public struct Workbook: Sendable {
    /// A cell's value.
    public enum Cell: Sendable, Hashable {
        /// Text (a shared, inline or formula string).
        case text(String)
        /// A number (a date is a serial number).
        case number(Double)
        /// A boolean.
        case bool(Bool)

        /// The value as text: numbers without a needless fraction, booleans as TRUE/FALSE.
        public var text: String {
            switch self {
            case .text(let t): return t
            case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(d)
            case .bool(let b): return b ? "TRUE" : "FALSE"
            }
        }
    }

    /// One worksheet's values, by cell reference (`D8`).
    public struct Sheet: Sendable {
        /// The sheet's name.
        public let name: String
        /// The non-empty cells.
        public let cells: [String: Cell]
        /// The largest row number with a value.
        public let lastRow: Int

        /// The cell at `ref`.
        public subscript(_ ref: String) -> Cell? { cells[ref] }

        /// The trimmed text at `ref`, or nil if it is empty.
        public func text(_ ref: String) -> String? {
            guard let t = cells[ref]?.text.trimmingCharacters(in: .whitespacesAndNewlines), !t.isEmpty else { return nil }
            return t
        }
    }

    /// The package.
    public let package: ZIPPackage
    /// The worksheets' names, in workbook order.
    public let sheetNames: [String]
    private let sheetParts: [String: String]
    private let sharedStrings: [String]

    /// Opens a workbook.
    /// - Throws: ``DocumentReadError``: `not-zip`, `too-large`, `not-workbook` (no `xl/workbook.xml`),
    ///   `unsafe-xml`, `malformed-xml`.
    public init(_ bytes: [UInt8], limits: ZIPPackage.Limits = .default) throws(DocumentReadError) {
        package = try ZIPPackage(bytes, limits: limits)
        guard let wb = try package.read("xl/workbook.xml") else {
            throw DocumentReadError(.notWorkbook, "the archive has no xl/workbook.xml, so it is not an xlsx workbook: save it as Excel Workbook (.xlsx)")
        }
        let tree = try XMLTree.parse(wb, part: "xl/workbook.xml")
        var targets: [String: String] = [:]
        if let rels = try package.read("xl/_rels/workbook.xml.rels") {
            for r in try XMLTree.parse(rels, part: "xl/_rels/workbook.xml.rels").all("Relationship") {
                guard let id = r.attributes["Id"], let target = r.attributes["Target"] else { continue }
                targets[id] = target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target
            }
        }
        var names: [String] = [], parts: [String: String] = [:]
        for (i, s) in (tree.first("sheets")?.all("sheet") ?? []).enumerated() {
            guard let name = s.attributes["name"] else { continue }
            names.append(name)
            parts[name] = s.attributes["id"].flatMap { targets[$0] } ?? "xl/worksheets/sheet\(i + 1).xml"
        }
        sheetNames = names
        sheetParts = parts
        var strings: [String] = []
        if let sst = try package.read("xl/sharedStrings.xml") {
            strings = try XMLTree.parse(sst, part: "xl/sharedStrings.xml").all("si").map(Self.richText)
        }
        sharedStrings = strings
    }

    /// A worksheet by name, or nil if the workbook has none of that name.
    /// - Throws: ``DocumentReadError`` if its part is missing or not well-formed.
    public func sheet(_ name: String) throws(DocumentReadError) -> Sheet? {
        guard let part = sheetParts[name] else { return nil }
        guard let bytes = try package.read(part) else {
            throw DocumentReadError(.notWorkbook, path: part, "the workbook names sheet \(name) but has no such part")
        }
        let tree = try XMLTree.parse(bytes, part: part)
        var cells: [String: Cell] = [:]
        var lastRow = 0
        var rowNumber = 0
        for row in tree.first("sheetData")?.all("row") ?? [] {
            rowNumber = row.attributes["r"].flatMap(Int.init) ?? rowNumber + 1
            var column = 0
            for c in row.all("c") {
                if let r = c.attributes["r"], let (col, _) = Self.split(r) { column = col } else { column += 1 }
                guard let value = value(c) else { continue }
                cells[Self.reference(column: column, row: rowNumber)] = value
                lastRow = max(lastRow, rowNumber)
            }
        }
        return Sheet(name: name, cells: cells, lastRow: lastRow)
    }

    private func value(_ c: XMLTree) -> Cell? {
        let type = c.attributes["t"] ?? "n"
        if type == "inlineStr" { return c.first("is").map { .text(Self.richText($0)) } }
        guard let v = c.first("v")?.text else { return nil }  // a formula without a cached value
        switch type {
        case "s": return Int(v.trimmingCharacters(in: .whitespaces)).flatMap { $0 >= 0 && $0 < sharedStrings.count ? .text(sharedStrings[$0]) : nil }
        case "str": return .text(v)
        case "b": return .bool(v.trimmingCharacters(in: .whitespaces) == "1")
        case "e": return nil  // #N/A, #REF!…: no value
        default: return Double(v.trimmingCharacters(in: .whitespaces)).map(Cell.number)
        }
    }

    /// The text of a shared string or inline string: its `<t>`, or its runs' `<t>`s (phonetic runs left out).
    static func richText(_ si: XMLTree) -> String {
        if let t = si.first("t") { return t.text }
        return si.all("r").compactMap { $0.first("t")?.text }.joined()
    }

    /// `D8` → (4, 8).
    static func split(_ ref: String) -> (Int, Int)? {
        var col = 0
        var digits = Substring(ref)
        for ch in ref.uppercased() {
            guard let a = ch.asciiValue, (65...90).contains(a) else { break }
            col = col * 26 + Int(a - 64)
            digits = digits.dropFirst()
        }
        guard col > 0, let row = Int(digits), row > 0 else { return nil }
        return (col, row)
    }

    /// (4, 8) → `D8`.
    public static func reference(column: Int, row: Int) -> String {
        var c = column, letters = ""
        while c > 0 {
            let r = (c - 1) % 26
            letters = String(UnicodeScalar(UInt8(65 + r))) + letters
            c = (c - 1) / 26
        }
        return letters + String(row)
    }

    /// The date (`YYYY-MM-DD`) of a serial number of the 1900 date system (1 = 1900-01-01;
    /// Excel's fictitious 1900-02-29, serial 60, is skipped), or nil outside 1900–9999.
    public static func date(serial: Double) -> String? {
        guard serial.isFinite, serial >= 1, serial < 2_958_466 else { return nil }
        var days = Int(serial.rounded(.down))
        if days < 60 { days += 1 } else if days == 60 { return nil }
        // Day 0 of the count is 1899-12-30.
        let epoch = Date(timeIntervalSince1970: -2_209_161_600)
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        guard let d = cal.date(byAdding: .day, value: days, to: epoch) else { return nil }
        let p = cal.dateComponents([.year, .month, .day], from: d)
        guard let y = p.year, let m = p.month, let day = p.day else { return nil }
        return String(format: "%04d-%02d-%02d", y, m, day)
    }
}
