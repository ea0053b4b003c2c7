import Foundation
import PassportModel

/// The passport as a plain HTML page (what a phone shows after scanning the QR code): every value
/// of the view with who set it and when. Everything from the ledger is HTML-escaped.
enum PassportPage {
    static func html(_ p: Passport, baseURL: String) -> String {
        var rows = ""
        for e in p.entries {
            let value: String
            if case .string(let s) = e.value { value = s } else { value = CanonicalJSON.string(e.value) }
            rows += "<tr><th scope=\"row\">\(escape(e.path))</th><td>\(escape(value))</td>"
            rows += "<td>\(escape(e.provenance.source)), record <a href=\"\(escape(baseURL))/records/\(e.provenance.index)/proof\">#\(e.provenance.index)</a>, \(escape(e.provenance.recordedAt.description))</td></tr>\n"
        }
        let name = p.entry("identity.name").flatMap { $0.value.stringValue } ?? p.id.rawValue
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(name)) — product passport</title></head>
            <body><h1>\(escape(name))</h1>
            <p>Digital product passport of <code>\(escape(p.id.rawValue))</code> (\(escape(p.id.kind.rawValue))), \(escape((p.view ?? .public).rawValue)) view, as of \(escape(p.asOf.description)).
            <a href="\(escape(baseURL))/passports/\(escape(p.id.rawValue))">JSON</a></p>
            <table><thead><tr><th>field</th><th>value</th><th>set by</th></tr></thead><tbody>
            \(rows)</tbody></table>
            <p>Every value is a signed record of an append-only log; <a href="\(escape(baseURL))/checkpoint">its checkpoint</a> and a record's proof let anyone verify it.</p>
            </body></html>

            """
    }

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
