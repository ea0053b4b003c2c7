import Foundation
import Hummingbird
import PassportAudit
import PassportLedger
import PassportModel

extension PassportServer {
    /// `GET /trace/batch/{batch}`, `/trace/item/{item}`, `/trace/supplier/{supplier}`: the recall
    /// trace (legitimate-interest and authority tokens only; CSV of the shipments with
    /// `Accept: text/csv` for a supplier).
    func addTraceRoutes(to router: Router<ServerContext>) {
        for kind in ["batch", "item"] {
            route(router, .get, "/trace/\(kind)/**") { request, _ in
                let caller = try self.caller(request)
                try caller.require(.legitimateInterest, for: "a recall trace")
                let q = try Query(request, allowed: ["asOf"])
                guard let parts = segments(request, after: "/trace/\(kind)/") else { throw Problem(.notFound, "no-route", "no such trace") }
                let id = try subject(parts[...])
                guard id.kind == (kind == "batch" ? .batch : .item) else {
                    throw Problem(.badRequest, "bad-subject", "/trace/\(kind)/ takes \(kind == "batch" ? "a batch, 01/<GTIN>/10/<lot>" : "an item, 01/<GTIN>/21/<serial>"), got \(id)")
                }
                let asOf = try q.timestamp("asOf")
                let ledger = self.ledger
                let (tree, records) = try await self.blocking { try ledger.traceDown(id, asOf: asOf) }
                var body = tree
                body["records"] = .array(records.sorted().map { .number(JSONNumber(Int($0))) })
                return Reply.json(.object(body), headers: [.cacheControl: "private, no-store"])
            }
        }
        route(router, .get, "/trace/supplier/:id") { request, context in
            let caller = try self.caller(request)
            try caller.require(.legitimateInterest, for: "a recall scope")
            let q = try Query(request, allowed: ["part", "lot", "from", "to", "asOf"])
            let id = try subject(["supplier", Substring(context.parameters.get("id") ?? "")])
            let lot = try q["lot"].map { text -> String in
                let s = try subject(text.split(separator: "/", omittingEmptySubsequences: false)[...])
                guard s.kind == .batch else { throw Problem(.badRequest, "bad-query", "lot=\(text): a lot is a batch, 01/<GTIN>/10/<lot>") }
                return s.rawValue
            }
            let (part, from, to, asOf) = (q["part"], try q.timestamp("from"), try q.timestamp("to"), try q.timestamp("asOf"))
            let ledger = self.ledger
            let (scope, records) = try await self.blocking { try ledger.traceUp(supplier: id, part: part, lot: lot, from: from, to: to, asOf: asOf) }
            if negotiate(request.headers[.accept], offered: ["application/json", "text/csv"]) == "text/csv" {
                let csv = RecallTrace.shipmentsCSV(scope)
                return Reply.text(csv, headers: [.cacheControl: "private, no-store"], type: "text/csv; charset=utf-8")
            }
            var body = scope
            body["records"] = .array(records.sorted().map { .number(JSONNumber(Int($0))) })
            return Reply.json(.object(body), headers: [.cacheControl: "private, no-store"])
        }
    }
}
