import Foundation
import Hummingbird
import PassportLedger
import PassportModel

extension PassportServer {
    /// `/healthz`, `/readyz`, `/metrics`, `/openapi.json`.
    func addOperationRoutes(to router: Router<ServerContext>) {
        route(router, .get, "/healthz") { request, _ in
            _ = try Query(request, allowed: [])
            return Reply.json(["status": "ok"], headers: [.cacheControl: "no-store"])
        }
        route(router, .get, "/readyz") { request, _ in
            _ = try Query(request, allowed: [])
            let ledger = self.ledger
            do {
                let size = try await self.blocking { try ledger.size() }
                return Reply.json(["status": "ready", "records": .number(JSONNumber(Int(size)))], headers: [.cacheControl: "no-store"])
            } catch {
                throw Problem(.serviceUnavailable, "not-ready", "the store cannot be read: \(error)")
            }
        }
        route(router, .get, "/metrics") { request, _ in
            _ = try Query(request, allowed: [])
            let ledger = self.ledger
            let size = try await self.blocking { try ledger.size() }
            self.metrics.records.record(Int64(size))
            return Reply.bytes(self.metrics.text(), headers: [.cacheControl: "no-store"], type: "text/plain; version=0.0.4; charset=utf-8")
        }
        route(router, .get, "/openapi.json") { request, _ in
            _ = try Query(request, allowed: [])
            return Reply.bytes(OpenAPIDocument.json, headers: [.cacheControl: "public, max-age=300"], type: "application/json")
        }
    }
}
