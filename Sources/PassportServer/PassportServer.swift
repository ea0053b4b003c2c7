import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PassportLedger
import PassportModel
import ServiceLifecycle
import Synchronization

/// The request context of the API: Hummingbird's, plus the client's address (for rate limits).
public struct ServerContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The client's address, when the transport has one.
    public let remoteAddress: SocketAddress?

    /// Makes the context of a request arriving on a channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies of up to 16 MiB (a batch of events, an EPCIS document); larger ones get 413.
    public var maxUploadSize: Int { 16 << 20 }
}

/// `dpp serve`: the HTTP API over a store (Specs/openapi.yaml) — passports, the GS1 Digital Link
/// resolver, the audit surface (checkpoints, proofs, C2SP tlog-tiles), writes, operations.
///
/// Reads are synchronous LMDB calls and run on NIO's blocking thread pool, never on an event
/// loop; writes go through the ledger's group-commit writer.
public final class PassportServer: Sendable {
    /// The store.
    public let ledger: Ledger
    /// Its access tokens.
    public let tokens: AccessTokens
    /// Host, port, public URL, limits.
    public let configuration: ServerConfiguration
    /// Request and ledger metrics (`/metrics`).
    public let metrics: ServerMetrics
    let limiter: RateLimiter
    let pool: NIOThreadPool
    let cache = PassportCache()
    /// Change-data-capture requests map in order, one at a time.
    let cdcLock = Mutex<Void>(())
    /// The deployment's access tiers (`<store>/access-tiers.json`, as ``Ledger/accessPolicy()``
    /// reads it), read again when the file changes.
    let policies: ReloadingFile<AccessPolicy>
    private let registered = Mutex<[(method: String, path: String)]>([])

    /// Every route ``router()`` registers, as (method, Hummingbird path pattern): `:name` is one
    /// segment, `**` the rest of the path. The OpenAPI document must describe exactly these.
    public var routes: [(method: String, path: String)] { registered.withLock { $0 } }

    /// The methods some route answers at `path` (GET implies HEAD and OPTIONS is CORS's).
    func methods(at path: String) -> [String] {
        let s = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let segments = s.split(separator: "/", omittingEmptySubsequences: false)
        func matches(_ pattern: String) -> Bool {
            let p = pattern.split(separator: "/", omittingEmptySubsequences: false)
            for (i, part) in p.enumerated() {
                if part == "**" { return segments.count > i }
                guard i < segments.count else { return false }
                if part.hasPrefix(":") || part == "*" { continue }
                if part != segments[i] { return false }
            }
            return p.count == segments.count
        }
        var out: [String] = []
        for r in routes where matches(r.path) && !out.contains(r.method) { out.append(r.method) }
        if out.contains("GET") { out.append("HEAD") }
        return out
    }

    /// Registers a route and remembers it for ``routes``.
    func route(
        _ router: Router<ServerContext>, _ method: HTTPRequest.Method, _ path: String,
        _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
    ) {
        registered.withLock { r in
            if !r.contains(where: { $0.method == method.rawValue && $0.path == path }) { r.append((method.rawValue, path)) }
        }
        router.on(RouterPath(path), method: method, use: handler)
    }

    /// Serves `ledger` with its tokens.
    public init(ledger: Ledger, tokens: AccessTokens, configuration: ServerConfiguration = ServerConfiguration()) {
        self.ledger = ledger
        self.tokens = tokens
        self.configuration = configuration
        metrics = ServerMetrics()
        limiter = RateLimiter(perMinute: configuration.anonymousRequestsPerMinute)
        pool = NIOThreadPool.singleton
        policies = ReloadingFile(ledger.directory.appendingPathComponent("access-tiers.json")) { try ledger.accessPolicy() }
    }

    /// Runs blocking store work off the event loops.
    func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive(body)
    }

    /// Response headers a browser app may read.
    static let exposedHeaders = ["ETag", "Location", "Link", "Retry-After"]

    /// The router with every route of the API and its middleware (problem details, metrics,
    /// request logs, CORS on reads, rate limits on anonymous reads). Every GET route answers HEAD
    /// too, with the same status and headers and no body (RFC 9110 §9.3.2).
    public func router() -> Router<ServerContext> {
        let router = Router(context: ServerContext.self, options: .autoGenerateHeadEndpoints)
        // Outermost first: CORS sees every answer (errors included, already problem details).
        router.add(middleware: CORSMiddleware(
            allowOrigin: .all, allowHeaders: [.accept, .authorization, .contentType, .ifNoneMatch], allowMethods: [.get, .head, .post, .options],
            exposedHeaders: Self.exposedHeaders))
        router.add(middleware: ExposeHeadersMiddleware())
        router.add(middleware: ProblemMiddleware(methods: { [weak self] path in self?.methods(at: path) ?? [] }))
        router.add(middleware: MetricsMiddleware(metrics: metrics))
        router.add(middleware: LogRequestsMiddleware(.info))
        router.add(middleware: RateLimitMiddleware(server: self))
        addPassportRoutes(to: router)
        addResolverRoutes(to: router)
        addAuditRoutes(to: router)
        addWriteRoutes(to: router)
        addIngestRoutes(to: router)
        addAdminRoutes(to: router)
        addCredentialRoutes(to: router)
        addTraceRoutes(to: router)
        addOperationRoutes(to: router)
        return router
    }

    /// The Hummingbird application on the configured host and port.
    public func application(logger: Logger) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "passport-ledger"),
            logger: logger)
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight and returns.
    public func run(logger: Logger) async throws {
        try await application(logger: logger).runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// The caller a request authenticates as: its bearer token's entry, or anonymous (public).
    /// - Throws: ``Problem`` 401 for a malformed, unknown or revoked token.
    func caller(_ request: Request) throws -> Caller {
        guard let header = request.headers[.authorization] else { return Caller(token: nil) }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Problem.unauthorized("bad-credentials", "the Authorization header must be \"Bearer <token>\" (tokens are made with dpp tokens add)")
        }
        guard let entry = try tokens.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces)) else {
            throw Problem.unauthorized("bad-credentials", "the bearer token is unknown or revoked", tokenError: "invalid_token")
        }
        return Caller(token: entry)
    }
}

/// `Access-Control-Expose-Headers` on actual cross-origin answers (Hummingbird's CORS middleware
/// sends it on preflights only), so a browser app can read ETags, redirects and linkset links.
struct ExposeHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if request.headers[.origin] != nil, request.method != .options {
            response.headers[.accessControlExposeHeaders] = PassportServer.exposedHeaders.joined(separator: ", ")
        }
        return response
    }
}

/// Who is asking: a token's holder, or anyone (public).
struct Caller: Sendable {
    let token: AccessTokens.Entry?

    /// The highest tier this caller may read.
    var tier: AccessTier { token?.tier ?? .public }

    /// The view a request asks for (`view=`), which must not be above the caller's tier;
    /// without one, the caller's own tier.
    func view(_ requested: AccessTier?) throws -> AccessTier {
        guard let requested else { return tier }
        try require(requested, for: "the \(requested.rawValue) view")
        return requested
    }

    /// The caller's token, or a 401 `code` saying what `what` needs.
    func token(_ code: String, _ what: String) throws -> AccessTokens.Entry {
        guard let token else { throw Problem.unauthorized(code, what) }
        return token
    }

    /// Refuses unless this caller's tier reaches `needed`: 401 for anyone, 403 for a token too low.
    func require(_ needed: AccessTier, for what: String) throws {
        guard needed > tier else { return }
        if token == nil {
            var p = Problem.unauthorized("tier-required", "\(what) needs a bearer token of tier \(needed.rawValue); without one, requests get the public tier")
            p.extra["requiredTier"] = .string(needed.rawValue)
            throw p
        }
        var p = Problem(.forbidden, "tier-required", "\(what) needs tier \(needed.rawValue); token \(token!.name) has tier \(tier.rawValue)")
        p.extra["requiredTier"] = .string(needed.rawValue)
        throw p
    }
}
