import AnnotateCore
import Foundation
import Logging

/// Gemini's Batch API for `process --batch`: the request file is uploaded with the Files API's
/// resumable protocol (in 8 MiB chunks, never read whole), submitted with
/// `models/{model}:batchGenerateContent`, polled, and its results file downloaded and read by
/// key. Each line is built by `GeminiAnnotator.request(for:tier:)` and each answer checked by
/// `GeminiAnnotator.annotation(from:tier:)`, so batch and synchronous calls ask and check alike.
public struct GeminiBatchClient: BatchAnnotator {
    let annotator: GeminiAnnotator
    let transport: any HTTPTransport
    let logger: Logger
    /// Bytes per upload request.
    var chunkBytes = 8 << 20

    /// A client for the annotator's model, key and endpoint.
    public init(annotator: GeminiAnnotator, transport: any HTTPTransport, logger: Logger) {
        self.annotator = annotator
        self.transport = transport
        self.logger = logger
    }

    /// Names the API in messages.
    public var service: String { "the Gemini Batch API" }
    /// No count limit is documented; kept to a size where one expiry loses little.
    public var maxRequestsPerJob: Int { 50_000 }
    /// The documented 2 GB per input file, with room to spare.
    public var maxFileBytes: Int { 1_900_000_000 }

    var settings: GeminiAnnotator.Settings { annotator.settings }
    var base: URL { settings.baseURL }
    var key: Secret { settings.apiKey }

    /// `{"key", "request"}` with the synchronous request.
    public func requestLine(key: String, for input: AnnotationInput) throws -> Data {
        try JSONEncoder().encode(GeminiBatchWire.Line(key: key, request: annotator.request(for: input, tier: .batch)))
    }

    /// Starts a resumable upload, then sends the file in chunks, the last one finalizing.
    public func upload(file: URL, bytes: Int, displayName: String) async throws -> String {
        let start = try JSONEncoder().encode(
            GeminiBatchWire.UploadStart(file: .init(display_name: displayName, mime_type: "jsonl", size_bytes: bytes)))
        let started = try await send(
            "POST", base.appendingPathComponent("upload/v1beta/files"), body: start,
            headers: [
                "Content-Type": "application/json", "X-Goog-Upload-Protocol": "resumable", "X-Goog-Upload-Command": "start",
                "X-Goog-Upload-Header-Content-Length": "\(bytes)", "X-Goog-Upload-Header-Content-Type": "jsonl",
            ])
        guard let location = started.headers["x-goog-upload-url"], let session = URL(string: location) else {
            throw BatchServiceError.unavailable("\(service) did not start the upload (no x-goog-upload-url in its answer)")
        }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        var offset = 0
        while true {
            let chunk = try handle.read(upToCount: chunkBytes) ?? Data()
            let last = offset + chunk.count >= bytes
            // The session URL carries the authority: the key is not sent again.
            let answer = try await send(
                "POST", session, body: chunk, authorized: false, timeout: .seconds(600),
                headers: ["X-Goog-Upload-Command": last ? "upload, finalize" : "upload", "X-Goog-Upload-Offset": "\(offset)"])
            offset += chunk.count
            guard last else { continue }
            guard answer.headers["x-goog-upload-status"] == "final",
                let uploaded = try? JSONDecoder().decode(GeminiBatchWire.FileEnvelope.self, from: answer.body)
            else {
                throw BatchServiceError.unavailable(
                    "\(service) did not finish the upload of \(displayName) (status \(answer.headers["x-goog-upload-status"] ?? "missing"))")
            }
            if let state = uploaded.file.state, state == "FAILED" {
                throw BatchServiceError.refused("\(service) could not process the uploaded request file \(uploaded.file.name)")
            }
            return uploaded.file.name
        }
    }

    /// `POST models/{model}:batchGenerateContent` with the file.
    public func create(inputFile: String, displayName: String) async throws -> BatchJobSnapshot {
        let body = try JSONEncoder().encode(
            GeminiBatchWire.Create(batch: .init(displayName: displayName, inputConfig: .init(fileName: inputFile))))
        let answer = try await send(
            "POST", GeminiAnnotator.modelURL(baseURL: base, model: annotator.model, method: "batchGenerateContent"), body: body,
            headers: ["Content-Type": "application/json"])
        return try snapshot(answer.body, asked: "create the batch job \(displayName)")
    }

    /// Lists the jobs (newest first, a page at a time) for the one with `displayName`.
    public func find(displayName: String) async throws -> BatchJobSnapshot? {
        var token: String?
        for _ in 0..<50 {
            var components = URLComponents(url: base.appendingPathComponent("v1beta/batches"), resolvingAgainstBaseURL: false)!
            components.queryItems =
                [URLQueryItem(name: "pageSize", value: "100")] + (token.map { [URLQueryItem(name: "pageToken", value: $0)] } ?? [])
            let answer = try await send("GET", components.url!)
            guard let page = try? JSONDecoder().decode(GeminiBatchWire.List.self, from: answer.body) else {
                throw BatchServiceError.unavailable("\(service) answered the job list with something unreadable")
            }
            if let match = page.operations?.first(where: { $0.metadata?.displayName == displayName }) {
                return try Self.snapshot(match)
            }
            guard let next = page.nextPageToken, !next.isEmpty else { return nil }
            token = next
        }
        return nil
    }

    /// `GET batches/{id}`.
    public func poll(_ name: String) async throws -> BatchJobSnapshot {
        let answer = try await send("GET", base.appendingPathComponent("v1beta/\(name)"))
        return try snapshot(answer.body, asked: "read the batch job \(name)")
    }

    /// `POST batches/{id}:cancel`.
    public func cancel(_ name: String) async throws {
        _ = try await send("POST", base.appendingPathComponent("v1beta/\(name):cancel"), body: Data())
    }

    /// Downloads the results file and reads each line: by its key only, never its position.
    public func results(of job: BatchJobSnapshot) async throws -> [BatchLineResult] {
        guard let file = job.outputFile else { return [] }
        var components = URLComponents(url: base.appendingPathComponent("v1beta/\(file):download"), resolvingAgainstBaseURL: false)!
        components.queryItems = [URLQueryItem(name: "alt", value: "media")]
        let answer = try await send("GET", components.url!, timeout: .seconds(600))
        return answer.body.split(separator: UInt8(ascii: "\n")).compactMap { line in
            let text = line.drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }
            guard !text.isEmpty else { return nil }
            return result(ofLine: Data(text))
        }
    }

    /// One results line: an answer checked as the synchronous path checks it, or a failure.
    func result(ofLine line: Data) -> BatchLineResult {
        guard let parsed = try? JSONDecoder().decode(GeminiBatchWire.ResultLine.self, from: line) else {
            return BatchLineResult(key: nil, outcome: .failure(.permanent("an unreadable line in the batch results")))
        }
        let key = parsed.key.flatMap { $0.isEmpty ? nil : $0 }
        if let status = parsed.error ?? parsed.status {
            let said = "the batch job answered this request with error \(status.code ?? 0): \(status.message ?? "no message")"
            return BatchLineResult(key: key, outcome: .failure(.transient(settings.apiKey.redact(said))))
        }
        guard let response = parsed.response else {
            return BatchLineResult(key: key, outcome: .failure(.permanent("a batch result line with neither a response nor an error")))
        }
        do {
            return BatchLineResult(key: key, outcome: .success(try annotator.annotation(from: response, tier: .batch)))
        } catch {
            return BatchLineResult(key: key, outcome: .failure(error))
        }
    }

    /// `DELETE files/{id}`, ignoring failures (the service expires files after 48 h anyway).
    public func deleteFile(_ name: String) async {
        _ = try? await send("DELETE", base.appendingPathComponent("v1beta/\(name)"))
    }

    // MARK: - Wire

    func snapshot(_ body: Data, asked: String) throws -> BatchJobSnapshot {
        guard let operation = try? JSONDecoder().decode(GeminiBatchWire.Operation.self, from: body) else {
            throw BatchServiceError.unavailable("\(service) answered with something unreadable when asked to \(asked)")
        }
        let snapshot = try Self.snapshot(operation)
        if let state = operation.metadata?.state, !Self.knownStates.contains(state) {
            logger.warning(
                "the Gemini Batch API reports a job state this version does not know; treating it as still running",
                metadata: ["job": "\(snapshot.name)", "state": "\(state)"])
        }
        return snapshot
    }

    /// The states the wire is documented to carry.
    static let knownStates: Set<String> = Set(
        ["PENDING", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "EXPIRED"].flatMap { ["BATCH_STATE_\($0)", "JOB_STATE_\($0)"] })

    /// The state by its suffix (`BATCH_STATE_…` on the wire, `JOB_STATE_…` in SDKs), the counts
    /// absent when zero, the output from either place it is written.
    static func snapshot(_ operation: GeminiBatchWire.Operation) throws -> BatchJobSnapshot {
        guard let name = operation.name ?? operation.metadata?.name else {
            throw BatchServiceError.unavailable("the Gemini Batch API answered with a job that has no name")
        }
        let raw = operation.metadata?.state ?? "BATCH_STATE_UNSPECIFIED"
        let word = raw.replacingOccurrences(of: "BATCH_STATE_", with: "").replacingOccurrences(of: "JOB_STATE_", with: "")
        var state: BatchJobState =
            switch word {
            case "SUCCEEDED", "PARTIALLY_SUCCEEDED": .succeeded
            case "FAILED": .failed
            case "CANCELLED": .cancelled
            case "EXPIRED": .expired
            case "PENDING", "QUEUED": .pending
            default: .running
            }
        if operation.done == true && state.isInFlight { state = operation.error == nil ? .succeeded : .failed }
        let stats = operation.metadata?.batchStats
        return BatchJobSnapshot(
            name: name, state: state, requests: stats?.requestCount?.value ?? 0, succeeded: stats?.successfulRequestCount?.value ?? 0,
            failed: stats?.failedRequestCount?.value ?? 0,
            outputFile: operation.metadata?.output?.responsesFile ?? operation.response?.responsesFile,
            error: operation.error.map { "error \($0.code ?? 0): \($0.message ?? "no message")" })
    }

    /// Sends one call with the key (unless `authorized` is false), sorting failures: unreachable
    /// or 5xx is unavailable, 404 on the batch endpoints unsupported, other 4xx refused.
    func send(
        _ method: String, _ url: URL, body: Data = Data(), authorized: Bool = true, timeout: Duration = .seconds(60),
        headers: [String: String] = [:]
    ) async throws -> TransportResponse {
        var all = headers
        if authorized { all["x-goog-api-key"] = key.reveal() }
        return try await BatchExchange(service: service, transport: transport).send(
            TransportRequest(method: method, url: url, headers: all, body: body, timeout: timeout),
            message: { response in
                let error = try? JSONDecoder().decode(GeminiWire.ErrorBody.self, from: response.body)
                return key.redact(error?.error.message ?? AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self)))
            },
            unsupported: { request in
                let path = request.url.path
                guard path.hasSuffix(":batchGenerateContent") || path.hasSuffix("/files") else { return nil }
                return "\(service) is not offered at \(base.absoluteString) (\(request.method) \(path) answered 404)"
            })
    }
}
