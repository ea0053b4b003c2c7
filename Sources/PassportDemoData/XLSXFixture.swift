import Foundation
import ZIPFoundation

/// Writes minimal xlsx workbooks for the demo and the tests: `[Content_Types].xml`, `xl/workbook.xml`, its rels,
/// one `xl/worksheets/sheetN.xml` per sheet and (with shared strings) `xl/sharedStrings.xml`.
public enum XLSXFixture {
    /// A cell as a test writes it.
    public enum Cell: Sendable {
        /// Text.
        case text(String)
        /// A number (a date serial too).
        case number(Double)
        /// A formula with its cached text value, or none.
        case formula(String, cached: String?)
    }

    /// How strings are stored.
    public enum Strings: Sendable {
        /// In `xl/sharedStrings.xml`, as Excel writes them.
        case shared
        /// Inline in the cells, as some other tools write them.
        case inline
    }

    /// A workbook's bytes.
    /// - Parameters:
    ///   - sheets: sheet name → cell reference → value, in order.
    ///   - extraEntries: more ZIP entries (path → bytes), e.g. to build a bomb.
    public static func workbook(_ sheets: [(String, [String: Cell])], strings: Strings = .shared, extraEntries: [(String, [UInt8])] = []) throws -> [UInt8] {
        var shared: [String] = []
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        var parts: [(String, String)] = []
        for (i, (_, cells)) in sheets.enumerated() {
            var rows: [Int: [(Int, String)]] = [:]
            for (ref, cell) in cells {
                let letters = ref.prefix { $0.isLetter }, row = Int(ref.dropFirst(letters.count))!
                let col = letters.unicodeScalars.reduce(0) { $0 * 26 + Int($1.value) - 64 }
                let xml: String
                switch cell {
                case .number(let d): xml = "<c r=\"\(ref)\"><v>\(d)</v></c>"
                case .formula(let f, let cached):
                    xml = "<c r=\"\(ref)\" t=\"str\"><f>\(esc(f))</f>" + (cached.map { "<v>\(esc($0))</v>" } ?? "") + "</c>"
                case .text(let t):
                    switch strings {
                    case .shared:
                        shared.append(t)
                        xml = "<c r=\"\(ref)\" t=\"s\"><v>\(shared.count - 1)</v></c>"
                    case .inline:
                        xml = "<c r=\"\(ref)\" t=\"inlineStr\"><is><t>\(esc(t))</t></is></c>"
                    }
                }
                rows[row, default: []].append((col, xml))
            }
            let body = rows.keys.sorted().map { r in
                "<row r=\"\(r)\">" + rows[r]!.sorted { $0.0 < $1.0 }.map(\.1).joined() + "</row>"
            }.joined()
            parts.append(("xl/worksheets/sheet\(i + 1).xml",
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetData>\(body)</sheetData></worksheet>"))
        }
        let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\""
        let workbook = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook \(ns)><sheets>"
            + sheets.enumerated().map { "<sheet name=\"\(esc($1.0))\" sheetId=\"\($0 + 1)\" r:id=\"rId\($0 + 1)\"/>" }.joined() + "</sheets></workbook>"
        let rels = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + sheets.indices.map { "<Relationship Id=\"rId\($0 + 1)\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet\($0 + 1).xml\"/>" }.joined()
            + "</Relationships>"
        let types = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/></Types>"
        var entries: [(String, [UInt8])] = [("[Content_Types].xml", Array(types.utf8)), ("xl/workbook.xml", Array(workbook.utf8)), ("xl/_rels/workbook.xml.rels", Array(rels.utf8))]
        entries += parts.map { ($0.0, Array($0.1.utf8)) }
        if !shared.isEmpty {
            let sst = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"\(shared.count)\">"
                + shared.map { "<si><t>\(esc($0))</t></si>" }.joined() + "</sst>"
            entries.append(("xl/sharedStrings.xml", Array(sst.utf8)))
        }
        return try zip(entries + extraEntries)
    }

    /// A ZIP archive of the entries (deflated).
    public static func zip(_ entries: [(String, [UInt8])]) throws -> [UInt8] {
        let archive = try Archive(data: Data(), accessMode: .create)
        for (path, bytes) in entries {
            let data = Data(bytes)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(data.count), compressionMethod: .deflate) { position, size in
                data.subdata(in: Int(position)..<min(data.count, Int(position) + size))
            }
        }
        return [UInt8](archive.data ?? Data())
    }

    /// A completed CMRT 6.5 (tin and gold used, two smelters) at the positions `CMRTReader` reads.
    /// - Parameters:
    ///   - version: the revision cell (C2).
    ///   - company: the company name (D8).
    ///   - companyID: the company unique ID (D11), or none.
    ///   - completion: the date of completion (D21), a date serial, or none.
    public static func cmrt(
        version: String = "Revision 6.5", strings: Strings = .shared, company: String = "ACME Metals GmbH", companyID: String? = "DUNS-123456789",
        completion: Cell? = .number(46_000)
    )
        -> [(String, [String: Cell])]
    {
        var decl: [String: Cell] = [
            "B8": .formula("=Translations!B8", cached: strings == .shared ? nil : "Company Name (*):"),
            "C2": .text(version), "D8": .text(company), "D9": .text("A. Company"),
            "D24": .text("No"), "D25": .text("Yes"), "D26": .text("Yes"), "D27": .text("No"),
            "D30": .text("No"), "D31": .text("Yes"), "D32": .text("Yes"), "D33": .text("No"),
        ]
        if let companyID { decl["D11"] = .text(companyID) }
        if let completion { decl["D21"] = completion }
        let smelters: [String: Cell] = [
            "B4": .formula("=Translations!C4", cached: nil),
            "B5": .text("Tin"), "C5": .text("Smelter not listed"), "D5": .text("Example Tin Smelter"), "E5": .text("INDONESIA"), "F5": .text("CID000001"),
            "B6": .text("Gold"), "C6": .formula("=VLOOKUP(A6,Lookup!A:B,2,0)", cached: "Example Gold Refinery"), "E6": .text("SWITZERLAND"), "A6": .text("CID000002"),
        ]
        return [("Revision", [:]), ("Declaration", decl), ("Smelter List", smelters), ("Checker", [:])]
    }
}
