import AnnotateCore
import Foundation
import ServiceLifecycle

/// The invocation loop as a service in the one lifecycle: next → handle → response or error,
/// until the group shuts down (an invocation in flight is finished and answered first; the wait
/// for the next one is given up).
public final class LambdaService: Service {
    private let runtime: LambdaRuntimeClient
    private let handler: LambdaHandler
    private let log: @Sendable (String) -> Void

    /// A loop taking invocations from `runtime` to `handler`; `log` hears one line per invocation.
    public init(runtime: LambdaRuntimeClient, handler: LambdaHandler, log: @escaping @Sendable (String) -> Void) {
        self.runtime = runtime
        self.handler = handler
        self.log = log
    }

    /// Serves invocations until a graceful shutdown; throws when the Runtime API fails.
    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let invocation: LambdaInvocation
            do {
                invocation = try await cancelWhenGracefulShutdown { try await self.runtime.next() }
            } catch {
                // Shutting down while waiting: the cancelled wait is the end, not a failure.
                if Task.isShuttingDownGracefully || Task.isCancelled { return }
                throw error
            }
            let (reply, line) = await handler.handle(invocation)
            switch reply {
            case .response(let body): try await runtime.respond(to: invocation.requestID, with: body)
            case .error(let report): try await runtime.fail(invocation.requestID, with: report)
            }
            log(line)
        }
    }
}
