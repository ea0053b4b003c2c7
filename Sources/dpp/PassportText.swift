import Foundation
import PassportModel

/// The text form of a passport for people: every field name whole, each value in words (a
/// declaration shows its kind, scope, validity and status), wrapped to the terminal, with the
/// provenance of each value beneath it.
enum PassportText {
    /// Columns to wrap to: the terminal's width, else `$COLUMNS`, else 100.
    static var width: Int {
        var size = winsize()
        if isatty(1) == 1, ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col >= 40 { return Int(size.ws_col) }
        if let c = ProcessInfo.processInfo.environment["COLUMNS"].flatMap(Int.init), c >= 40 { return c }
        return 100
    }

    /// The lines of a passport view.
    static func lines(_ passport: Passport, tier: AccessTier, width: Int = PassportText.width) -> [String] {
        var out = ["passport \(passport.id) (\(passport.id.kind.rawValue)) as of \(passport.asOf), valid at \(passport.validAt), view \(tier.rawValue)"]
        if passport.entries.isEmpty { out.append("  (no values visible at this tier and time)") }
        // Values start in one column when the names are short enough; a longer name gets its value on the next line.
        let column = min(40, passport.entries.map(\.path.count).max() ?? 0)
        for e in passport.entries {
            let value = describe(e.field, e.value)
            let p = e.provenance
            let source = "← #\(p.index) \(p.type) by \(p.source) (\(p.sourceRef)) on \(p.subject), recorded \(p.recordedAt)"
                + (e.overrideReason.map { "; override: \($0)" } ?? "")
            let indent = String(repeating: " ", count: 4 + column)
            if e.path.count <= column {
                out += wrap(value, first: "  " + e.path + String(repeating: " ", count: column - e.path.count) + "  ", rest: indent, width: width)
            } else {
                out.append("  " + e.path)
                out += wrap(value, first: indent, rest: indent, width: width)
            }
            out += wrap(source, first: indent, rest: indent + "  ", width: width)
        }
        return out
    }

    /// A value in words, by field; any other value as compact `key: value` pairs.
    static func describe(_ field: String, _ v: JSONValue) -> String {
        if let items = v.arrayValue, items.allSatisfy({ $0.objectValue != nil }) {
            let objects = items.compactMap(\.objectValue)
            func n(_ o: JSONObject, _ k: String) -> String? { o[k].map(plain) }
            switch field {
            case "composition.materials":
                return objects.map { m in
                    let extra = [n(m, "recycledPercent").map { "\($0) % recycled" }, n(m, "renewablePercent").map { "\($0) % renewable" },
                        n(m, "massKg").map { "\($0) kg" }].compactMap { $0 }
                    return "\(n(m, "name") ?? "?") \(n(m, "sharePercent") ?? "?") %" + (extra.isEmpty ? "" : " (\(extra.joined(separator: ", ")))")
                }.joined(separator: "; ")
            case "composition.substancesOfConcern":
                return objects.map { s in
                    "\(n(s, "name") ?? "?") (CAS \(n(s, "casNumber") ?? "?")) \(n(s, "concentrationPercent") ?? "?") %" + (n(s, "location").map { " in \($0)" } ?? "")
                }.joined(separator: "; ")
            case "repair.spareParts":
                return objects.map { p in (n(p, "part") ?? "?") + (n(p, "availableUntil").map { " until \($0)" } ?? "") }.joined(separator: "; ")
            default:
                break
            }
        }
        guard let o = v.objectValue else { return plain(v) }
        func s(_ k: String) -> String? { o[k].map(plain) }
        func validity() -> String? {
            switch (s("validFrom"), s("validUntil")) {
            case (nil, nil): nil
            case (let f?, nil): "valid from \(day(f))"
            case (nil, let u?): "valid until \(day(u))"
            case (let f?, let u?): "valid \(day(f)) – \(day(u))"
            }
        }
        let parts: [String?]
        switch field {
        case "declarations":
            parts = [s("kind"), s("scope").map { "scope: \($0)" }, s("supplierName") ?? s("supplier"), s("template"),
                s("recycledContentPercent").map { "recycled content \($0) %" }, smelters(o["smelters"]), validity(), s("status").map { "status: \($0)" },
                s("reason").map { "reason: \($0)" }, (o["attachments"]?.arrayValue?.count).map { "\($0) attachment\($0 == 1 ? "" : "s")" }]
        case "manufacturing.certifications", "compliance.testReports":
            parts = [s("id"), s("scheme") ?? s("standard"), s("issuer").map { "by \($0)" } ?? s("laboratory").map { "at \($0)" },
                s("result").map { "result: \($0)" }, validity(), s("status").map { "status: \($0)" }]
        case "logistics.shipments":
            parts = [s("shipmentId"), s("destination").map { "to \($0)" }, s("quantity").map { "× \($0)" }, s("carrier").map { "by \($0)" }]
        case "environment.carbonFootprint":
            parts = [s("totalKgCO2e").map { "\($0) kg CO2e" }, s("functionalUnit").map { "per \($0)" }, s("method").map { "(\($0))" },
                s("verification").map { "verified: \($0)" }]
        case "composition.billOfMaterials":
            let lines = o["lines"]?.arrayValue ?? []
            let shown = lines.prefix(4).map { l -> String in
                let line = l.objectValue ?? JSONObject()
                let qty = line["quantity"].map(plain) ?? "?"
                let who = (line["supplier"] ?? line["component"]).map { " from \(plain($0))" } ?? ""
                return "\(line["part"].map(plain) ?? "?") × \(qty) (\(line["material"].map(plain) ?? "?"))\(who)"
            }
            parts = [s("revision").map { "revision \($0)" }, "\(lines.count) line\(lines.count == 1 ? "" : "s"): " + shown.joined(separator: "; ")
                + (lines.count > 4 ? "; …" : "")]
        default:
            return o.members.map { "\($0.key): \(plain($0.value))" }.joined(separator: ", ")
        }
        return parts.compactMap { $0 }.joined(separator: " · ")
    }

    /// A value without JSON punctuation where it is a string; arrays and objects compactly.
    /// A conflict-minerals smelter list in words: `smelters: gold 1 (1 ID), tin 2 (1 ID)`.
    static func smelters(_ v: JSONValue?) -> String? {
        guard let list = v?.arrayValue, !list.isEmpty else { return nil }
        return "smelters: " + list.map { m -> String in
            let o = m.objectValue ?? JSONObject()
            let ids = o["smelterIds"]?.arrayValue?.count ?? 0
            return "\(o["metal"].map(plain) ?? "?") \(o["rows"].map(plain) ?? "?") (\(ids) ID\(ids == 1 ? "" : "s"))"
        }.joined(separator: ", ")
    }

    static func plain(_ v: JSONValue) -> String {
        switch v {
        case .string(let s): Terminal.safe(s)
        case .array(let items): items.map(plain).joined(separator: ", ")
        case .object(let o): "{" + o.members.map { "\($0.key): \(plain($0.value))" }.joined(separator: ", ") + "}"
        default: CanonicalJSON.string(v)
        }
    }

    /// The date of a canonical timestamp when it is midnight UTC, else the timestamp.
    static func day(_ t: String) -> String {
        t.hasSuffix("T00:00:00.000000Z") ? String(t.prefix(10)) : t
    }

    /// Wraps text at word boundaries: the first line after `first`, the others after `rest`.
    static func wrap(_ text: String, first: String, rest: String, width: Int) -> [String] {
        var out: [String] = []
        var line = first
        var lineHasWord = false
        for whole in text.split(separator: " ", omittingEmptySubsequences: false) {
            // A word longer than a line (a long identifier) is cut where the line ends.
            var word = Substring(whole)
            while true {
                if lineHasWord && line.count + 1 + word.count > width {
                    out.append(line)
                    line = rest
                    lineHasWord = false
                }
                let room = width - line.count - (lineHasWord ? 1 : 0)
                if word.count <= room || room < 8 {
                    line += (lineHasWord ? " " : "") + word
                    lineHasWord = true
                    break
                }
                line += (lineHasWord ? " " : "") + word.prefix(room)
                word = word.dropFirst(room)
                out.append(line)
                line = rest
                lineHasWord = false
            }
        }
        out.append(line)
        return out
    }
}
