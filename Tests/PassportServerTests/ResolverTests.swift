import Foundation
import HTTPTypes
import PassportAudit
import PassportLedger
import PassportModel
import PassportServer
import Testing

@Suite("HTTP API: GS1 Digital Link resolver and QR codes")
struct ResolverTests {
    @Test("content negotiation: JSON by default, the page for browsers, the linkset on request; a Link header to the linkset")
    func negotiation() async throws {
        let h = try ServerHarness(configuration: { var c = ServerConfiguration(); c.publicURL = "https://id.example.com/"; return c }())
        let json = try await h.request("/\(h.item)")
        #expect(json.status == .ok)
        #expect(json.headers[.contentType] == "application/json")
        #expect(json.json.objectValue?["id"] == .string(h.item))
        #expect(json.headers[HTTPField.Name("Link")!] == "<https://id.example.com/\(h.item)?linkType=all>; rel=\"linkset\"; type=\"application/linkset+json\"")
        let browser = try await h.request("/\(h.item)", headers: [.accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"])
        #expect(browser.headers[.contentType] == "text/html; charset=utf-8")
        #expect(browser.text.contains("<h1>EV battery pack"))
        let linkset = try await h.request("/\(h.item)", headers: [.accept: "application/linkset+json"])
        #expect(linkset.headers[.contentType] == "application/linkset+json")
        let all = try await h.request("/\(h.item)?linkType=all")
        #expect(all.json == linkset.json)
        let set = try #require(all.json.objectValue?["linkset"]?.arrayValue?.first?.objectValue)
        #expect(set["anchor"] == .string("https://id.example.com/\(h.item)"))
        #expect(set["https://gs1.org/voc/pip"]?.arrayValue?.first?.objectValue?["href"] == .string("https://id.example.com/passports/\(h.item)/page"))
        #expect(set["https://gs1.org/voc/sustainabilityInfo"]?.arrayValue?.first?.objectValue?["type"] == "application/json")
        #expect(try await h.request("/\(h.item)", headers: [.accept: "image/png"]).status == .notAcceptable)
    }

    @Test("a linkType that exists redirects (307), several candidates answer 300 with them, an absent one is 404 naming those there are")
    func linkTypes() async throws {
        let h = try ServerHarness()
        let pip = try await h.request("/\(h.item)?linkType=gs1:pip")
        #expect(pip.status == .temporaryRedirect)
        #expect(pip.headers[.location] == "http://localhost:8080/passports/\(h.item)/page")
        let full = try await h.request("/\(h.item)?linkType=https://gs1.org/voc/sustainabilityInfo")
        #expect(full.headers[.location] == "http://localhost:8080/passports/\(h.item)")
        // With a second certification the model has two candidates.
        let added = try h.ledger.append(unsigned: [["type": "certification.recorded", "subject": .string(h.model), "sourceRef": "CERT-IEC",
            "createdAt": "2026-11-20T09:00:00Z", "validFrom": "2026-09-01T00:00:00Z", "validUntil": "2029-09-01T00:00:00Z",
            "data": ["id": "IEC62619-2026-9", "issuer": "Example Test Lab", "scheme": "IEC 62619"]]], source: "qa-lab")
        #expect(added.allSatisfy { $0.record != nil }, "\(added)")
        #expect(try await h.request("/\(h.model)?linkType=all").json.objectValue?["linkset"]?.arrayValue?.first?.objectValue?["https://gs1.org/voc/certificationInfo"]?.arrayValue?.count == 2)
        let certs = try await h.request("/\(h.model)?linkType=gs1:certificationInfo")
        #expect(certs.status == .multipleChoices)
        #expect(certs.json.objectValue?["linkset"]?.arrayValue?.first?.objectValue?["https://gs1.org/voc/certificationInfo"]?.arrayValue?.count == 2)
        let none = try await h.request("/\(h.item)?linkType=gs1:epil")
        #expect(none.status == .notFound)
        #expect(none.problem?.code == "no-link")
        #expect(none.problem?.detail.contains("gs1:pip") == true)
        // Links follow the view: supplier declarations are legitimate-interest.
        let publicTypes = Set((try await h.request("/\(h.item)?linkType=all")).json.objectValue!["linkset"]!.arrayValue![0].objectValue!.map(\.key))
        #expect(publicTypes.contains("https://gs1.org/voc/recallStatus"))
    }

    @Test("scanner spellings resolve to the same passport: GTIN-13, a lot before the serial; bad paths are 400 with the reason, unknown products 404")
    func paths() async throws {
        let h = try ServerHarness()
        let subject = try Subject(h.item)
        let gtin = subject.gtin!
        let serial = h.item.split(separator: "/")[3]
        let lot = try h.ledger.passport(subject).entry("identity.lot")!.value.stringValue!
        let canonical = try await h.request("/\(h.item)")
        for uri in ["/01/\(gtin.dropFirst())/21/\(serial)", "/01/\(gtin)/10/\(lot)/21/\(serial)"] {
            let r = try await h.request(uri)
            #expect(r.status == .ok, "\(uri): \(r.text)")
            #expect(r.json.objectValue?["id"] == .string(h.item), "\(uri)")
            #expect(r.headers[.eTag] == canonical.headers[.eTag])
        }
        let bad: [(String, String)] = [
            ("/01/\(gtin.dropLast())9", "check digit"),
            ("/01/12345", "8, 12, 13 or 14 digits"),
            ("/01/\(gtin)/21/\(serial)/10/\(lot)", "order 22, 10, 21"),
            ("/01/\(gtin)/17/261231", "only the key qualifiers 22 (CPV), 10 (lot) and 21 (serial)"),
            ("/01/\(gtin)/21", "pairs"),
            ("/01/\(gtin)/21/" + String(repeating: "A", count: 21), "1–20 characters"),
        ]
        for (uri, reason) in bad {
            let r = try await h.request(uri)
            #expect(r.status == .badRequest, "\(uri): \(r.text)")
            #expect(r.problem?.code == "bad-digital-link")
            #expect(r.problem?.detail.contains(reason) == true, "\(uri): \(r.text)")
        }
        let unknown = try await h.request("/01/09506000134352/21/NOPE")
        #expect(unknown.status == .notFound)
        #expect(unknown.problem?.code == "not-found")
    }

    @Test("the passport credential is a W3C VC whose eddsa-jcs-2022 proof verifies with the key in the issuer's did:web document")
    func credential() async throws {
        let h = try ServerHarness(configuration: { var c = ServerConfiguration(); c.publicURL = "https://id.example.com"; return c }())
        let did = try await h.request("/.well-known/did.json")
        #expect(did.headers[.contentType] == "application/did+json")
        #expect(did.json.objectValue?["id"] == "did:web:id.example.com")
        let method = try #require(did.json.objectValue?["verificationMethod"]?.arrayValue?.first?.objectValue)
        #expect(method["publicKeyMultibase"] == .string(DataIntegrity.multikey(h.ledger.vkey.publicKey)))
        // Reached from the resolver by its link type.
        let link = try await h.request("/\(h.item)?linkType=untp:dpp")
        #expect(link.status == .temporaryRedirect)
        #expect(link.headers[.location] == "https://id.example.com/passports/\(h.item)/credential")
        let r = try await h.request("/passports/\(h.item)/credential", token: "legitimate-interest")
        #expect(r.status == .ok)
        #expect(r.headers[.contentType] == "application/vc")
        let vc = try #require(r.json.objectValue)
        #expect(vc["issuer"]?.objectValue?["id"] == "did:web:id.example.com")
        #expect(vc["proof"]?.objectValue?["verificationMethod"] == "did:web:id.example.com#ledger")
        let subject = try #require(vc["credentialSubject"]?.objectValue)
        #expect(subject["id"] == .string("https://id.example.com/\(h.item)"))
        #expect(subject["view"] == "legitimate-interest")
        let passport = try h.ledger.passport(try Subject(h.item)).view(.legitimateInterest)
        #expect(subject["passport"] == passport.json.objectValue?["passport"])
        try DataIntegrity.verify(vc, publicKey: h.ledger.vkey.publicKey)
        var forged = vc
        var s = subject
        s["view"] = "authority"
        forged["credentialSubject"] = .object(s)
        #expect(throws: AuditError.self) { try DataIntegrity.verify(forged, publicKey: h.ledger.vkey.publicKey) }
        // The credential is cut to the caller's tier like the passport.
        #expect(try await h.request("/passports/\(h.item)/credential?view=authority").status == .unauthorized)
    }

    @Test("/.well-known/gs1resolver describes the resolver on the public URL")
    func wellKnown() async throws {
        let h = try ServerHarness()
        let r = try await h.request("/.well-known/gs1resolver")
        #expect(r.status == .ok)
        let o = try #require(r.json.objectValue)
        #expect(o["resolverRoot"] == "http://localhost:8080")
        #expect(o["supportedPrimaryKeys"] == ["gtin"])
        #expect(o["supportedLinkType"]?.arrayValue?.count == 6)
    }

    @Test("QR codes encode the Digital Link URI on the public URL; parameters are checked; unknown products get none")
    func qrCodes() async throws {
        let h = try ServerHarness(configuration: { var c = ServerConfiguration(); c.publicURL = "https://id.example.com"; return c }())
        let svg = try await h.request("/\(h.item)/qr.svg?ecc=H&size=4&margin=2")
        #expect(svg.status == .ok)
        #expect(svg.headers[.contentType] == "image/svg+xml")
        #expect(svg.text.hasPrefix("<svg") || svg.text.hasPrefix("<?xml"))
        let png = try await h.request("/\(h.item)/qr.png")
        #expect(png.headers[.contentType] == "image/png")
        #expect(Array(png.bytes.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // The code holds exactly the product's URI: the same as encoding it directly.
        let expected = try PassportQRReference.svg("https://id.example.com/\(h.item)", ecc: "H", size: 4, margin: 2)
        #expect(svg.text == expected)
        for (uri, detail) in [("/\(h.item)/qr.svg?ecc=X", "L, M, Q or H"), ("/\(h.item)/qr.svg?size=41", "size=41"), ("/\(h.item)/qr.png?size=0", "0"), ("/\(h.item)/qr.svg?margin=17", "margin=17")] {
            let r = try await h.request(uri)
            #expect(r.status == .badRequest, "\(uri)")
            #expect(r.problem?.detail.contains(detail) == true, "\(uri): \(r.text)")
        }
        #expect(try await h.request("/01/09506000134352/21/NOPE/qr.svg").status == .notFound)
    }
}

import PassportQR

/// The SVG the QR module makes of a text, for comparing what the server serves.
enum PassportQRReference {
    static func svg(_ text: String, ecc: String, size: Int, margin: Int) throws -> String {
        try QRCode(encoding: text, correction: QRCode.ErrorCorrection(rawValue: ecc)!).svg(moduleSize: size, margin: margin)
    }
}

@Suite("HTTP API: recall trace")
struct TraceAPITests {
    @Test("trace endpoints answer what RecallTrace replays, for legitimate-interest and authority tokens only; CSV on request")
    func trace() async throws {
        let h = try ServerHarness()
        let item = try Subject(h.item)
        let lot = try h.ledger.passport(item).entry("identity.lot")!.value.stringValue!
        let batch = "01/\(item.gtin!)/10/\(lot)"
        #expect(try await h.request("/trace/batch/\(batch)").status == .unauthorized)
        #expect(try await h.request("/trace/batch/\(batch)", token: "public").status == .forbidden)
        let r = try await h.request("/trace/batch/\(batch)", token: "legitimate-interest")
        #expect(r.status == .ok, "\(r.text)")
        var records: [Record] = []
        try h.ledger.forEachRecord { _, b in records.append(try Record(bytes: Array(b))) }
        let expected = RecallTrace(records: records).down(try Subject(batch))
        var body = try #require(r.json.objectValue)
        #expect(body["records"]?.arrayValue == expected.records.sorted().map { .number(JSONNumber(Int($0))) })
        body["records"] = nil
        #expect(body == expected.tree)
        #expect(try await h.request("/trace/item/\(h.item)", token: "authority").json.objectValue?["batch"]?.objectValue?["subject"] == .string(batch))
        #expect(try await h.request("/trace/batch/\(h.item)", token: "authority").problem?.code == "bad-subject")

        let supplier = try #require(h.data.suppliers.first)
        let id = supplier.dropFirst("supplier/".count)
        let scope = try await h.request("/trace/supplier/\(id)", token: "authority")
        #expect(scope.status == .ok)
        #expect(scope.json.objectValue?["supplier"] == .string(supplier))
        let csv = try await h.request("/trace/supplier/\(id)", token: "authority", headers: [.accept: "text/csv"])
        #expect(csv.headers[.contentType] == "text/csv; charset=utf-8")
        #expect(csv.text.hasPrefix("subject,shipmentId,destination,quantity,record\r\n"))
        #expect(csv.text.split(separator: "\r\n").count - 1 == scope.json.objectValue?["shipments"]?.arrayValue?.count)
        #expect(try await h.request("/trace/supplier/\(id)?lot=nonsense", token: "authority").status == .badRequest)
    }
}
