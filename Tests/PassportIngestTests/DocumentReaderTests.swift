import Foundation
import PassportDemoData
import PassportDocuments
import PassportTestSupport
import Testing

/// The pure readers of `PassportDocuments`: CMRT workbooks and IPC-1752A declarations, and every
/// reason they refuse one.
@Suite("CMRT and IPC-1752A readers")
struct DocumentReaderTests {
    func read(_ sheets: [(String, [String: XLSXFixture.Cell])], strings: XLSXFixture.Strings = .shared) throws -> CMRTDeclaration {
        try CMRTReader.read(try XLSXFixture.workbook(sheets, strings: strings))
    }

    func error<T>(_ body: () throws -> T) -> DocumentReadError? {
        do {
            _ = try body()
            return nil
        } catch let e as DocumentReadError {
            return e
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    @Test("a CMRT with shared strings (as Excel writes it): company, scope, answers per metal, date serial, smelters")
    func sharedStrings() throws {
        let c = try read(XLSXFixture.cmrt())
        #expect(c.version == "6.5" && c.companyName == "ACME Metals GmbH" && c.declarationScope == "A. Company")
        #expect(c.companyUniqueID == "DUNS-123456789" && c.completionDate == "2025-12-09")
        #expect(c.metalsAnswered == [.tantalum, .tin, .gold, .tungsten])
        #expect(c.answers[1].metal == .tin && c.answers[1].intentionallyAdded == "Yes" && c.answers[1].remainsInProduct == "Yes")
        #expect(c.answers[0].intentionallyAdded == "No")
        #expect(c.smelters.map(\.row) == [5, 6] && c.smelters.map(\.metal) == ["Tin", "Gold"])
        #expect(c.smelters.map(\.name) == ["Example Tin Smelter", "Example Gold Refinery"])
        #expect(c.smelters.map(\.country) == ["INDONESIA", "SWITZERLAND"] && c.smelters.map(\.smelterID) == ["CID000001", "CID000002"])
    }

    @Test("a CMRT with inline strings and formulas with cached values, a text date, only two metals answered")
    func inlineStrings() throws {
        var sheets = XLSXFixture.cmrt(strings: .inline, completion: .text("09-Dec-2025"))
        sheets[1].1["D24"] = nil
        sheets[1].1["D30"] = nil
        sheets[1].1["D27"] = nil
        sheets[1].1["D33"] = nil
        sheets[1].1["D8"] = .formula("=\"ACME Metals\"&\" GmbH\"", cached: "ACME Metals GmbH")
        let c = try read(sheets, strings: .inline)
        #expect(c.companyName == "ACME Metals GmbH" && c.completionDate == "2025-12-09")
        #expect(c.metalsAnswered == [.tin, .gold])
        #expect(c.smelters.map(\.name) == ["Example Tin Smelter", "Example Gold Refinery"])
    }

    @Test("the date serials of the 1900 date system")
    func serials() {
        #expect(Workbook.date(serial: 1) == "1900-01-01")
        #expect(Workbook.date(serial: 59) == "1900-02-28")
        #expect(Workbook.date(serial: 61) == "1900-03-01")
        #expect(Workbook.date(serial: 46_000.75) == "2025-12-09")
        #expect(Workbook.date(serial: 0) == nil)
    }

    @Test("refused: not a workbook, not a CMRT, an unknown revision, no version, no company, a bad date")
    func refused() throws {
        let notZIP = error { try CMRTReader.read(Array("company,scope\n".utf8)) }
        #expect(notZIP?.code == .notZIP && notZIP?.message.contains("not a ZIP archive") == true)
        let noWorkbook = error { try CMRTReader.read(try XLSXFixture.zip([("hello.txt", Array("hi".utf8))])) }
        #expect(noWorkbook?.code == .notWorkbook && noWorkbook?.message.contains("no xl/workbook.xml") == true)
        let other = error { try read([("Sheet1", ["A1": .text("Invoice")])]) }
        #expect(other?.code == .wrongKind)
        #expect(other?.description == "the workbook is not a CMRT: it has no Declaration or Smelter List sheet (its sheets: Sheet1)")
        let unknown = error { try read(XLSXFixture.cmrt(version: "Revision 7.0")) }
        #expect(unknown?.code == .unknownVersion && unknown?.path == "Declaration!C2")
        #expect(unknown?.message.hasPrefix("CMRT revision 7.0 is not one this reader knows (6.0, 6.01, 6.1, 6.2, 6.22, 6.3, 6.31, 6.4, 6.5)") == true)
        let noVersion = error { try read(XLSXFixture.cmrt(version: "Conflict Minerals Reporting Template")) }
        #expect(noVersion?.code == .wrongKind && noVersion?.path == "Declaration!C2")
        var noCompany = XLSXFixture.cmrt()
        noCompany[1].1["D8"] = nil
        let company = error { try read(noCompany) }
        #expect(company?.code == .required && company?.description == "Declaration!D8: the company name is empty: the supplier must fill in its legal name")
        var noScope = XLSXFixture.cmrt()
        noScope[1].1["D9"] = .text("  ")
        #expect(error { try read(noScope) }?.path == "Declaration!D9")
        let date = error { try read(XLSXFixture.cmrt(completion: .text("last Tuesday"))) }
        #expect(date?.code == .format && date?.path == "Declaration!D21" && date?.message.contains("DD-MMM-YYYY") == true)
    }

    @Test("refused: a zip bomb (total uncompressed size, entry count), a DTD in a part")
    func bombsAndDTDs() throws {
        let big = try XLSXFixture.workbook(XLSXFixture.cmrt(), extraEntries: [("xl/media/padding.bin", [UInt8](repeating: 0, count: 200_000))])
        let bomb = error { try CMRTReader.read(big, limits: .init(maxEntries: 100, maxTotalUncompressed: 100_000)) }
        #expect(bomb?.code == .tooLarge && bomb?.message.contains("inflates to more than") == true)
        #expect(try CMRTReader.read(big).companyName == "ACME Metals GmbH")
        let many = try XLSXFixture.workbook(XLSXFixture.cmrt(), extraEntries: (0..<20).map { ("xl/media/\($0).bin", [1]) })
        let count = error { try CMRTReader.read(many, limits: .init(maxEntries: 10, maxTotalUncompressed: 1 << 20)) }
        #expect(count?.code == .tooLarge && count?.message.contains("more than 10 ZIP entries") == true)
        let dtd = """
            <?xml version="1.0"?><!DOCTYPE workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><workbook><sheets/></workbook>
            """
        let evil = error { try CMRTReader.read(try XLSXFixture.zip([("xl/workbook.xml", Array(dtd.utf8))])) }
        #expect(evil?.code == .unsafeXML && evil?.path == "xl/workbook.xml" && evil?.message.contains("<!DOCTYPE") == true)
    }

    static let files = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/files")

    @Test("archives as Info-ZIP writes them: ZIP64 fields and stored entries, data descriptors, directory entries")
    func archivesOfOtherTools() throws {
        let expected = try CMRTReader.read(try XLSXFixture.workbook(XLSXFixture.cmrt(company: "CellCo Components GmbH", companyID: "CELLCO")))
        for name in ["cmrt-zip64-stored.xlsx", "cmrt-descriptors.xlsx"] {
            let bytes = [UInt8](try Data(contentsOf: Self.files.appendingPathComponent(name)))
            #expect(try CMRTReader.read(bytes) == expected, "\(name)")
            let package = try ZIPPackage(bytes)
            #expect(package.paths.contains("xl/worksheets/") && package.contains("xl/workbook.xml"), "\(name): \(package.paths)")
            #expect(try package.read("xl/worksheets/")?.isEmpty == true, "\(name)")
        }
    }

    /// A one-entry archive (`part.xml`, deflated) and where its pieces are.
    struct OneEntry {
        var bytes: [UInt8]
        let text = Array(String(repeating: "<row>passport ledger</row>", count: 40).utf8)
        /// The first byte of the entry's compressed data.
        let data: Int
        /// The entry's central directory record.
        let central: Int

        init() throws {
            let bytes = try XLSXFixture.zip([("part.xml", text)])
            let nameAndExtra = (Int(bytes[26]) | Int(bytes[27]) << 8) + (Int(bytes[28]) | Int(bytes[29]) << 8)
            data = 30 + nameAndExtra
            central = try #require((0..<(bytes.count - 4)).first { bytes[$0..<($0 + 4)] == [0x50, 0x4B, 1, 2] })
            self.bytes = bytes
        }

        /// Writes a little-endian field of the central record.
        mutating func set(_ offset: Int, _ value: UInt32, width: Int = 4) {
            for k in 0..<width { bytes[central + offset + k] = UInt8(truncatingIfNeeded: value >> (8 * k)) }
        }
        var compressedSize: UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[central + 20 + $1]) << (8 * $1) } }
        var crc: UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[central + 16 + $1]) << (8 * $1) } }
    }

    @Test("refused, never waited on: a deflate stream cut short, sizes and a CRC that lie, data past the end, encryption, another method", .timeLimit(.minutes(1)))
    func corruptEntries() throws {
        let good = try OneEntry()
        #expect(try ZIPPackage(good.bytes).read("part.xml") == good.text)
        func refusal(_ edit: (inout OneEntry) -> Void) throws -> String {
            var entry = good
            edit(&entry)
            do {
                let read = try ZIPPackage(entry.bytes).read("part.xml")
                Issue.record("a corrupt entry was read: \(read?.count ?? -1) bytes")
                return ""
            } catch {
                #expect(error.code == .notZIP && error.path == "part.xml", "\(error)")
                return error.message
            }
        }
        // A non-final stored block announcing 65,535 bytes: the stream needs more input than the
        // entry has. (ZIPFoundation 0.9.20 on Linux read on past the entry and spun at the end of
        // the file, forever.)
        let cut = try refusal { e in e.bytes.replaceSubrange(e.data..<(e.data + 5), with: [0x00, 0xFF, 0xFF, 0x00, 0x00]) }
        #expect(cut.contains("ends before its deflate stream does"), "\(cut)")
        let short = try refusal { e in e.set(24, UInt32(e.text.count - 1)) }
        #expect(short.contains("inflates to \(good.text.count) bytes where the directory says \(good.text.count - 1)"), "\(short)")
        let shorter = try refusal { e in e.set(24, 100) }
        #expect(shorter.contains("inflates to more than the 100 bytes the directory says"), "\(shorter)")
        let long = try refusal { e in e.set(24, UInt32(e.text.count + 1)) }
        #expect(long.contains("inflates to \(good.text.count) bytes where the directory says \(good.text.count + 1)"), "\(long)")
        let crc = try refusal { e in e.set(16, e.crc ^ 1) }
        #expect(crc.contains("CRC-32"), "\(crc)")
        let past = try refusal { e in e.set(20, 0x7FFF_FFFF) }
        #expect(past.contains("run past the end of the archive"), "\(past)")
        let lie = try refusal { e in e.set(24, e.compressedSize * 2000) }
        #expect(lie.contains("cannot inflate to"), "\(lie)")
        let invalid = try refusal { e in e.bytes[e.data] = 0xFF }  // block type 3 does not exist
        #expect(invalid.contains("deflate stream is invalid"), "\(invalid)")
        let encrypted = try refusal { e in e.set(8, 1, width: 2) }
        #expect(encrypted.contains("encrypted"), "\(encrypted)")
        let method = try refusal { e in e.set(10, 12, width: 2) }
        #expect(method.contains("compression method 12"), "\(method)")
        let header = try refusal { e in e.set(42, UInt32(e.central)) }
        #expect(header.contains("local header"), "\(header)")
    }

    // MARK: IPC-1752A

    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/files/ipc1752-bms.xml")

    func ipc(_ replace: [(String, String)] = []) throws -> String {
        var text = try String(contentsOf: Self.fixture, encoding: .utf8)
        for (a, b) in replace {
            #expect(text.contains(a), "the fixture has no \(a)")
            text = text.replacingOccurrences(of: a, with: b)
        }
        return text
    }

    @Test("an IPC-1752A class C declaration: supplier, product, materials in kg, declarable substances")
    func materialDeclaration() throws {
        let d = try IPC1752Reader.read(Array(try ipc().utf8))
        #expect(d.version == "2.0" && d.declarationClass == "C" && d.supplierID == "ELEKTRA" && d.date == "2026-10-15")
        let p = try #require(d.products.first)
        #expect(p.itemNumber == "BMS-48V" && p.materials.map(\.name) == ["FR-4 laminate", "Solder alloy SnAgCu", "PVC cable insulation"])
        #expect(p.materials.map(\.massKg) == [0.5, 0.05, 0.3])
        let declarable = p.materials.flatMap(\.substances).filter(\.declarable)
        #expect(declarable.map(\.casNumber) == ["7439-92-1", "117-81-7"])
        #expect(abs((declarable[0].massKg ?? 0) - 5e-5) < 1e-12)
    }

    @Test("refused with the XML path: DTD, another root, version, class, a material without mass, a bad unit, no product")
    func ipcRefused() throws {
        func fails(_ replace: [(String, String)]) throws -> DocumentReadError? {
            let text = try ipc(replace)
            return error { try IPC1752Reader.read(Array(text.utf8)) }
        }
        let dtd = try fails([("<MainDeclaration ", "<!DOCTYPE MainDeclaration SYSTEM \"http://example.com/x.dtd\"><MainDeclaration ")])
        #expect(dtd?.code == .unsafeXML)
        let root = error { try IPC1752Reader.read(Array("<Invoice/>".utf8)) }
        #expect(root?.code == .wrongKind && root?.path == "/Invoice")
        let version = try fails([("version=\"2.0\"", "version=\"3.0\"")])
        #expect(version?.code == .unknownVersion && version?.message == "IPC-1752A version 3.0 is not one this reader knows (1.1, 2.0, 2.1)")
        let classA = try fails([("class=\"C\"", "class=\"A\"")])
        #expect(classA?.code == .wrongKind && classA?.message.contains("class A is a compliance answer") == true)
        let noMass = try fails([("<Amount value=\"50\" UOM=\"g\"/>\n", "")])
        #expect(noMass?.code == .required && noMass?.path == "/MainDeclaration/Product[1]/MaterialInfo/HomogeneousMaterialList/HomogeneousMaterial[2]/Amount")
        let unit = try fails([("value=\"0.3\" UOM=\"kg\"", "value=\"0.3\" UOM=\"lb\"")])
        #expect(unit?.code == .format && unit?.path.hasSuffix("HomogeneousMaterial[3]/Amount/@UOM") == true)
        let number = try fails([("value=\"0.3\"", "value=\"0,3\"")])
        #expect(number?.code == .format && number?.message.contains("is not a mass") == true)
        let malformed = error { try IPC1752Reader.read(Array("<MainDeclaration version=\"2.0\"><Product>".utf8)) }
        #expect(malformed?.code == .malformedXML)
        let noProduct = error { try IPC1752Reader.read(Array("<MainDeclaration version=\"2.0\"/>".utf8)) }
        #expect(noProduct?.code == .required && noProduct?.path == "/MainDeclaration/Product")
    }

    @Test("refused with the XML path: a material or substance without a name, a declarable substance without its mass, a product without materials")
    func ipcRefusedStructure() throws {
        func fails(_ replace: [(String, String)]) throws -> DocumentReadError? {
            let text = try ipc(replace)
            return error { try IPC1752Reader.read(Array(text.utf8)) }
        }
        let unnamedMaterial = try fails([("<HomogeneousMaterial name=\"Solder alloy SnAgCu\">", "<HomogeneousMaterial>")])
        #expect(unnamedMaterial?.code == .required && unnamedMaterial?.path.hasSuffix("HomogeneousMaterial[2]/@name") == true, "\(String(describing: unnamedMaterial))")
        let unnamedSubstance = try fails([("<Substance name=\"Glass fibre\">", "<Substance>")])
        #expect(unnamedSubstance?.code == .required && unnamedSubstance?.path.hasSuffix("/@name") == true
            && unnamedSubstance?.message == "is missing: every substance has a name", "\(String(describing: unnamedSubstance))")
        // Lead is on the declarable list: without its mass no concentration can be given.
        let leadWithoutMass = try fails([("<Amount value=\"50\" UOM=\"mg\"/>", "")])
        #expect(leadWithoutMass?.code == .required && leadWithoutMass?.path.hasSuffix("/Amount") == true
            && leadWithoutMass?.message.contains("a declarable substance needs its mass") == true, "\(String(describing: leadWithoutMass))")
        let start = "<HomogeneousMaterialList>", end = "</HomogeneousMaterialList>"
        let text = try ipc()
        let a = try #require(text.range(of: start)), b = try #require(text.range(of: end))
        let empty = text.replacingCharacters(in: a.upperBound..<b.lowerBound, with: "")
        let noMaterials = error { try IPC1752Reader.read(Array(empty.utf8)) }
        #expect(noMaterials?.code == .required && noMaterials?.path.hasSuffix("MaterialInfo/HomogeneousMaterialList") == true, "\(String(describing: noMaterials))")
    }
}
