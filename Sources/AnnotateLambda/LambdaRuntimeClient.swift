import AnnotateCore
import Foundation

/// One invocation handed out by `GET /runtime/invocation/next`.
public struct LambdaInvocation: Sendable, Equatable {
    /// `Lambda-Runtime-Aws-Request-Id`: where the answer goes.
    public var requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: when the platform stops the function.
    public var deadline: Date
    /// `Lambda-Runtime-Invoked-Function-Arn`, when sent.
    public var functionARN: String?
    /// `Lambda-Runtime-Trace-Id` (X-Ray), when sent.
    public var traceID: String?
    /// The event.
    public var body: Data

    /// An invocation.
    public init(requestID: String, deadline: Date, functionARN: String? = nil, traceID: String? = nil, body: Data) {
        self.requestID = requestID
        self.deadline = deadline
        self.functionARN = functionARN
        self.traceID = traceID
        self.body = body
    }
}

/// An error as the Runtime API takes it: `{"errorType", "errorMessage"}`.
public struct LambdaErrorReport: Sendable, Equatable, Encodable {
    /// `Category.Reason`, e.g. `Runtime.ConfigInvalid`.
    public var errorType: String
    /// What went wrong, for whoever reads the invocation's result (never a secret).
    public var errorMessage: String

    /// A report of `errorType`; the message is cut to 4 KB.
    public init(errorType: String, errorMessage: String) {
        self.errorType = errorType
        self.errorMessage = errorMessage.count > 4096 ? String(errorMessage.prefix(4093)) + "..." : errorMessage
    }
}

/// The Lambda Runtime API's client: `next`, `response`, `error`, `init/error` under
/// `http://$AWS_LAMBDA_RUNTIME_API/2018-06-01`.
public struct LambdaRuntimeClient: Sendable {
    /// Why the Runtime API could not be used.
    public struct Failure: Error, CustomStringConvertible, ExitStatusProviding {
        /// What failed.
        public let description: String
        /// 69: the platform's own API is not answering as it should.
        public var exitStatus: ExitStatus { .unavailable }
    }

    private let base: String
    private let transport: any HTTPTransport

    /// A client of the API at `address` (`host:port`, as `AWS_LAMBDA_RUNTIME_API` gives it).
    public init(address: String, transport: any HTTPTransport) {
        base = "http://\(address)/2018-06-01/runtime"
        self.transport = transport
    }

    /// Waits for the next invocation. No timeout: the platform may freeze the process while it waits.
    public func next() async throws -> LambdaInvocation {
        let response = try await send("GET", "/invocation/next", body: Data(), timeout: .seconds(366 * 86_400))
        guard response.status == 200, let requestID = response.headers["lambda-runtime-aws-request-id"], !requestID.isEmpty else {
            throw Failure(description: "the Runtime API answered /next with HTTP \(response.status) and no request id")
        }
        let deadline = response.headers["lambda-runtime-deadline-ms"].flatMap(Double.init).map { Date(timeIntervalSince1970: $0 / 1000) }
        return LambdaInvocation(
            requestID: requestID, deadline: deadline ?? Date().addingTimeInterval(900),
            functionARN: response.headers["lambda-runtime-invoked-function-arn"], traceID: response.headers["lambda-runtime-trace-id"],
            body: response.body)
    }

    /// Posts the invocation's result.
    public func respond(to requestID: String, with body: Data) async throws {
        try await post("/invocation/\(requestID)/response", body: body, errorType: nil)
    }

    /// Posts the invocation's failure.
    public func fail(_ requestID: String, with error: LambdaErrorReport) async throws {
        try await post("/invocation/\(requestID)/error", body: try JSONEncoder().encode(error), errorType: error.errorType)
    }

    /// Reports a failure before the first `next` (bad configuration, unreachable database).
    public func failInitialisation(with error: LambdaErrorReport) async throws {
        try await post("/init/error", body: try JSONEncoder().encode(error), errorType: error.errorType)
    }

    /// Closes the client's connections.
    public func shutdown() async { await transport.shutdown() }

    private func post(_ path: String, body: Data, errorType: String?) async throws {
        var headers = ["Content-Type": "application/json"]
        if let errorType { headers["Lambda-Runtime-Function-Error-Type"] = errorType }
        let response = try await send("POST", path, body: body, headers: headers, timeout: .seconds(30))
        guard (200..<300).contains(response.status) else {
            let detail = String(decoding: response.body.prefix(300), as: UTF8.self)
            throw Failure(description: "the Runtime API refused \(path) with HTTP \(response.status): \(detail)")
        }
    }

    private func send(
        _ method: String, _ path: String, body: Data, headers: [String: String] = [:], timeout: Duration
    ) async throws
        -> TransportResponse
    {
        guard let url = URL(string: base + path) else { throw Failure(description: "\(base + path) is not a URL") }
        do {
            return try await transport.send(TransportRequest(method: method, url: url, headers: headers, body: body, timeout: timeout))
        } catch let error as HTTPTransportError {
            throw Failure(description: "the Runtime API at \(base) did not answer: \(error)")
        }
    }
}
