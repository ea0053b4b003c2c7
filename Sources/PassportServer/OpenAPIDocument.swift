import Foundation
import PassportModel
import Yams

/// The OpenAPI 3.1 document of the API (Specs/openapi.yaml, embedded), served as JSON.
public enum OpenAPIDocument {
    /// The document as JSON (canonical form).
    public static let json: [UInt8] = {
        // The embedded text is checked by the tests; a document that does not load is a build defect.
        guard let loaded = try? Yams.load(yaml: yaml), let value = jsonValue(loaded) else {
            preconditionFailure("Specs/openapi.yaml does not load; run scripts/embed-openapi.sh after fixing it")
        }
        return CanonicalJSON.encode(value)
    }()

    /// The published text (Specs/openapi.yaml).
    public static var text: String { yaml + "\n" }

    /// Converts what Yams loads into JSON.
    static func jsonValue(_ any: Any) -> JSONValue? {
        switch any {
        case let s as String: return .string(s)
        case let b as Bool: return .bool(b)
        case let i as Int: return .number(JSONNumber(i))
        case let d as Double: return d.isFinite ? .number(JSONNumber(d)) : nil
        case let a as [Any]:
            var out: [JSONValue] = []
            for x in a {
                guard let v = jsonValue(x) else { return nil }
                out.append(v)
            }
            return .array(out)
        case let m as [String: Any]:
            var o = JSONObject()
            for (k, x) in m {
                guard let v = jsonValue(x) else { return nil }
                o[k] = v
            }
            return .object(o)
        case is NSNull: return .null
        default: return nil
        }
    }
}
