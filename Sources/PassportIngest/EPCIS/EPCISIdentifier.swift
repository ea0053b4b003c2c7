import PassportModel

/// An identifier an EPCIS event names — an EPC, an EPC class, a location or a party — read from
/// an EPC URN (`urn:epc:id:sgtin:…`) or a GS1 Digital Link URI (`https://<any host>/01/…`), as
/// `Specs/connectors/epcis.md` §3 describes.
public enum EPCISIdentifier: Sendable, Hashable {
    /// A serialised trade item: its passport subject `01/<GTIN-14>/21/<serial>`, and the lot
    /// when a Digital Link names one (`/10/<lot>/21/<serial>`).
    case item(subject: String, lot: String?)
    /// A lot of a trade item (`urn:epc:class:lgtin:…`, `/01/<GTIN>/10/<lot>`): subject `01/<GTIN-14>/10/<lot>`.
    case batch(subject: String)
    /// A trade item class without lot (`urn:epc:idpat:sgtin:…​.*`, `/01/<GTIN>`): subject `01/<GTIN-14>`.
    case model(subject: String)
    /// A logistic unit: the 18-digit SSCC.
    case sscc(String)
    /// A location (`sgln`, AI 414 with optional 254): the 13-digit GLN and its extension, if any.
    case location(gln: String, extension: String?)
    /// A party (`pgln`, AI 417): its 13-digit GLN.
    case party(gln: String)
    /// A GS1 key that is no passport subject (returnable assets, individual assets, service
    /// relations, documents…), named by its scheme (`grai`, `giai`, …).
    case other(scheme: String)

    /// The passport subject, for trade items, lots and classes.
    public var subject: String? {
        switch self {
        case .item(let s, _), .batch(let s), .model(let s): s
        default: nil
        }
    }

    /// The GLN of a location or party.
    public var gln: String? {
        switch self {
        case .location(let g, _), .party(let g): g
        default: nil
        }
    }

    /// Why an identifier cannot be read.
    public struct Problem: Error, Sendable, Equatable {
        /// The rule it breaks.
        public let reason: String
    }

    /// EPC URN schemes that are GS1 keys but no passport subject.
    static let otherSchemes: Set<String> = ["grai", "giai", "gsrn", "gsrnp", "gdti", "cpi", "sgcn", "ginc", "gsin", "itip", "upui", "gid", "usdod", "adi", "bic", "imovn"]

    /// Digital Link primary keys that are no passport subject (AI → scheme).
    static let otherAIs: [String: String] = ["8003": "grai", "8004": "giai", "8018": "gsrn", "8017": "gsrnp", "253": "gdti",
        "8010": "cpi", "255": "gcn", "401": "ginc", "402": "gsin", "8006": "itip"]

    /// Reads an identifier.
    /// - Parameter text: an EPC URN, an EPC class or pattern URN, or a GS1 Digital Link URI.
    /// - Returns: the identifier, or why it cannot be read (unknown scheme, bad check digit…).
    public static func parse(_ text: String) -> Result<EPCISIdentifier, Problem> {
        if text.hasPrefix("urn:epc:") { return parseURN(text) }
        if text.hasPrefix("https://") || text.hasPrefix("http://") { return parseDigitalLink(text) }
        return .failure(Problem(reason: "not an EPC URN (urn:epc:id:…, urn:epc:class:…) or a GS1 Digital Link URI (https://…/01/…)"))
    }

    // MARK: EPC URNs (GS1 EPC Tag Data Standard §6)

    static func parseURN(_ text: String) -> Result<EPCISIdentifier, Problem> {
        let parts = text.split(separator: ":", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5 else { return .failure(Problem(reason: "an EPC URN is urn:epc:<id|class|idpat>:<scheme>:<value>")) }
        let (kind, scheme, body) = (parts[2], String(parts[3]), String(parts[4]))
        // The last part (serial, lot, extension) may itself contain dots.
        let fields = body.split(separator: ".", maxSplits: scheme == "sscc" || scheme == "pgln" ? 1 : 2, omittingEmptySubsequences: false).map(String.init)
        func fail(_ reason: String) -> Result<EPCISIdentifier, Problem> { .failure(Problem(reason: reason)) }
        switch (kind, scheme) {
        case ("id", "sgtin"), ("class", "lgtin"), ("idpat", "sgtin"):
            guard fields.count == 3 else { return fail("\(scheme) has three parts: <company prefix>.<indicator and item reference>.<\(scheme == "lgtin" ? "lot" : "serial")>") }
            let gtin: String
            switch gtin14(companyPrefix: fields[0], reference: fields[1]) {
            case .success(let g): gtin = g
            case .failure(let p): return .failure(p)
            }
            if kind == "idpat" {
                guard fields[2] == "*" else { return fail("an sgtin pattern must end with .* (a class of the GTIN)") }
                return .success(.model(subject: "01/\(gtin)"))
            }
            let name = scheme == "lgtin" ? "lot" : "serial"
            guard let raw = decodeURNEscapes(fields[2]) else { return fail("the \(name) has a malformed %-escape") }
            switch GS1.encodeAttribute(value: raw, name: name) {
            case .failure(let e): return fail(e.reason)
            case .success(let encoded):
                return scheme == "lgtin" ? .success(.batch(subject: "01/\(gtin)/10/\(encoded)")) : .success(.item(subject: "01/\(gtin)/21/\(encoded)", lot: nil))
            }
        case ("id", "sscc"):
            guard fields.count == 2 else { return fail("sscc has two parts: <company prefix>.<extension digit and serial reference>") }
            return key(fields[0], fields[1], length: 18, what: "SSCC").map { .sscc($0) }
        case ("id", "sgln"):
            guard fields.count == 3 else { return fail("sgln has three parts: <company prefix>.<location reference>.<extension>") }
            return key(fields[0], fields[1], length: 13, indicatorFirst: false, what: "GLN").map {
                .location(gln: $0, extension: fields[2] == "0" ? nil : decodeURNEscapes(fields[2]))
            }
        case ("id", "pgln"):
            guard fields.count == 2 else { return fail("pgln has two parts: <company prefix>.<party reference>") }
            return key(fields[0], fields[1], length: 13, indicatorFirst: false, what: "GLN").map { .party(gln: $0) }
        case ("id", _), ("class", _), ("idpat", _):
            if otherSchemes.contains(scheme) { return .success(.other(scheme: scheme)) }
            return fail("unknown EPC scheme urn:epc:\(kind):\(scheme) (known: sgtin, lgtin, sscc, sgln, pgln, \(otherSchemes.sorted().joined(separator: ", ")))")
        default:
            return fail("unknown EPC URN kind urn:epc:\(kind) (expected id, class or idpat)")
        }
    }

    /// GTIN-14 from an sgtin/lgtin's company prefix and indicator-plus-item-reference: the
    /// indicator digit, the company prefix, the rest of the reference, and the check digit.
    static func gtin14(companyPrefix: String, reference: String) -> Result<String, Problem> {
        key(companyPrefix, reference, length: 14, what: "GTIN")
    }

    /// A GS1 key from a URN's company prefix and reference: with `indicatorFirst`, the reference's
    /// first digit (indicator or extension digit) goes in front; then the check digit is added.
    static func key(_ prefix: String, _ reference: String, length: Int, indicatorFirst: Bool = true, what: String) -> Result<String, Problem> {
        func digits(_ s: String) -> Bool { s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        guard digits(prefix), digits(reference), (6...12).contains(prefix.utf8.count), prefix.utf8.count + reference.utf8.count == length - 1 else {
            return .failure(Problem(reason: "a \(what) URN needs a 6–12 digit company prefix and a reference of \(length - 1) digits together, got \(prefix).\(reference)"))
        }
        let body = indicatorFirst ? String(reference.prefix(1)) + prefix + String(reference.dropFirst()) : prefix + reference
        let check = GS1.checkDigit(body.utf8.map { Int($0 - 0x30) })
        return .success(body + String(check))
    }

    /// Decodes the `%XX` escapes of an EPC URN component (TDS: `"`, `%`, `&`, `/`, `<`, `>`, `?` are escaped).
    static func decodeURNEscapes(_ s: String) -> String? {
        guard s.contains("%") else { return s }
        guard let out = PercentEncoding.decode(s) else { return nil }
        return String(decoding: out, as: UTF8.self)
    }


    // MARK: GS1 Digital Link URIs

    /// The GS1 primary-key application identifiers a Digital Link path may start with.
    static let primaryKeyAIs = Set(["01", "00", "414", "417"]).union(otherAIs.keys)

    static func parseDigitalLink(_ text: String) -> Result<EPCISIdentifier, Problem> {
        func fail(_ reason: String) -> Result<EPCISIdentifier, Problem> { .failure(Problem(reason: reason)) }
        guard let segments = pathSegments(text) else { return fail("a GS1 Digital Link URI has a path (https://<host>/01/<GTIN>…)") }
        // The primary key is the first segment, after any path prefix, that is a GS1 primary-key
        // AI followed by pairs of segments.
        guard let start = segments.indices.first(where: { (segments.count - $0) % 2 == 0 && primaryKeyAIs.contains(segments[$0]) }) else {
            return fail("not a GS1 Digital Link URI with a known primary key (01 GTIN, 00 SSCC, 414 GLN, 417 party GLN, …)")
        }
        // AI → value pairs in order; a repeated AI's last value counts.
        let order = stride(from: start, to: segments.count, by: 2).map { segments[$0] }
        func pair(_ ai: String) -> String? {
            stride(from: segments.count - 2, through: start, by: -2).first { segments[$0] == ai }.map { segments[$0 + 1] }
        }
        let ai = segments[start]
        let value = segments[start + 1]
        func digits(_ n: Int) -> Bool { value.utf8.count == n && value.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } }
        func checked(_ what: String) -> String? {
            let d = value.utf8.map { Int($0 - 0x30) }
            return GS1.checkDigit(Array(d.dropLast())) == d.last ? nil : "\(what) \(value) has a wrong check digit, expected \(GS1.checkDigit(Array(d.dropLast())))"
        }
        switch ai {
        case "01":
            if let unknown = order.dropFirst().first(where: { $0 != "22" && $0 != "10" && $0 != "21" }) {
                return fail("after the GTIN only the key qualifiers 22, 10 and 21 may follow, got \(unknown)")
            }
            var lot: String?
            if let l = pair("10") {
                switch GS1.canonicalAttribute(l, name: "lot") {
                case .success(let c): lot = c
                case .failure(let e): return fail(e.reason)
                }
            }
            let subject: String
            let serial = pair("21")
            if let serial { subject = "01/\(value)/21/\(serial)" } else if let lot { subject = "01/\(value)/10/\(lot)" } else { subject = "01/\(value)" }
            let canonical: String
            do { canonical = try Subject.canonical(subject).rawValue } catch { return fail(error.reason) }
            if serial != nil { return .success(.item(subject: canonical, lot: lot)) }
            return .success(lot == nil ? .model(subject: canonical) : .batch(subject: canonical))
        case "00":
            guard digits(18) else { return fail("an SSCC is 18 digits") }
            if let p = checked("SSCC") { return fail(p) }
            return .success(.sscc(value))
        case "414", "417":
            guard digits(13) else { return fail("a GLN is 13 digits") }
            if let p = checked("GLN") { return fail(p) }
            return .success(ai == "414" ? .location(gln: value, extension: pair("254")) : .party(gln: value))
        default:
            return .success(.other(scheme: otherAIs[ai] ?? ai))
        }
    }

    /// The path segments of a URI (after `<scheme>://<host>/`, before any `?` or `#`), or nil
    /// when it has no path.
    static func pathSegments(_ text: String) -> [String]? {
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) {
            // ASCII: the same steps on bytes.
            guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")),
                let host = utf8.index(colon, offsetBy: 3, limitedBy: utf8.endIndex),
                let slash = utf8[host...].firstIndex(of: UInt8(ascii: "/"))
            else { return nil }
            let path = utf8[utf8.index(after: slash)...]
            let end = path.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? path.endIndex
            return GS1.pathSegments(Substring(path[..<end]))
        }
        var rest = Substring(text)
        rest = rest.drop { $0 != ":" }.dropFirst(3)  // after "https://"
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        var path = rest[slash...].dropFirst()
        if let q = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<q] }
        return GS1.pathSegments(path)
    }
}
