import AnnotateCore
import AnnotatePresentation
import Foundation
import HTTPTypes
import Hummingbird
import NIOConcurrencyHelpers
import Prometheus

/// `/metrics`: requests and latency by route (measured here), annotation latency (from this
/// instance's in-process worker), and tasks by status and tokens used (read from the database
/// at each scrape, so every instance reports the same totals).
final class WebMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let annotationLatency: DurationHistogram
    /// The counter and histogram of each route, method and status met so far: the registry's own
    /// look-up by name and labels costs more than the rest of answering a kept page.
    private let perRequest = NIOLockedValueBox<[RequestKey: (count: Counter, latency: DurationHistogram)]>([:])

    private struct RequestKey: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    static let requestBuckets: [Duration] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000].map { .milliseconds($0) }
    static let annotationBuckets: [Duration] = [100, 250, 500, 1000, 2000, 5000, 10000, 30000, 60000].map { .milliseconds($0) }

    init() {
        annotationLatency = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "annotate", metricName: "annotation_duration", unitName: "seconds",
                helpText: "Time the annotation API took per image (this instance's worker)"),
            labels: [], buckets: Self.annotationBuckets)
    }

    /// One answered request; `route` is the matched pattern (`/images/{id}`), never the raw path.
    func request(route: String, method: String, status: Int, duration: Duration) {
        let key = RequestKey(route: route, method: method, status: status)
        let metrics = perRequest.withLockedValue { known in
            if let metrics = known[key] { return metrics }
            let made = (
                count: registry.makeCounter(
                    descriptor: .init(metricName: "http_requests", unitName: "total", helpText: "HTTP requests answered"),
                    labels: [("route", route), ("method", method), ("status", String(status))]),
                latency: registry.makeDurationHistogram(
                    descriptor: .init(metricName: "http_request_duration", unitName: "seconds", helpText: "Time to answer an HTTP request"),
                    labels: [("route", route)], buckets: Self.requestBuckets)
            )
            known[key] = made
            return made
        }
        metrics.count.increment()
        metrics.latency.record(duration)
    }

    func annotationFinished(after duration: Duration) {
        annotationLatency.record(duration)
    }

    /// The exposition text, with the database's current counts and what its annotations cost.
    func render(_ summary: StatusSummary, cost: CostReport) -> String {
        for task in TaskKind.allCases {
            let counts = task == .annotation ? summary.annotation : summary.thumbnail
            for status in TaskStatus.allCases {
                registry.makeGauge(
                    descriptor: .init(namespace: "annotate", metricName: "tasks", unitName: "", helpText: "Tasks by kind and status"),
                    labels: [("task", task.rawValue), ("status", status.rawValue)]
                ).set(Double(counts[status] ?? 0))
            }
        }
        registry.makeGauge(descriptor: .init(namespace: "annotate", metricName: "images", unitName: "", helpText: "Image records"))
            .set(Double(summary.total))
        registry.makeGauge(
            descriptor: .init(
                namespace: "annotate", metricName: "tokens_used", unitName: "",
                helpText: "Annotation API tokens used by every record")
        )
        .set(Double(summary.tokens))
        for line in cost.lines {
            guard let dollars = line.costUSD else { continue }
            registry.makeGauge(
                descriptor: .init(
                    namespace: "annotate", metricName: "cost_usd_total", unitName: "",
                    helpText: "Dollars every recorded annotation cost at the configured prices, by model and tier"),
                labels: [("model", line.usage.model), ("service_tier", line.usage.tier.rawValue)]
            ).set(Dollars.rounded(dollars))
        }
        return registry.emitToString()
    }
}

/// Times every request and counts it by route, method and status (errors included: they are
/// rendered into responses further in).
struct RequestMetrics<Context: RequestContext>: RouterMiddleware {
    let metrics: WebMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.request(
            route: context.endpointPath ?? "unmatched", method: request.method.rawValue,
            status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
