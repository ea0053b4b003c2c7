import Foundation
import PassportDemoData
import PassportDocuments
import PassportIngest
import PassportModel
import PassportTestSupport
import Testing

/// Mangled EPCIS documents, workbooks and IPC-1752A files never crash the readers: each gets an
/// answer, and every refusal says why (seeded; DPP_TEST_SEED replays a failure).
@Suite struct DocumentHostileInputTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    /// `bytes` with a few random edits: a byte replaced, removed, or a structural character inserted.
    static func mangle(_ original: [UInt8], _ rng: inout SplitMix64, alphabet: [UInt8]) -> [UInt8] {
        var bytes = original
        for _ in 0..<(1 + rng.next(upTo: 4)) where !bytes.isEmpty {
            let at = rng.next(upTo: bytes.count)
            switch rng.next(upTo: 4) {
            case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
            case 1: bytes.remove(at: at)
            case 2: bytes.insert(alphabet[rng.next(upTo: alphabet.count)], at: at)
            default: bytes.removeLast(rng.next(upTo: bytes.count))
            }
        }
        return bytes
    }

    @Test(.timeLimit(.minutes(2))) func mangledEPCISDocumentsAreAnswered() throws {
        let seed = SplitMix64.testSeed()
        print("mangled EPCIS documents: seed \(seed) (DPP_TEST_SEED=\(seed) replays it)")
        var rng = SplitMix64(seed: seed)
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.folder.appendingPathComponent("epcis").path).filter { $0.hasSuffix(".jsonld") }
        let originals = try names.map { [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("epcis/\($0)"))) }
        let mapper = EPCISMapper(locationCountries: ["7080003000002": "NO"])
        var rejected = 0
        for i in 0..<300 {
            let bytes = Self.mangle(originals[rng.next(upTo: originals.count)], &rng, alphabet: Array("\"{}[],:0/9#%".utf8))
            let results = mapper.map(bytes, input: "mangled \(i)")
            #expect(!results.isEmpty, "seed \(seed): no answer for mangled \(i)")
            for r in results {
                if case .reject(let v) = r.outcome {
                    rejected += 1
                    #expect(!v.isEmpty && v.allSatisfy { !$0.message.isEmpty }, "seed \(seed): \(r)")
                }
            }
        }
        #expect(rejected > 0, "seed \(seed): no mangled document was rejected")
    }

    @Test(.timeLimit(.minutes(2))) func mangledWorkbooksAndXMLAreRefusedWithAReason() throws {
        let seed = SplitMix64.testSeed()
        // Printed first: a hang (one was found this way) reports nothing else.
        print("mangled workbooks and XML: seed \(seed) (DPP_TEST_SEED=\(seed) replays it)")
        var rng = SplitMix64(seed: seed)
        let workbook = try XLSXFixture.workbook(XLSXFixture.cmrt())
        let xml = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("files/ipc1752-bms.xml")))
        var refused = 0
        for _ in 0..<200 {
            do { _ = try CMRTReader.read(Self.mangle(workbook, &rng, alphabet: Array("PK<>/\"=".utf8))) } catch {
                refused += 1
                #expect(!error.message.isEmpty, "seed \(seed): \(error)")
            }
            do { _ = try IPC1752Reader.read(Self.mangle(xml, &rng, alphabet: Array("<>/\"=&!".utf8))) } catch {
                refused += 1
                #expect(!error.message.isEmpty, "seed \(seed): \(error)")
            }
        }
        #expect(refused > 0, "seed \(seed): no mangled document was refused")
    }

    /// The two crashes the mangling found, kept as plain cases: invalid UTF-8 in an element name
    /// (Foundation's XMLParser traps on it) and a ZIP directory pointing past the end of the
    /// archive (ZIPFoundation's in-memory reader traps on it).
    @Test func invalidUTF8AndADirectoryPastTheEndAreRefused() throws {
        var xml = [UInt8](try Data(contentsOf: Self.folder.appendingPathComponent("files/ipc1752-bms.xml")))
        let at = try #require(xml.firstIndex(of: UInt8(ascii: "<")).map { $0 + 1 })
        xml.insert(0xC3, at: at)  // a lead byte with no continuation
        do {
            _ = try IPC1752Reader.read(xml)
            Issue.record("a document that is not UTF-8 was read")
        } catch {
            #expect(error.code == .malformedXML && error.message.contains("UTF-8"), "\(error)")
        }

        var workbook = try XLSXFixture.workbook(XLSXFixture.cmrt())
        // The end-of-central-directory record (PK\u{5}\u{6}) holds the directory's offset at +16.
        let signature: [UInt8] = [0x50, 0x4B, 5, 6]
        let found: Int? = (0...(workbook.count - 22)).last { (i: Int) -> Bool in
            Array(workbook[i..<(i + 4)]) == signature
        }
        let eocd = try #require(found)
        for k in 0..<4 { workbook[eocd + 16 + k] = 0xFF - UInt8(k) }
        do {
            _ = try CMRTReader.read(workbook)
            Issue.record("a directory past the end of the archive was read")
        } catch {
            #expect(error.code == .notZIP, "\(error)")
        }
    }
}
