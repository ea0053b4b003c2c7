import Foundation
import Hummingbird
import NIOCore
import PassportLedger
import PassportModel

/// Reading what a request asks for, with a problem naming the parameter for anything wrong.
struct Query {
    let values: [String: String]

    /// The query of `request`; a parameter not in `allowed`, or given twice, is a 400.
    init(_ request: Request, allowed: Set<String>) throws {
        var values: [String: String] = [:]
        for (k, v) in request.uri.queryParameters {
            let key = String(k)
            guard allowed.contains(key) else {
                throw Problem(.badRequest, "bad-query", "unknown query parameter \(key); this resource takes \(allowed.isEmpty ? "none" : allowed.sorted().joined(separator: ", "))")
            }
            guard values[key] == nil else { throw Problem(.badRequest, "bad-query", "query parameter \(key) is given more than once") }
            values[key] = String(v)
        }
        self.values = values
    }

    subscript(_ key: String) -> String? { values[key] }

    func timestamp(_ key: String) throws -> Timestamp? {
        guard let text = values[key] else { return nil }
        do { return try Timestamp(dateOrDateTime: text) } catch {
            throw Problem(.badRequest, "bad-query", "\(key)=\(text): \(error.reason); accepted: \(Timestamp.queryForms)")
        }
    }

    func tier(_ key: String = "view") throws -> AccessTier? {
        guard let text = values[key] else { return nil }
        guard let t = AccessTier(rawValue: text) else {
            throw Problem(.badRequest, "bad-query", "\(key)=\(text): must be public, legitimate-interest or authority")
        }
        return t
    }

    func count(_ key: String, max: UInt64 = UInt64(Int64.max)) throws -> UInt64? {
        guard let text = values[key] else { return nil }
        guard let n = UInt64(text), n <= max, text.utf8.first != UInt8(ascii: "+") else {
            throw Problem(.badRequest, "bad-query", "\(key)=\(text): must be a whole number 0–\(max)")
        }
        return n
    }
}

/// The media type of a request's body, lowercased, without parameters (`application/json` of
/// `application/json; charset=utf-8`); "" without a Content-Type header.
/// - Throws: ``Problem`` 415 for a Content-Type that names no media type (`;`, `; charset=utf-8`).
func mediaType(_ request: Request) throws -> String {
    guard let header = request.headers[.contentType] else { return "" }
    let type = header.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
    guard !type.isEmpty else {
        throw Problem(.unsupportedMediaType, "bad-media-type", "Content-Type \"\(header)\" names no media type; send one, such as application/json")
    }
    return type
}

/// A path segment percent-decoded (for identifiers other than GS1 lots and serials).
func percentDecoded(_ s: Substring) -> String { String(s).removingPercentEncoding ?? String(s) }

/// The raw path after `prefix` (`/passports/`), split into segments, or nil if it does not start so.
func segments(_ request: Request, after prefix: String) -> [Substring]? {
    let path = request.uri.path
    guard path.hasPrefix(prefix) else { return nil }
    return path.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
}

/// A subject from path segments: canonical spelling only, with the canonical one named if another
/// spelling was given. One segment holding `%2F` is decoded first (`01%2F09506000134352`).
func subject(_ parts: ArraySlice<Substring>) throws -> Subject {
    var text = parts.joined(separator: "/")
    if parts.count == 1, text.range(of: "%2F", options: .caseInsensitive) != nil, let decoded = text.removingPercentEncoding { text = decoded }
    do { return try Subject(text) } catch {
        if let canonical = try? Subject.canonical(text), canonical.rawValue != text {
            throw Problem(.badRequest, "bad-subject", "\(error.description); write it as \(canonical.rawValue)")
        }
        throw Problem(.badRequest, "bad-subject", error.description)
    }
}

/// Responses.
enum Reply {
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], type: String = "application/json") -> Response {
        bytes(CanonicalJSON.encode(value), status: status, headers: headers, type: type)
    }

    static func bytes(_ body: [UInt8], status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], type: String) -> Response {
        var h = headers
        h[.contentType] = type
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func text(_ s: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:], type: String = "text/plain; charset=utf-8") -> Response {
        bytes(Array(s.utf8), status: status, headers: headers, type: type)
    }
}

/// Content negotiation: the media type of `offered` that `Accept` prefers (q-values honoured,
/// ties by the order offered), or nil if it accepts none of them. No `Accept` takes the first.
func negotiate(_ accept: String?, offered: [String]) -> String? {
    guard let accept, !accept.trimmingCharacters(in: .whitespaces).isEmpty else { return offered.first }
    var best: (type: String, q: Double, specificity: Int, order: Int)?
    for range in accept.split(separator: ",") {
        let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let pattern = parts.first, !pattern.isEmpty else { continue }
        var q = 1.0
        for p in parts.dropFirst() where p.hasPrefix("q=") { q = Double(p.dropFirst(2)) ?? 0 }
        guard q > 0 else { continue }
        for (order, type) in offered.enumerated() {
            let specificity: Int
            if pattern == type { specificity = 2 } else if pattern == "*/*" { specificity = 0 } else if pattern.hasSuffix("/*"),
                type.hasPrefix(pattern.dropLast()) { specificity = 1 } else { continue }
            let candidate = (type, q, specificity, order)
            if let b = best {
                if q > b.q || (q == b.q && specificity > b.specificity) || (q == b.q && specificity == b.specificity && order < b.order) { best = candidate }
            } else {
                best = candidate
            }
        }
    }
    return best?.type
}
