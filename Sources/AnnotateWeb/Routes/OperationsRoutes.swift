import AnnotateCore
import Foundation
import HTTPTypes
import Hummingbird

/// `/health` for load balancers (the original deployment's check) and `/metrics` for Prometheus.
extension WebApp {
    func addOperationsRoutes(to router: RouteRegistry<BasicRequestContext>) {
        router.get("/health") { _, _ in
            // Told to stop: out of the load balancer's rotation first, whatever the parts say.
            if drain.isDraining { return Response.json(["status": "draining"], status: .serviceUnavailable) }
            async let database = Self.check("database", within: healthTimeout) { try await metadata.ping() }
            async let store = Self.check("store", within: healthTimeout) { try await originals.checkReachable() }
            async let thumbnailStore = Self.check("thumbnail store", within: healthTimeout) { try await thumbnails.checkReachable() }
            let checks = [await database, await store, await thumbnailStore]
            let failing = checks.filter { $0.problem != nil }
            var body = ["status": failing.isEmpty ? "ok" : "unavailable"]
            for check in checks { body[check.part.replacingOccurrences(of: " ", with: "_")] = check.problem ?? "ok" }
            if !failing.isEmpty {
                logger.warning("health check failed", metadata: ["failing": "\(failing.map(\.part))"])
            }
            return Response.json(body, status: failing.isEmpty ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            let text = metrics.render(try await metadata.summary(), cost: CostReport(usage: try await metadata.usage(), prices: prices))
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// Runs `body` with a deadline; the result names the part and, when it failed, why.
    static func check(
        _ part: String, within limit: Duration, _ body: @escaping @Sendable () async throws -> Void
    ) async -> (part: String, problem: String?) {
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await body() }
                group.addTask {
                    try await Task.sleep(for: limit)
                    throw HealthTimeout()
                }
                defer { group.cancelAll() }
                try await group.next()
            }
            return (part, nil)
        } catch is HealthTimeout {
            return (part, "\(part) did not answer within \(Int(limit.seconds)) s")
        } catch {
            return (part, "\(part) failed: \(error)")
        }
    }
}

private struct HealthTimeout: Error {}
