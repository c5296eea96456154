import AnnotateCore
import AnnotateHTTPClient
import AnnotateLambda
import AnnotatePipeline

extension LambdaRuntimeClient {
    /// A client of the Runtime API at `address` over its own HTTP client (no read timeout: the
    /// wait for the next invocation has none). `shutdown()` it when done.
    public static func connecting(to address: String) -> LambdaRuntimeClient {
        LambdaRuntimeClient(address: address, transport: NIOHTTPTransport(maximumConnections: 2))
    }
}

extension Components {
    /// `lambda`'s parts: every invocation's events through the event processor, with the
    /// configured tasks (`--only`), jobs and lease.
    public func lambdaHandler() throws -> LambdaHandler {
        let options = pipelineOptions()
        let pipeline = try pipeline(tasks: options.tasks)
        return LambdaHandler(processor: try eventProcessor(pipeline: pipeline), options: options)
    }

    /// Checks what every invocation needs before the first one: the stores answer and the
    /// database does (it was opened and migrated already; this reads through it).
    public func verifyForLambda() async throws {
        try await verifyStores()
        _ = try await metadata.records(after: nil, limit: 1, filter: .all)
    }
}
