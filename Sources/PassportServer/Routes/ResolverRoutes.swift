import Foundation
import HTTPTypes
import Hummingbird
import PassportLedger
import PassportModel

/// A GS1 Digital Link path as a scanner reads it: `01/<GTIN>[/22/<CPV>][/10/<lot>][/21/<serial>]`.
struct DigitalLinkPath: Equatable {
    /// The passport the path names: the item with a serial, else the batch with a lot, else the model.
    let subject: Subject
    /// The canonical path (`01/09506000134352/21/SN-1`), for links.
    var path: String { subject.rawValue }

    /// Parses and checks the path segments after the host (and any path prefix).
    /// - Throws: ``Problem`` 400 naming what is wrong (syntax, order, check digit, characters).
    init(_ parts: [Substring]) throws {
        func bad(_ why: String) -> Problem { Problem(.badRequest, "bad-digital-link", "\(why) (GS1 Digital Link: /01/<GTIN>[/22/<CPV>][/10/<lot>][/21/<serial>])") }
        guard parts.count >= 2, parts.count % 2 == 0, parts[0] == "01" else { throw bad("a Digital Link path is pairs of an application identifier and its value, starting with 01 and the GTIN") }
        var pairs: [(String, String)] = []
        for i in stride(from: 0, to: parts.count, by: 2) {
            guard !parts[i + 1].isEmpty else { throw bad("application identifier \(parts[i]) has an empty value") }
            pairs.append((String(parts[i]), String(parts[i + 1])))
        }
        let order = ["22", "10", "21"]
        var last = -1
        var lot: String?
        var serial: String?
        for (ai, value) in pairs.dropFirst() {
            guard let at = order.firstIndex(of: ai) else { throw bad("after the GTIN only the key qualifiers 22 (CPV), 10 (lot) and 21 (serial) may follow, got \(ai)") }
            guard at > last else { throw bad("key qualifiers come in the order 22, 10, 21, each once; got \(ai) after \(order[last])") }
            last = at
            if ai == "10" { lot = value }
            if ai == "21" { serial = value }
        }
        let gtin = pairs[0].1
        guard [8, 12, 13, 14].contains(gtin.utf8.count), gtin.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw bad("a GTIN is 8, 12, 13 or 14 digits, got \(gtin)")
        }
        let text = serial.map { "01/\(gtin)/21/\($0)" } ?? lot.map { "01/\(gtin)/10/\($0)" } ?? "01/\(gtin)"
        do { subject = try Subject.canonical(text) } catch { throw bad(error.reason) }
    }
}

/// A link of a product's linkset (RFC 9264, GS1 link types).
struct ProductLink {
    /// The GS1 link type, short form (`gs1:pip`).
    let type: String
    let href: String
    let mediaType: String
    let title: String

    static let vocabulary = "https://gs1.org/voc/"
    /// UN Transparency Protocol link types (the passport credential).
    static let untpVocabulary = "https://test.uncefact.org/vocabulary/linkTypes/"
    /// The link relation as a URI (`https://gs1.org/voc/pip`), as linksets write it.
    var relation: String { type.hasPrefix("untp:") ? Self.untpVocabulary + type.dropFirst(5) : Self.vocabulary + type.dropFirst(4) }
}

extension PassportServer {
    /// The resolver: `/01/…` (and `…/qr.svg`, `…/qr.png` when QR codes are built in) and
    /// `/.well-known/gs1resolver`.
    func addResolverRoutes(to router: Router<ServerContext>) {
        route(router, .get, "/.well-known/gs1resolver") { request, _ in
            _ = try Query(request, allowed: [])
            let base = self.configuration.baseURL
            return Reply.json([
                "name": "Passport Ledger GS1 Digital Link resolver",
                "resolverRoot": .string(base),
                "supportedPrimaryKeys": ["gtin"],
                "linkTypeDefaultCanBeLinkset": true,
                "validatesDigitalLinkURISyntax": true,
                "supportedLinkType": .array(Self.linkTypes.map { t in ["linkType": .string(t.0), "description": .string(t.1)] }),
                "supportedContextValuesEnumerated": [],
                "apiDocumentation": .string(base + "/openapi.json"),
            ])
        }
        route(router, .get, "/01/**") { request, _ in
            let caller = try self.caller(request)
            guard var parts = segments(request, after: "/") else { throw Problem(.notFound, "no-route", "no such resource") }
            if let last = parts.last, last == "qr.svg" || last == "qr.png" {
                parts.removeLast()
                return try await self.qrCode(try DigitalLinkPath(parts), png: last == "qr.png", request)
            }
            let link = try DigitalLinkPath(parts)
            return try await self.resolve(link, request, caller)
        }
    }

    /// The link types this resolver can answer, with what they lead to.
    static let linkTypes: [(String, String)] = [
        ("gs1:pip", "the product passport as a page (text/html)"),
        ("gs1:sustainabilityInfo", "the digital product passport (application/json)"),
        ("gs1:certificationInfo", "certifications and supplier declarations in the passport (as far as the view shows them)"),
        ("gs1:instructions", "repair and end-of-life instructions in the passport"),
        ("gs1:recallStatus", "the passport's status (active, recalled, …)"),
        ("untp:dpp", "the passport as a W3C Verifiable Credential (application/vc, eddsa-jcs-2022 proof by the ledger's did:web)"),
    ]

    func links(_ link: DigitalLinkPath, _ passport: Passport, viewQuery: String) -> [ProductLink] {
        let base = configuration.baseURL
        let json = "\(base)/passports/\(link.path)\(viewQuery)"
        let page = "\(base)/passports/\(link.path)/page\(viewQuery)"
        var out = [
            ProductLink(type: "gs1:pip", href: page, mediaType: "text/html", title: "Product passport"),
            ProductLink(type: "gs1:sustainabilityInfo", href: json, mediaType: "application/json", title: "Digital product passport (JSON)"),
            ProductLink(type: "untp:dpp", href: "\(base)/passports/\(link.path)/credential\(viewQuery)", mediaType: "application/vc",
                title: "Digital product passport credential (W3C VC 2.0, eddsa-jcs-2022)"),
        ]
        for e in passport.entries {
            let fragment = "#" + (e.path.addingPercentEncoding(withAllowedCharacters: .urlFragmentAllowed) ?? e.path)
            switch e.field {
            case "manufacturing.certifications", "declarations", "compliance.testReports":
                out.append(ProductLink(type: "gs1:certificationInfo", href: json + fragment, mediaType: "application/json", title: e.path))
            case "repair.repairability", "repair.spareParts", "endOfLife.recyclability", "endOfLife.disassembly", "endOfLife.safety", "endOfLife.takeBack":
                out.append(ProductLink(type: "gs1:instructions", href: page + fragment, mediaType: "text/html", title: e.path))
            case "identity.status":
                out.append(ProductLink(type: "gs1:recallStatus", href: json + fragment, mediaType: "application/json", title: "status: \(e.value.stringValue ?? "")"))
            default: break
            }
        }
        return out
    }

    func linkset(anchor: String, _ links: [ProductLink]) -> JSONValue {
        var set: JSONObject = ["anchor": .string(anchor)]
        for l in links {
            var targets = set[l.relation]?.arrayValue ?? []
            targets.append(["href": .string(l.href), "type": .string(l.mediaType), "title": .string(l.title)])
            set[l.relation] = .array(targets)
        }
        return ["linkset": [.object(set)]]
    }

    func resolve(_ link: DigitalLinkPath, _ request: Request, _ caller: Caller) async throws -> Response {
        let q = try Query(request, allowed: ["linkType", "view", "context"])
        let view = try caller.view(try q.tier())
        let anchor = "\(configuration.baseURL)/\(link.path)"
        var headers: HTTPFields = [.vary: "Accept, Authorization"]
        headers[HTTPField.Name("Link")!] = "<\(anchor)?linkType=all>; rel=\"linkset\"; type=\"application/linkset+json\""
        let format = q["linkType"] == nil
            ? negotiate(request.headers[.accept], offered: ["application/json", "text/html", "application/linkset+json"]) : nil
        // What a scanner gets by default, the passport's JSON, comes from the cache of current
        // passports; links and the page need the passport itself.
        if q["linkType"] == nil, format != "text/html", format != "application/linkset+json" {
            let (body, tag) = try await passportView(link.subject, asOf: nil, validAt: nil, view: view)
            guard format == "application/json" else {
                throw Problem(.notAcceptable, "not-acceptable", "this resource is available as application/json, text/html and application/linkset+json")
            }
            headers[.eTag] = tag
            if let match = request.headers[.ifNoneMatch], ifNoneMatch(match, tag) { return Response(status: .notModified, headers: headers) }
            return Reply.bytes(body, headers: headers, type: "application/json")
        }
        let passport = try await passportValue(link.subject, asOf: nil, validAt: nil, view: view)
        let viewQuery = try q.tier() == nil ? "" : "?view=\(view.rawValue)"
        let all = links(link, passport, viewQuery: viewQuery)
        if let wanted = q["linkType"] {
            if wanted == "all" || wanted == "linkset" {
                return Reply.json(linkset(anchor: anchor, all), headers: headers, type: "application/linkset+json")
            }
            let short = wanted.hasPrefix(ProductLink.vocabulary) ? "gs1:" + wanted.dropFirst(ProductLink.vocabulary.count)
                : wanted.hasPrefix(ProductLink.untpVocabulary) ? "untp:" + wanted.dropFirst(ProductLink.untpVocabulary.count) : wanted
            let candidates = all.filter { $0.type == short }
            if candidates.isEmpty {
                var p = Problem(.notFound, "no-link", "\(link.path) has no link of type \(wanted) in the \(view.rawValue) view; it has \(Set(all.map(\.type)).sorted().joined(separator: ", ")) (linkType=all lists them)")
                p.extra["linkTypes"] = .array(Set(all.map(\.type)).sorted().map { .string($0) })
                throw p
            }
            if candidates.count == 1 {
                headers[.location] = candidates[0].href
                return Response(status: .temporaryRedirect, headers: headers)
            }
            return Reply.json(linkset(anchor: anchor, candidates), status: .multipleChoices, headers: headers, type: "application/linkset+json")
        }
        if format == "text/html" {
            return Reply.text(PassportPage.html(passport, baseURL: configuration.baseURL), headers: headers, type: "text/html; charset=utf-8")
        }
        return Reply.json(linkset(anchor: anchor, all), headers: headers, type: "application/linkset+json")
    }
}
