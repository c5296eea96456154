import Foundation

/// An annotator's half-price asynchronous mode: requests written as lines of one file, uploaded,
/// submitted as one job, and collected later by key (`process --batch`). Each line is the same
/// request the synchronous call sends, and each result is checked the same way.
public protocol BatchAnnotator: Sendable {
    /// How messages name the service, e.g. "the Gemini Batch API".
    var service: String { get }
    /// The most requests one job takes (the API's documented limits, with room to spare).
    var maxRequestsPerJob: Int { get }
    /// The most bytes one request file may have.
    var maxFileBytes: Int { get }
    /// One JSONL line (without its newline) asking for `input`'s annotation under `key`.
    func requestLine(key: String, for input: AnnotationInput) throws -> Data
    /// Uploads the request file; returns the service's name for it (e.g. `files/abc`).
    func upload(file: URL, bytes: Int, displayName: String) async throws -> String
    /// Submits the uploaded file as one job named `displayName`. Not idempotent: the caller
    /// records its intent first and reconciles with `find` after a crash.
    func create(inputFile: String, displayName: String) async throws -> BatchJobSnapshot
    /// The job created under `displayName`, if the service has one (to adopt a job whose
    /// creation was cut off before its name was recorded).
    func find(displayName: String) async throws -> BatchJobSnapshot?
    /// The job's state now.
    func poll(_ name: String) async throws -> BatchJobSnapshot
    /// Asks the service to stop the job.
    func cancel(_ name: String) async throws
    /// The results of a finished job whose output exists, one per line, in the order the
    /// service wrote them (which is not the input's: match them by key).
    func results(of job: BatchJobSnapshot) async throws -> [BatchLineResult]
    /// Deletes an uploaded file the service no longer needs (best effort).
    func deleteFile(_ name: String) async
}

/// A job as the service reports it.
public struct BatchJobSnapshot: Sendable, Equatable {
    /// The service's name, e.g. `batches/abc`.
    public var name: String
    /// Where it is.
    public var state: BatchJobState
    /// Requests in the job (0 when not reported).
    public var requests: Int
    /// Requests answered.
    public var succeeded: Int
    /// Requests that failed.
    public var failed: Int
    /// The results file, once written (a job can report success before it exists).
    public var outputFile: String?
    /// The errors file, when the service keeps failures apart (OpenAI).
    public var errorFile: String?
    /// Why the job as a whole failed, when it did.
    public var error: String?

    /// A snapshot of job `name`.
    public init(
        name: String, state: BatchJobState, requests: Int = 0, succeeded: Int = 0, failed: Int = 0, outputFile: String? = nil,
        errorFile: String? = nil, error: String? = nil
    ) {
        self.name = name
        self.state = state
        self.requests = requests
        self.succeeded = succeeded
        self.failed = failed
        self.outputFile = outputFile
        self.errorFile = errorFile
        self.error = error
    }

    /// Whether the results can be read now: finished, with its output written (OpenAI also
    /// delivers the finished part of an expired or cancelled batch).
    public var hasResults: Bool { [.succeeded, .cancelled, .expired].contains(state) && (outputFile != nil || errorFile != nil) }
}

/// A job's state, the same words for every service.
public enum BatchJobState: String, Sendable, CaseIterable, Codable {
    case pending, running, succeeded, failed, cancelled, expired

    /// Pending or running: its tasks are still the job's.
    public var isInFlight: Bool { self == .pending || self == .running }
}

/// One line of a job's results.
public struct BatchLineResult: Sendable {
    /// The key the request was sent with; nil when the line has none (never matched by position).
    public var key: String?
    /// The annotation, or why there is none (checked as the synchronous answer is).
    public var outcome: Result<Annotation, AnnotationError>

    /// A result line for `key`.
    public init(key: String?, outcome: Result<Annotation, AnnotationError>) {
        self.key = key
        self.outcome = outcome
    }
}
