import Foundation
import PassportDemoData
import PassportIngest
import PassportModel
import Testing

@Suite struct EPCISIdentifierTests {
    @Test(arguments: [
        // sgtin: indicator digit first, then the company prefix, the item reference and a computed check digit.
        ("urn:epc:id:sgtin:0614141.107346.2017", EPCISIdentifier.item(subject: "01/10614141073464/21/2017", lot: nil)),
        ("urn:epc:id:sgtin:0614141.107346.A%2FB%25", .item(subject: "01/10614141073464/21/A%2FB%25", lot: nil)),
        ("urn:epc:class:lgtin:4012345.012345.998877", .batch(subject: "01/04012345123456/10/998877")),
        ("urn:epc:idpat:sgtin:4012345.066666.*", .model(subject: "01/04012345666663")),
        ("urn:epc:id:sscc:0614141.1234567890", .sscc("106141412345678908")),
        ("urn:epc:id:sgln:0614141.00777.0", .location(gln: "0614141007776", extension: nil)),
        ("urn:epc:id:sgln:0614141.07346.1234", .location(gln: "0614141073467", extension: "1234")),
        ("urn:epc:id:pgln:4000001.00012", .party(gln: "4000001000128")),
        ("urn:epc:id:grai:4012345.55555.987", .other(scheme: "grai")),
        ("https://id.gs1.org/01/70614141123451/21/2017", .item(subject: "01/70614141123451/21/2017", lot: nil)),
        ("https://id.gs1.org/01/04012345123456/10/998877", .batch(subject: "01/04012345123456/10/998877")),
        ("https://id.gs1.org/01/04012345987652", .model(subject: "01/04012345987652")),
        // Any host and path prefix; GTIN-13 padded; lot re-encoded canonically; query dropped.
        ("https://brand.example.com/dl/01/9506000134352/10/L%2f1?linkType=gs1:pip", .batch(subject: "01/09506000134352/10/L%2F1")),
        ("https://example.org/01/09506000134352/10/L1/21/S%2A1", .item(subject: "01/09506000134352/21/S%2A1", lot: "L1")),
        ("https://id.gs1.org/00/106141412345678908", .sscc("106141412345678908")),
        ("https://id.gs1.org/414/0614141007776/254/7", .location(gln: "0614141007776", extension: "7")),
        ("https://id.gs1.org/417/4000001000128", .party(gln: "4000001000128")),
    ])
    func reads(text: String, expected: EPCISIdentifier) throws {
        #expect(try EPCISIdentifier.parse(text).get() == expected)
        if let subject = expected.subject { #expect(try Subject(subject).rawValue == subject) }
    }

    @Test(arguments: [
        ("urn:epc:id:foo:1.2", "unknown EPC scheme urn:epc:id:foo"),
        ("urn:epc:id:sgtin:0614141.10734.2017", "company prefix"),
        ("urn:epc:id:sgtin:0614141.107346.a b", "character set 82"),
        ("urn:epc:id:sgtin:0614141.107346.toolongserialnumber12345", "1–20"),
        ("https://id.gs1.org/01/70614141123452/21/2017", "check digit"),
        ("https://id.gs1.org/00/106141412345678909", "check digit"),
        ("https://example.com/products/123", "known primary key"),
        ("ftp://x/01/09506000134352", "not an EPC URN"),
        ("https://id.gs1.org/01/09506000134352/99/x", "key qualifiers"),
    ])
    func rejects(text: String, reason: String) {
        switch EPCISIdentifier.parse(text) {
        case .success(let id): Issue.record("\(text) read as \(id)")
        case .failure(let p): #expect(p.reason.contains(reason), "\(p.reason)")
        }
    }

    /// Random sgtins: the URN (escaped the TDS way) and the Digital Link (percent-encoded) name
    /// the same canonical subject, whose GTIN carries a valid check digit.
    @Test func urnAndDigitalLinkAgree() throws {
        let seed = SplitMix64.testSeed()
        var rng = SplitMix64(seed: seed)
        let set82 = Array("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz".utf8)
        let urnEscaped = Set("\"%&/<>?".utf8)
        for _ in 0..<500 {
            let prefixLength = 6 + rng.next(upTo: 7)
            let prefix = String((0..<prefixLength).map { _ in Character(String(rng.next(upTo: 10))) })
            let reference = String((0..<(13 - prefixLength)).map { _ in Character(String(rng.next(upTo: 10))) })
            let serial = (0..<(1 + rng.next(upTo: 20))).map { _ in set82[rng.next(upTo: set82.count)] }
            let urnSerial = serial.map { urnEscaped.contains($0) ? "%" + String($0, radix: 16, uppercase: true) : String(UnicodeScalar($0)) }.joined()
            let urn = "urn:epc:id:sgtin:\(prefix).\(reference).\(urnSerial)"
            guard case .item(let subject, _) = try EPCISIdentifier.parse(urn).get() else {
                Issue.record("seed \(seed): \(urn) is not an item")
                continue
            }
            let s = try Subject(subject)
            let gtin = try #require(s.gtin)
            #expect(gtin.hasPrefix(String(reference.prefix(1)) + prefix + reference.dropFirst()), "seed \(seed): \(urn) → \(subject)")
            #expect(GS1.gtinProblem(gtin) == nil, "seed \(seed)")
            let encoded = serial.map { String(format: "%%%02x", $0) }.joined()  // every character encoded, lowercase hex
            let link = try EPCISIdentifier.parse("https://resolver.example/01/\(gtin)/21/\(encoded)").get()
            #expect(link.subject == subject, "seed \(seed): \(urn)")
        }
    }
}
