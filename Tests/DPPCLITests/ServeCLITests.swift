import Foundation
import PassportDemoData
import PassportTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `dpp serve` as a user runs it: a real process on a loopback port, fuzzed by schemathesis
/// against its own OpenAPI document, then stopped with SIGTERM.
@Suite("dpp serve", .serialized)
struct ServeCLITests {
    let dir = TemporaryDirectory()
    var store: String { dir.path("store").path }

    /// Python with schemathesis 4 (scripts/install-deps.sh --test installs it from PyPI).
    static let schemathesisAvailable: Bool = {
        let probe = "import schemathesis, sys; sys.exit(0 if schemathesis.__version__.startswith('4.') else 1)"
        guard let r = try? CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", probe]) else { return false }
        return r.status == 0
    }()

    /// Runs schemathesis' command line with the Python that has it (no dependence on where pip put
    /// the `schemathesis` script).
    func schemathesis(_ arguments: [String]) throws -> CLI.Result {
        let launcher = "import sys; from schemathesis.cli import schemathesis; sys.argv[0] = 'schemathesis'; schemathesis()"
        return try CLI.runProcess(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", launcher] + arguments, in: dir.url,
            environment: ["NO_COLOR": "1", "PYTHONUNBUFFERED": "1"])
    }

    func dpp(_ args: String...) throws -> CLI.Result {
        try CLI.run(args + ["--store", store], in: dir.url)
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick for port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Int32 in
                guard bind(fd, p, length) == 0 else { return -1 }
                return getsockname(fd, p, &length)
            }
        }
        guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// GET `url`: status and body, or nil if nothing answers.
    static func get(_ url: String, headers: [String: String] = [:]) async -> (status: Int, body: String)? {
        var request = URLRequest(url: URL(string: url)!, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: 2)
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        guard let (data, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse else { return nil }
        return (http.statusCode, String(decoding: data, as: UTF8.self))
    }

    /// Waits up to `seconds` for `process` to end; true if it did.
    static func waitForExit(_ process: Process, seconds: Double) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while process.isRunning, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        return !process.isRunning
    }

    /// A schemathesis.toml whose dictionaries hold the demo's subjects, GTINs, lots and serials.
    static func schemathesisConfig(_ data: DemoDataSet) -> String {
        func list(_ values: [String]) -> String { "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]" }
        func parts(_ subjects: [String], _ ai: String) -> [String] {
            subjects.compactMap { s in s.components(separatedBy: "/\(ai)/").dropFirst().first }
        }
        let subjects = [data.items[0], data.batches[0], data.models[0], data.suppliers[0], data.items[1].replacingOccurrences(of: "/", with: "%2F")]
        return """
            [dictionaries.subjects]
            values = \(list(subjects))
            [dictionaries.gtins]
            values = \(list(data.models.map { String($0.dropFirst(3)) }))
            [dictionaries.lots]
            values = \(list(Array(parts(data.batches, "10").prefix(4))))
            [dictionaries.serials]
            values = \(list(Array(parts(data.items, "21").prefix(4))))
            [dictionaries.times]
            values = ["2026-01-01", "2027-05-01T00:00:00Z", "2026-11-20T10:15:00+01:00"]

            [parameters]
            "path.subject" = { dictionary = "subjects", probability = 0.5 }
            "path.gtin" = { dictionary = "gtins", probability = 0.5 }
            "path.lot" = { dictionary = "lots", probability = 0.5 }
            "path.serial" = { dictionary = "serials", probability = 0.5 }
            "query.asOf" = { dictionary = "times", probability = 0.3 }
            "query.validAt" = { dictionary = "times", probability = 0.3 }
            "query.from" = { dictionary = "times", probability = 0.5 }
            "query.to" = { dictionary = "times", probability = 0.3 }

            """
    }

    @Test("schemathesis finds no 5xx and no response that breaks the OpenAPI document; SIGTERM stops the server cleanly")
    func schemathesisAgainstLiveServer() async throws {
        try #require(Self.schemathesisAvailable, "Python's schemathesis 4 is missing: run scripts/install-deps.sh --test (./test.sh does)")
        let demo = try CLI.run(["demo", "--store", store], in: dir.url)
        try #require(demo.status == 0, "dpp demo failed: \(demo.stderr)")
        let authority = try dpp("tokens", "add", "market-surveillance", "--tier", "authority")
        try #require(authority.status == 0, "\(authority.stderr)")
        let token = authority.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        // The fuzzer sends more anonymous requests a minute than the default limit allows: lift it,
        // so that every case reaches a handler instead of the rate limiter.
        try Data("anonymousRequestsPerMinute: 0\n".utf8).write(to: dir.path("serve.yaml"))

        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let log = dir.path("serve.log")
        let server = try CLI.start(["serve", "--store", store, "--port", String(port), "--config", "serve.yaml"], log: log, in: dir.url)
        defer {
            // Whatever happened above, the server does not outlive the test.
            if server.isRunning {
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
        }
        /// The server's output without its one-line-per-request info logs (thousands of them).
        func serverLog() -> String {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { !$0.contains(" info dpp.serve:") }.suffix(60).joined(separator: "\n")
        }

        var healthy = false
        for _ in 0..<100 where server.isRunning {
            if await Self.get("\(base)/healthz")?.status == 200 { healthy = true; break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(healthy, "dpp serve did not answer /healthz within 20 s: \(serverLog())")

        // A demo item's passport is there, in the caller's view.
        let item = DemoDataSet().items[0]
        let passport = await Self.get("\(base)/passports/\(item)")
        #expect(passport?.status == 200, "\(passport?.body ?? "no answer")")
        #expect(passport?.body.contains(#""view":"public""#) == true)
        #expect(await Self.get("\(base)/passports/\(item)", headers: ["Authorization": "Bearer \(token)"])?.body.contains(#""view":"authority""#) == true)

        // The fuzzer draws path and query values from the demo's subjects half the time, so that
        // cases reach passports, linksets and QR codes, not only 400 and 404.
        try Self.schemathesisConfig(DemoDataSet()).write(to: dir.path("schemathesis.toml"), atomically: true, encoding: .utf8)
        let writer = try dpp("tokens", "add", "plm-writer", "--tier", "public", "--source", "plm-windchill")
        try #require(writer.status == 0, "\(writer.stderr)")
        let admin = try dpp("tokens", "add", "operator", "--tier", "public", "--admin")
        try #require(admin.status == 0, "\(admin.stderr)")
        // One worker: with two (threads), Python 3.11's ast module, which Hypothesis calls to
        // describe its filters, fails now and then with "SystemError: AST constructor recursion
        // depth mismatch" (its recursion counter is not per thread; CPython gh-106905).
        let common = [
            "--config-file", "schemathesis.toml", "run", "\(base)/openapi.json",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance",
            "--phases", "examples,coverage,fuzzing",
            "--seed", "20261126", "--generation-database", "none", "--workers", "1", "--request-timeout", "10",
            "--max-failures", "20", "--no-color",
        ]
        let runs: [(String, [String])] = [
            ("anonymous", ["--max-examples", "30"]),
            // Tier-gated answers: records, entry tiles, authority views.
            ("authority token", ["--max-examples", "10", "--header", "Authorization: Bearer \(token)"]),
            // Writes and connectors, with a token of a source.
            ("source token", ["--max-examples", "30", "--include-path-regex", "^/(events|ingest)",
                "--header", "Authorization: Bearer \(writer.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"]),
            // The admin endpoints (last: a retry may append).
            ("admin token", ["--max-examples", "20", "--include-path-regex", "^/admin/",
                "--header", "Authorization: Bearer \(admin.stdout.trimmingCharacters(in: .whitespacesAndNewlines))"]),
        ]
        for (name, extra) in runs {
            let run = try schemathesis(common + extra)
            // Its counts, for the test log: "N generated, N passed".
            let lines = run.stdout.split(separator: "\n")
            if let at = lines.firstIndex(where: { $0.hasPrefix("Test cases:") }), at + 1 < lines.count {
                print("schemathesis (\(name)):\(lines[at + 1])")
            }
            #expect(run.status == 0, "schemathesis (\(name)) exited \(run.status):\n\(run.stdout)\n\(run.stderr)")
            try #require(server.isRunning, "dpp serve died during the schemathesis run (\(name)):\n\(run.stdout)\n\(serverLog())")
        }
        let full = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(!full.contains("request failed") && !full.contains("Fatal error"), "the server logged a failure:\n\(serverLog())")

        // SIGTERM: the server stops accepting, finishes what is in flight and exits 0.
        server.terminate()
        let stopped = try await Self.waitForExit(server, seconds: 5)
        #expect(stopped, "dpp serve was still running 5 s after SIGTERM")
        if stopped {
            #expect(server.terminationReason == .exit && server.terminationStatus == 0,
                "dpp serve ended with \(server.terminationReason == .exit ? "exit code" : "signal") \(server.terminationStatus) after SIGTERM: \(serverLog())")
        }
    }

    @Test("Go's sumdb/tlog follows the log over HTTP from its tlog-tiles: every record proven from the tiles, every entry bundle checked")
    func goTileClient() async throws {
        try #require(CLITests.goAvailable, "Go with golang.org/x/mod is missing: run scripts/install-deps.sh --test (./test.sh does)")
        let demo = try CLI.run(["demo", "--store", store], in: dir.url)
        try #require(demo.status == 0, "dpp demo failed: \(demo.stderr)")
        // Past 256 records, so that full and partial tiles of level 0 and a level-1 tile exist.
        let lines = (0..<300).map { i in
            #"{"type":"certification.recorded","subject":"facility/PLANT-T","sourceRef":"T-\#(i)","createdAt":"2026-11-20T09:00:00Z","validUntil":"2029-09-01T00:00:00Z","data":{"id":"C-\#(i)","issuer":"Lab","scheme":"ISO 9001"}}"#
        }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: dir.path("more.jsonl"))
        let appended = try dpp("append", "--source", "qa-lab", "more.jsonl")
        try #require(appended.status == 0, "\(appended.stderr)")
        let token = try dpp("tokens", "add", "auditor", "--tier", "authority").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try Data(try dpp("vkey").stdout.utf8).write(to: dir.path("ledger.vkey"))
        let port = try Self.freePort()
        let base = "http://127.0.0.1:\(port)"
        let server = try CLI.start(["serve", "--store", store, "--port", String(port)], log: dir.path("serve.log"), in: dir.url)
        defer {
            if server.isRunning {
                kill(server.processIdentifier, SIGKILL)
                server.waitUntilExit()
            }
        }
        var healthy = false
        for _ in 0..<100 where server.isRunning {
            if await Self.get("\(base)/healthz")?.status == 200 { healthy = true; break }
            try await Task.sleep(for: .milliseconds(200))
        }
        try #require(healthy, "dpp serve did not answer /healthz within 20 s")
        let go = URL(fileURLWithPath: "/usr/bin/go")
        let env = ["GO111MODULE": "off", "GOPATH": "/usr/share/gocode", "GOCACHE": dir.path("gocache").path]
        let program = CLI.packageRoot.appendingPathComponent("Tests/Interop/tlogverify/main.go").path
        let r = try CLI.runProcess(go, ["run", program, "tiles", "ledger.vkey", base, token], in: dir.url, environment: env)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let size = try dpp("checkpoint").stdout.split(separator: "\n")[1]
        #expect(r.stdout.hasPrefix("ok: \(size) records of demo.passport-ledger.example/log proven from"), "\(r.stdout)")
        // Without a token the records (of every tier) are refused: the client cannot check them.
        let anonymous = try CLI.runProcess(go, ["run", program, "tiles", "ledger.vkey", base], in: dir.url, environment: env)
        #expect(anonymous.status == 1)
        #expect(anonymous.stdout.contains("401"))
        server.terminate()
        #expect(try await Self.waitForExit(server, seconds: 5))
    }

    @Test("dpp tokens: a token is printed once and kept as a hash (0600); list never shows it; revoke marks it; an unknown source is refused")
    func tokensCLI() throws {
        #expect(try CLI.run(["init", "--origin", "tokens.example/log", "--store", store], in: dir.url).status == 0)
        #expect(try dpp("keys", "add", "erp-sap", "--kind", "erp").status == 0)
        let add = try dpp("tokens", "add", "erp-writer", "--tier", "legitimate-interest", "--source", "erp-sap")
        #expect(add.status == 0, "\(add.stderr)")
        let token = add.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("dppt_") && token.count > 40)
        #expect(add.stderr.contains("shown only now"))
        let file = dir.path("store/access-tokens.jsonl")
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
        #expect(!(try String(contentsOf: file, encoding: .utf8)).contains(token))
        let list = try dpp("tokens", "list")
        #expect(list.stdout.contains("erp-writer  legitimate-interest  source=erp-sap"))
        #expect(!list.stdout.contains(token))
        #expect(try dpp("tokens", "revoke", "erp-writer").status == 0)
        #expect(try dpp("tokens", "list").stdout.contains("REVOKED"))
        let unknown = try dpp("tokens", "add", "x", "--tier", "public", "--source", "nobody")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no active key named nobody"))
        #expect(try dpp("tokens", "add", "erp-writer", "--tier", "public").stderr.contains("already exists"))
    }
}
