import Foundation
import Hummingbird
import PassportIngest
import PassportLedger
import PassportModel

extension PassportServer {
    /// The admin endpoints (admin tokens only): keys, the ownership policy, quarantine and its retry.
    func addAdminRoutes(to router: Router<ServerContext>) {
        route(router, .get, "/admin/keys") { request, _ in
            try self.requireAdmin(request)
            _ = try Query(request, allowed: [])
            let ledger = self.ledger
            let keys = try await self.blocking { try ledger.keys() }
            return Reply.json(["keys": .array(keys.map { .object($0.json) })], headers: [.cacheControl: "no-store"])
        }
        route(router, .get, "/admin/policy") { request, _ in
            try self.requireAdmin(request)
            let q = try Query(request, allowed: ["asOf"])
            let asOf = try q.timestamp("asOf")
            let ledger = self.ledger
            let policy = try await self.blocking { try ledger.policy(asOf: asOf) }
            return Reply.json(policy.json, headers: [.cacheControl: "no-store"])
        }
        route(router, .get, "/admin/quarantine") { request, _ in
            try self.requireAdmin(request)
            let q = try Query(request, allowed: ["all"])
            guard [nil, "true", "false"].contains(q["all"]) else { throw Problem(.badRequest, "bad-query", "all=\(q["all"]!): must be true or false") }
            let all = q["all"] == "true"
            let ledger = self.ledger
            let entries = try await self.blocking { try ledger.quarantineEntries(includeClosed: all) }
            return Reply.json(["entries": .array(entries.map(\.json))], headers: [.cacheControl: "no-store"])
        }
        route(router, .get, "/admin/quarantine/:id") { request, context in
            try self.requireAdmin(request)
            _ = try Query(request, allowed: [])
            let id = try quarantineID(context)
            let ledger = self.ledger
            let entry = try await self.blocking { try ledger.quarantineEntry(id: id) }
            return Reply.json(entry.json, headers: [.cacheControl: "no-store"])
        }
        route(router, .post, "/admin/quarantine/:id/retry") { request, context in
            try self.requireAdmin(request)
            _ = try Query(request, allowed: [])
            let id = try quarantineID(context)
            let ledger = self.ledger
            let outcome = try await self.blocking { try ledger.retryQuarantine(id: id) }
            var o = outcome.json(line: "quarantine \(id)")
            if case .rejected(let e, _) = outcome { o["status"] = .number(JSONNumber(Problem(e).status.code)) }
            return Reply.json(.object(o))
        }
    }

    /// Refuses a caller without an admin token: 401 for anyone, 403 for a token that is not admin.
    func requireAdmin(_ request: Request) throws {
        let token = try caller(request).token("admin-required", "this endpoint needs an admin token (dpp tokens add NAME --tier authority --admin)")
        guard token.admin else { throw Problem(.forbidden, "admin-required", "token \(token.name) is not an admin token") }
    }
}

func quarantineID(_ context: ServerContext) throws -> UInt64 {
    let text = context.parameters.get("id") ?? ""
    guard let n = UInt64(text), text.utf8.first != UInt8(ascii: "+"), n >= 1, n <= UInt64(Int64.max) else {
        throw Problem(.badRequest, "bad-id", "a quarantine entry ID is a whole number ≥ 1, got \(text)")
    }
    return n
}
