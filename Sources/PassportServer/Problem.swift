import Foundation
import Hummingbird
import PassportLedger
import PassportModel

/// An RFC 9457 problem-details answer: every 4xx and 5xx of the API is one of these, with
/// `application/problem+json` and a body naming what is wrong.
///
/// Body: `{"type": "urn:passport-ledger:problem:<code>", "title", "status", "detail", "code",
/// "instance"?, "violations"?: [{code, pointer, rule, message, value}], …extra}`. Ledger errors map to
/// statuses only here (``init(_:)``).
public struct Problem: Error, HTTPResponseError, Sendable {
    /// The HTTP status.
    public let status: HTTPResponse.Status
    /// A stable machine-readable code (`not-found`, `bad-query`, `tier-required`…).
    public let code: String
    /// What is wrong and what to do, for people.
    public let detail: String
    /// The rule violations, for input that broke rules.
    public var violations: [Violation] = []
    /// Further members of the body.
    public var extra: JSONObject = [:]
    /// Headers to send with it (`WWW-Authenticate`, `Retry-After`…).
    public var headers: HTTPFields = [:]

    /// A problem with a status, a code and a message.
    public init(_ status: HTTPResponse.Status, _ code: String, _ detail: String) {
        self.status = status
        self.code = code
        self.detail = detail
    }

    /// A 401 with the `WWW-Authenticate: Bearer` challenge (RFC 6750), optionally naming the token error.
    static func unauthorized(_ code: String, _ detail: String, tokenError: String? = nil) -> Problem {
        var p = Problem(.unauthorized, code, detail)
        p.headers[.wwwAuthenticate] = "Bearer realm=\"passport-ledger\"" + (tokenError.map { ", error=\"\($0)\"" } ?? "")
        return p
    }

    /// The problem a ledger error is, with its HTTP status: not found 404; malformed input 400;
    /// an event breaking rules 422; not permitted 403; idempotency and sequence conflicts 409;
    /// too large 413; a full store 507; anything of the store itself 500.
    public init(_ error: LedgerError) {
        let status: HTTPResponse.Status
        switch error.code {
        case .notFound: status = .notFound
        case .invalidArgument, .malformedJSON: status = .badRequest
        // A connector's input that is not JSON at all is malformed, not an event breaking a rule.
        case .invalidEvent where !error.violations.isEmpty && error.violations.allSatisfy({ $0.code.rawValue == "malformed-json" }): status = .badRequest
        case .invalidEvent, .unknownKey, .revokedKey, .keyNotValid, .badSignature, .missingAttachment, .unstorable: status = .unprocessableContent
        case .notPermitted: status = .forbidden
        case .idempotencyConflict, .seqConflict, .alreadyExists: status = .conflict
        case .tooLarge: status = .contentTooLarge
        case .storeFull: status = .init(code: 507, reasonPhrase: "Insufficient Storage")
        default: status = .internalServerError
        }
        self.init(status, error.code.rawValue, error.message)
        violations = error.violations
    }

    /// The problem for any error a handler threw.
    static func from(_ error: any Error) -> Problem {
        switch error {
        case let p as Problem: return p
        case let e as LedgerError: return Problem(e)
        case let e as any HTTPResponseError:
            // The router's and the body reader's own errors.
            switch e.status {
            case .notFound: return Problem(.notFound, "no-route", "no such resource: see /openapi.json for the API")
            case .methodNotAllowed: return Problem(.methodNotAllowed, "method-not-allowed", "this resource does not take that method: see /openapi.json")
            case .contentTooLarge: return Problem(.contentTooLarge, "too-large", "the request body is larger than the server takes (16 MiB); send fewer events a request")
            default: return Problem(e.status, "http-\(e.status.code)", (e as? HTTPError)?.body ?? e.status.reasonPhrase)
            }
        default:
            return Problem(.internalServerError, "internal", "the server failed to answer: \(error)")
        }
    }

    /// The body as JSON.
    public func json(instance: String?) -> JSONObject {
        var o: JSONObject = extra
        o["type"] = .string("urn:passport-ledger:problem:\(code)")
        o["title"] = .string(status.reasonPhrase)
        o["status"] = .number(JSONNumber(status.code))
        o["detail"] = .string(detail)
        o["code"] = .string(code)
        if let instance { o["instance"] = .string(instance) }
        if !violations.isEmpty { o["violations"] = .array(violations.map(\.json)) }
        return o
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let body = CanonicalJSON.encode(.object(json(instance: request.uri.path)))
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Answers every error as problem details: handlers' problems, ledger errors, the router's 404
/// and 405, oversized bodies.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The methods the API answers at a path (for 405 instead of the router's 404).
    let methods: @Sendable (String) -> [String]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            var problem = Problem.from(error)
            if problem.code == "no-route" {
                let allowed = methods(request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem(.methodNotAllowed, "method-not-allowed", "\(request.method.rawValue) is not answered at \(request.uri.path); it takes \(allowed.joined(separator: ", "))")
                    problem.headers[.allow] = allowed.joined(separator: ", ")
                }
            }
            if problem.status.code >= 500 {
                context.logger.error("request failed", metadata: ["path": .string(request.uri.path), "error": .string("\(error)")])
            }
            return try problem.response(from: request, context: context)
        }
    }
}
