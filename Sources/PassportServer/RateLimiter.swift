import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// A token bucket per client address for requests without a token: `perMinute` requests a
/// minute, in bursts of up to a tenth of that (at least 10).
final class RateLimiter: Sendable {
    let perMinute: Int
    private let buckets = Mutex<[String: (tokens: Double, at: ContinuousClock.Instant)]>([:])

    init(perMinute: Int) { self.perMinute = perMinute }

    /// Takes one request from `client`'s bucket; returns the seconds to wait if it is empty.
    func take(_ client: String, now: ContinuousClock.Instant = .now) -> Double? {
        guard perMinute > 0 else { return nil }
        let rate = Double(perMinute) / 60
        let burst = max(10, Double(perMinute) / 10)
        return buckets.withLock { b in
            if b.count > 100_000 { b.removeAll() }  // bounded memory under address churn
            var (tokens, at) = b[client] ?? (burst, now)
            let elapsed = now - at
            tokens = min(burst, tokens + rate * (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18))
            at = now
            guard tokens >= 1 else {
                b[client] = (tokens, at)
                return (1 - tokens) / rate
            }
            b[client] = (tokens - 1, at)
            return nil
        }
    }
}

/// Anonymous requests (no Authorization header) are limited per client address; callers with a
/// token are not. Over the limit: 429 with `Retry-After`.
struct RateLimitMiddleware: RouterMiddleware {
    let server: PassportServer

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        if request.headers[.authorization] == nil, let address = context.remoteAddress?.ipAddress,
            let wait = server.limiter.take(address)
        {
            var p = Problem(.tooManyRequests, "rate-limited", "too many requests without a token from \(address): at most \(server.limiter.perMinute) a minute; retry later or use a bearer token")
            p.headers[.retryAfter] = String(Int(wait.rounded(.up)))
            throw p
        }
        return try await next(request, context)
    }
}
