import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PassportDemoData
import PassportLedger
import PassportModel
import PassportServer
import PassportTestSupport

/// A demo store served in memory (Hummingbird's router test framework: no sockets), with one
/// token per tier and a source token.
final class ServerHarness: Sendable {
    let dir: TemporaryDirectory
    let ledger: Ledger
    let data: DemoDataSet
    let server: PassportServer
    let tokens: [String: String]

    init(configuration: ServerConfiguration = ServerConfiguration()) throws {
        dir = TemporaryDirectory()
        (ledger, data) = try Fixtures.demoStore(in: dir)
        let store = try AccessTokens(store: ledger.directory)
        var tokens: [String: String] = [:]
        tokens["public"] = try store.add(name: "consumer-app", tier: .public, source: nil, admin: false).token
        tokens["legitimate-interest"] = try store.add(name: "recycler", tier: .legitimateInterest, source: nil, admin: false).token
        tokens["authority"] = try store.add(name: "market-surveillance", tier: .authority, source: nil, admin: false).token
        tokens["erp"] = try store.add(name: "erp-writer", tier: .public, source: "erp-sap", admin: false).token
        self.tokens = tokens
        server = PassportServer(ledger: ledger, tokens: store, configuration: configuration)
    }

    /// The item of the demo with the richest passport (remanufactured, with certifications).
    var item: String { data.items[0] }
    var model: String { data.models[0] }

    /// Runs requests against the server.
    func test<R: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> R) async throws -> R {
        let app = Application(router: server.router())
        return try await app.test(.router) { client in try await body(client) }
    }

    /// One request; `token` names an entry of ``tokens`` (or is a raw Authorization value with a space).
    func request(
        _ uri: String, method: HTTPRequest.Method = .get, token: String? = nil, headers: HTTPFields = [:], body: [UInt8]? = nil
    ) async throws -> TestResponse {
        var h = headers
        if let token { h[.authorization] = token.contains(" ") ? token : "Bearer \(tokens[token] ?? token)" }
        let request = (uri, method, h, body.map { ByteBuffer(bytes: $0) })
        return try await test { client in
            try await client.execute(uri: request.0, method: request.1, headers: request.2, body: request.3)
        }
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var bytes: [UInt8] { Array(buffer: body) }
    var json: JSONValue { (try? JSONParser.parse(Array(buffer: body))) ?? .null }
    /// The problem-details body's `code` and `detail`.
    var problem: (code: String, detail: String)? {
        guard headers[.contentType] == "application/problem+json", let o = json.objectValue else { return nil }
        return (o["code"]?.stringValue ?? "", o["detail"]?.stringValue ?? "")
    }
}
