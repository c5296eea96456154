import AnnotateCore
import Foundation

/// The OpenAI Batch API for `process --batch` with `--annotator openai`: the request file
/// (`custom_id` per line, each body the synchronous `chat/completions` request) is uploaded to
/// `files` with `purpose=batch`, submitted to `batches` with a 24 h window, polled, and its output
/// and error files read by `custom_id`. A server without the API (Ollama, LM Studio, llama.cpp)
/// answers 404, which is said plainly, naming the endpoint.
public struct OpenAIBatchClient: BatchAnnotator {
    let annotator: OpenAIAnnotator
    let transport: any HTTPTransport

    /// A client for the annotator's server, key and model.
    public init(annotator: OpenAIAnnotator, transport: any HTTPTransport) {
        self.annotator = annotator
        self.transport = transport
    }

    /// Names the API in messages.
    public var service: String { "the OpenAI Batch API at \(base.absoluteString)" }
    /// OpenAI's documented 50,000 requests per file.
    public var maxRequestsPerJob: Int { 50_000 }
    /// OpenAI's documented 200 MB per file, with room to spare.
    public var maxFileBytes: Int { 190_000_000 }

    var base: URL { annotator.settings.baseURL }

    struct Line: Encodable {
        let custom_id: String
        let method: String
        let url: String
        let body: OpenAIAnnotator.Request
    }

    struct FileObject: Decodable {
        let id: String
        let status: String?
    }

    struct Batch: Decodable {
        struct Counts: Decodable {
            let total: Int?
            let completed: Int?
            let failed: Int?
        }
        struct Errors: Decodable {
            struct Item: Decodable {
                let code: String?
                let message: String?
                let line: Int?
            }
            let data: [Item]?
        }
        let id: String
        let status: String
        let output_file_id: String?
        let error_file_id: String?
        let request_counts: Counts?
        let errors: Errors?
        let metadata: [String: String]?
    }

    struct BatchList: Decodable {
        let data: [Batch]
        let has_more: Bool?
        let last_id: String?
    }

    /// `{"custom_id", "method", "url", "body"}` with the synchronous body.
    public func requestLine(key: String, for input: AnnotationInput) throws -> Data {
        try JSONEncoder().encode(
            Line(custom_id: key, method: "POST", url: "/v1/chat/completions", body: annotator.request(for: input, tier: .batch)))
    }

    /// `POST files` (multipart: `purpose=batch`, the file).
    public func upload(file: URL, bytes: Int, displayName: String) async throws -> String {
        let boundary = "annotate-\(UUID().uuidString)"
        var body = Data()
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nbatch\r\n".utf8))
        body.append(
            Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(displayName).jsonl\"\r\nContent-Type: application/jsonl\r\n\r\n"
                    .utf8))
        body.append(try Data(contentsOf: file))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let answer = try await send(
            "POST", base.appendingPathComponent("files"), body: body, timeout: .seconds(600),
            headers: ["Content-Type": "multipart/form-data; boundary=\(boundary)"])
        guard let object = try? JSONDecoder().decode(FileObject.self, from: answer.body) else {
            throw BatchServiceError.unavailable("\(service) answered the upload with something unreadable")
        }
        return object.id
    }

    /// `POST batches` for the file, named by `metadata.annotate_job`.
    public func create(inputFile: String, displayName: String) async throws -> BatchJobSnapshot {
        let body = try JSONSerialization.data(withJSONObject: [
            "input_file_id": inputFile, "endpoint": "/v1/chat/completions", "completion_window": "24h",
            "metadata": ["annotate_job": displayName],
        ])
        let answer = try await send("POST", base.appendingPathComponent("batches"), body: body, headers: ["Content-Type": "application/json"])
        return try snapshot(answer.body)
    }

    /// Pages through `batches` for the one whose metadata names `displayName`.
    public func find(displayName: String) async throws -> BatchJobSnapshot? {
        var after: String?
        for _ in 0..<50 {
            var components = URLComponents(url: base.appendingPathComponent("batches"), resolvingAgainstBaseURL: false)!
            components.queryItems = [URLQueryItem(name: "limit", value: "100")] + (after.map { [URLQueryItem(name: "after", value: $0)] } ?? [])
            let answer = try await send("GET", components.url!)
            guard let page = try? JSONDecoder().decode(BatchList.self, from: answer.body) else {
                throw BatchServiceError.unavailable("\(service) answered the batch list with something unreadable")
            }
            if let match = page.data.first(where: { $0.metadata?["annotate_job"] == displayName }) { return Self.snapshot(match) }
            guard page.has_more == true, let last = page.last_id ?? page.data.last?.id else { return nil }
            after = last
        }
        return nil
    }

    /// `GET batches/{id}`.
    public func poll(_ name: String) async throws -> BatchJobSnapshot {
        try snapshot(try await send("GET", base.appendingPathComponent("batches/\(name)")).body)
    }

    /// `POST batches/{id}/cancel`.
    public func cancel(_ name: String) async throws {
        _ = try await send("POST", base.appendingPathComponent("batches/\(name)/cancel"), body: Data())
    }

    /// The output and error files' lines, by `custom_id`.
    public func results(of job: BatchJobSnapshot) async throws -> [BatchLineResult] {
        var lines: [BatchLineResult] = []
        for file in [job.outputFile, job.errorFile].compactMap({ $0 }) {
            let answer = try await send("GET", base.appendingPathComponent("files/\(file)/content"), timeout: .seconds(600))
            for line in answer.body.split(separator: UInt8(ascii: "\n")) where !line.allSatisfy({ $0 == 0x20 || $0 == 0x0D }) {
                lines.append(result(ofLine: Data(line)))
            }
        }
        return lines
    }

    /// One output or error line: a 200 body checked as the synchronous answer is; a non-200 body
    /// sorted as the synchronous call sorts that status; a request not run (expired, cancelled)
    /// tried again.
    func result(ofLine line: Data) -> BatchLineResult {
        guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else {
            return BatchLineResult(key: nil, outcome: .failure(.permanent("an unreadable line in the batch results")))
        }
        let key = (object["custom_id"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        guard let response = object["response"] as? [String: Any], let status = response["status_code"] as? Int else {
            let error = object["error"] as? [String: Any]
            let reason =
                "the batch did not run this request (\(error?["code"] as? String ?? "no code")): \(error?["message"] as? String ?? "no message")"
            return BatchLineResult(key: key, outcome: .failure(.transient(reason)))
        }
        let body = response["body"].flatMap { try? JSONSerialization.data(withJSONObject: $0) } ?? Data()
        do {
            return BatchLineResult(
                key: key, outcome: .success(try annotator.interpret(TransportResponse(status: status, headers: [:], body: body), tier: .batch)))
        } catch {
            return BatchLineResult(key: key, outcome: .failure(error))
        }
    }

    /// `DELETE files/{id}`, ignoring failures.
    public func deleteFile(_ name: String) async {
        _ = try? await send("DELETE", base.appendingPathComponent("files/\(name)"))
    }

    func snapshot(_ body: Data) throws -> BatchJobSnapshot {
        guard let batch = try? JSONDecoder().decode(Batch.self, from: body) else {
            throw BatchServiceError.unavailable("\(service) answered with something unreadable")
        }
        return Self.snapshot(batch)
    }

    /// The states in the common words; an empty file id is none (as a clean batch reports it).
    static func snapshot(_ batch: Batch) -> BatchJobSnapshot {
        let state: BatchJobState =
            switch batch.status {
            case "validating": .pending
            case "completed": .succeeded
            case "failed": .failed
            case "expired": .expired
            case "cancelled": .cancelled
            default: .running  // in_progress, finalizing, cancelling
            }
        let errors = batch.errors?.data?.map { "\($0.line.map { "line \($0): " } ?? "")\($0.message ?? $0.code ?? "error")" }
        let counts = batch.request_counts
        return BatchJobSnapshot(
            name: batch.id, state: state, requests: counts?.total ?? 0, succeeded: counts?.completed ?? 0, failed: counts?.failed ?? 0,
            outputFile: batch.output_file_id.flatMap { $0.isEmpty ? nil : $0 }, errorFile: batch.error_file_id.flatMap { $0.isEmpty ? nil : $0 },
            error: errors.map { $0.joined(separator: "; ") })
    }

    /// One call with the bearer key; 404 on `files` or `batches` means no Batch API here.
    func send(
        _ method: String, _ url: URL, body: Data = Data(), timeout: Duration = .seconds(60), headers: [String: String] = [:]
    ) async throws -> TransportResponse {
        var all = headers
        let key = annotator.settings.apiKey
        if let key { all["Authorization"] = "Bearer \(key.reveal())" }
        return try await BatchExchange(service: service, transport: transport).send(
            TransportRequest(method: method, url: url, headers: all, body: body, timeout: timeout),
            message: { response in
                let text =
                    (try? JSONDecoder().decode(OpenAIAnnotator.ErrorBody.self, from: response.body))?.error.message
                    ?? AnnotationAnswer.preview(String(decoding: response.body, as: UTF8.self))
                return key?.redact(text) ?? text
            },
            unsupported: { request in
                let path = request.url.path
                guard path.hasSuffix("/files") || path.hasSuffix("/batches") else { return nil }
                return "the server at \(base.absoluteString) offers no Batch API (\(request.method) \(path) answered 404); run without --batch"
            })
    }
}
