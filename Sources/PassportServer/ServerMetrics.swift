import Foundation
import Hummingbird

import Prometheus

/// What `/metrics` shows, in the Prometheus text format: requests and their latencies per route,
/// the ledger's size, events appended and quarantined through the API. A registry of its own, so
/// several servers in one process (tests) never share counters.
public final class ServerMetrics: Sendable {
    /// The registry `/metrics` writes out.
    public let registry = PrometheusCollectorRegistry()
    let records: Gauge
    let appended: Counter
    let duplicates: Counter
    let quarantined: Counter

    init() {
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "dpp", metricName: metric, unitName: unit, helpText: help)
        }
        records = registry.makeGauge(descriptor: name("ledger", "records", "Records in the ledger"))
        appended = registry.makeCounter(descriptor: name("events_appended", "total", "Events appended through the API"))
        duplicates = registry.makeCounter(descriptor: name("events_duplicate", "total", "Events redelivered through the API (nothing written)"))
        quarantined = registry.makeCounter(descriptor: name("events_rejected", "total", "Events rejected through the API (kept in quarantine)"))
    }

    func request(method: String, route: String, status: Int, seconds: Double) {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "dpp", metricName: "http_requests", unitName: "total", helpText: "HTTP requests by route and status"),
            labels: [("method", method), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(namespace: "dpp", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency by route"),
            labels: [("method", method), ("route", route)],
            buckets: [.microseconds(250), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(500), .seconds(2)]
        ).recordNanoseconds(Int64(seconds * 1e9))
    }

    /// The text exposition.
    func text() -> [UInt8] {
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }
}

/// Counts every request by its route template (not its path, so subjects do not explode the label set).
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func record(_ status: Int) {
            let d = ContinuousClock.now - start
            metrics.request(method: request.method.rawValue, route: context.endpointPath ?? "unmatched", status: status,
                seconds: Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
        do {
            let response = try await next(request, context)
            record(response.status.code)
            return response
        } catch {
            record(Problem.from(error).status.code)
            throw error
        }
    }
}
