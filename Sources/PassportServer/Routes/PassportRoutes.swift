import Foundation
import Hummingbird
import PassportLedger
import PassportModel
import Sodium

extension PassportServer {
    /// `GET /passports/{subject}`, `…/history`, `…/diff`, `…/page` (HTML).
    func addPassportRoutes(to router: Router<ServerContext>) {
        route(router, .get, "/passports/**") { request, _ in
            let caller = try self.caller(request)
            guard let parts = segments(request, after: "/passports/"), !parts.isEmpty, parts != [""] else {
                throw Problem(.notFound, "no-route", "name a subject: /passports/01/<GTIN>[/10/<lot>|/21/<serial>], /passports/supplier/<id>…")
            }
            // A subject alone, or a subject and one of the sub-resources.
            if let last = parts.last, ["history", "diff", "page", "credential"].contains(last), parts.count > 1, (try? subject(parts[...])) == nil {
                let id = try subject(parts.dropLast())
                switch last {
                case "history": return try await self.history(id, request, caller)
                case "diff": return try await self.diff(id, request, caller)
                case "credential": return try await self.credential(id, request, caller)
                default: return try await self.page(id, request, caller)
                }
            }
            return try await self.passport(try subject(parts[...]), request, caller)
        }
    }

    /// The passport JSON of a view, and its entity tag (over everything but the query times, so
    /// it changes exactly when the passport does). Current passports come from the cache.
    func passportView(_ id: Subject, asOf: Timestamp?, validAt: Timestamp?, view: AccessTier) async throws -> (body: [UInt8], tag: String) {
        let ledger = self.ledger
        // A cached current passport is answered on the event loop: its check reads no file and
        // waits for nothing (the commit ID is in LMDB's shared memory).
        if asOf == nil, validAt == nil, let policy = policies.fresh(), let commit = try? ledger.commitID(),
            let r = cache.cached(id, view: view, policy: policy, commit: commit, now: ledger.options.clock())
        {
            return (r.body, r.tag)
        }
        let cache = self.cache
        let policies = self.policies
        return try await blocking {
            let policy = try policies.current()
            if asOf == nil && validAt == nil {
                let r = try cache.current(id, view: view, ledger: ledger, policy: policy, now: ledger.options.clock())
                return (r.body, r.tag)
            }
            let r = PassportCache.render(try ledger.passport(id, asOf: asOf, validAt: validAt).view(view, policy: policy))
            return (r.body, r.tag)
        }
    }

    /// The passport itself (for pages and links).
    func passportValue(_ id: Subject, asOf: Timestamp?, validAt: Timestamp?, view: AccessTier) async throws -> Passport {
        let ledger = self.ledger
        let policies = self.policies
        return try await blocking { try ledger.passport(id, asOf: asOf, validAt: validAt).view(view, policy: try policies.current()) }
    }

    /// What a passport request asks for: `view` (capped at the caller's tier), `asOf`, `validAt`.
    func passportQuery(_ request: Request, _ caller: Caller) throws -> (view: AccessTier, asOf: Timestamp?, validAt: Timestamp?) {
        let q = try Query(request, allowed: ["asOf", "validAt", "view"])
        return (try caller.view(try q.tier()), try q.timestamp("asOf"), try q.timestamp("validAt"))
    }

    func passport(_ id: Subject, _ request: Request, _ caller: Caller) async throws -> Response {
        let (view, asOf, validAt) = try passportQuery(request, caller)
        let (body, tag) = try await passportView(id, asOf: asOf, validAt: validAt, view: view)
        var headers: HTTPFields = [.vary: "Authorization, Accept"]
        if asOf == nil && validAt == nil {
            headers[.eTag] = tag
            headers[.cacheControl] = view == .public ? "public, no-cache" : "private, no-cache"
            if let match = request.headers[.ifNoneMatch], ifNoneMatch(match, tag) {
                return Response(status: .notModified, headers: headers)
            }
        }
        return Reply.bytes(body, headers: headers, type: "application/json")
    }

    func history(_ id: Subject, _ request: Request, _ caller: Caller) async throws -> Response {
        let q = try Query(request, allowed: ["view", "field"])
        let view = try caller.view(try q.tier())
        let field = q["field"]
        let ledger = self.ledger
        let policies = self.policies
        let lines = try await blocking {
            try ledger.passportHistory(id, field: field, view: view, policy: try policies.current()).map { JSONValue.object($0.0.historyJSON(facts: $0.1)) }
        }
        return Reply.json(["subject": .string(id.rawValue), "view": .string(view.rawValue), "history": .array(lines)])
    }

    func diff(_ id: Subject, _ request: Request, _ caller: Caller) async throws -> Response {
        let q = try Query(request, allowed: ["from", "to", "view"])
        let view = try caller.view(try q.tier())
        guard let from = try q.timestamp("from") else {
            throw Problem(.badRequest, "bad-query", "from is required: the earlier system time (\(Timestamp.queryForms))")
        }
        let to = try q.timestamp("to") ?? Timestamp.now()
        guard from <= to else { throw Problem(.badRequest, "bad-query", "from (\(from)) must not be after to (\(to))") }
        let ledger = self.ledger
        let policies = self.policies
        let changes = try await blocking { () -> [JSONValue] in
            let policy = try policies.current()
            let b = try ledger.passport(id, asOf: to).view(view, policy: policy)
            let a: Passport
            do { a = try ledger.passport(id, asOf: from).view(view, policy: policy) } catch let e as LedgerError where e.code == .notFound {
                a = Passport(id: id, asOf: from, validAt: from, view: view, entries: [])
            }
            return b.changes(since: a).map { .object($0.json) }
        }
        return Reply.json(["subject": .string(id.rawValue), "view": .string(view.rawValue), "from": .string(from.description),
            "to": .string(to.description), "changes": .array(changes)])
    }

    func page(_ id: Subject, _ request: Request, _ caller: Caller) async throws -> Response {
        let (view, asOf, validAt) = try passportQuery(request, caller)
        let p = try await passportValue(id, asOf: asOf, validAt: validAt, view: view)
        return Reply.text(PassportPage.html(p, baseURL: configuration.baseURL), headers: [.eTag: PassportCache.render(p).tag, .vary: "Authorization, Accept"], type: "text/html; charset=utf-8")
    }
}

/// Whether an `If-None-Match` header matches an entity tag (weak comparison, RFC 9110 §13.1.2).
func ifNoneMatch(_ header: String, _ tag: String) -> Bool {
    if header.trimmingCharacters(in: .whitespaces) == "*" { return true }
    return header.split(separator: ",").contains { t in
        var t = t.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("W/") { t.removeFirst(2) }
        return t == tag
    }
}
