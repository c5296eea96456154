import Foundation

/// Gemini's Batch and Files API as `gemini-batch-facts.md` gives the wire: a resumable upload
/// (start, then chunks at their offsets, the last finalizing), `batchGenerateContent` with a
/// file, Operations with `BATCH_STATE_*`, string counts omitted when zero and the output in both
/// places, list with paging, cancel, both download paths. Results are shuffled; a job's script
/// can drop a key, answer a line with an error, report success before its output exists,
/// expire, fail or stay running. Every batch line is checked as a synchronous request is.
final class FakeGeminiBatch: @unchecked Sendable {
    /// How one created job behaves, in creation order (after the script: succeed at the first poll).
    struct Script {
        /// Polls answered PENDING/RUNNING before the end state.
        var pollsBeforeEnd = 0
        /// The state it ends in.
        var end: End = .succeeded
        /// Polls that report SUCCEEDED before the output file exists.
        var succeededWithoutOutput = 0
        /// The first result line loses its key.
        var dropFirstKey = false
        /// The second result line is an error (`"status"` instead of `"error"` when `statusVariant`).
        var errorSecondLine = false
        var statusVariant = false

        enum End { case succeeded, failed, expired, running }
    }

    struct Job {
        var name: String
        var displayName: String
        var model: String
        var inputFile: String
        var keys: [String]
        var script: Script
        var polls = 0
        var state = "BATCH_STATE_PENDING"
        var outputFile: String?
        var created = Date()
    }

    private let lock = NSLock()
    private let baseURL: String
    private let check: ([String: Any]) -> Result<(Int, String, String?), FakeGemini.Refusal>
    private var uploads: [String: (displayName: String, expected: Int, received: Data)] = [:]
    private var files: [String: Data] = [:]
    private var jobs: [Job] = []
    private var scripts: [Script] = []
    private var next = 0
    /// Every answer waits this long (for kill tests: a run is cut off mid-call).
    var delay: TimeInterval = 0
    /// Answer the next create with 429 RESOURCE_EXHAUSTED (the enqueued-token limit).
    var refuseNextCreate = false
    /// Problems a real API would refuse.
    private(set) var violations: [String] = []
    /// Cancels received, by job name.
    private(set) var cancelled: [String] = []
    /// Files deleted.
    private(set) var deleted: [String] = []

    init(baseURL: String, check: @escaping ([String: Any]) -> Result<(Int, String, String?), FakeGemini.Refusal>) {
        self.baseURL = baseURL
        self.check = check
    }

    /// Scripts for the next jobs created.
    func script(_ scripts: [Script]) { lock.withLock { self.scripts += scripts } }

    /// The keys of every job created, per job.
    var jobKeys: [[String]] { lock.withLock { jobs.map(\.keys) } }
    /// The jobs created.
    var created: [Job] { lock.withLock { jobs } }

    static func handles(_ request: LoopbackHTTPServer.Request) -> Bool {
        request.path.hasPrefix("/upload/v1beta/files") || request.path.hasPrefix("/v1beta/batches") || request.path.hasPrefix("/v1beta/files/")
            || request.path.hasPrefix("/download/v1beta/files/") || request.path.hasSuffix(":batchGenerateContent")
    }

    func handle(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        var response = lock.withLock { route(request) }
        response.delay = delay
        return response
    }

    private func fail(_ status: Int, _ message: String, _ canonical: String) -> LoopbackHTTPServer.Response {
        violations.append(message)
        return .json(status, ["error": ["code": status, "message": message, "status": canonical]])
    }

    private func route(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let path = request.path
        switch (request.method, path) {
        case ("POST", "/upload/v1beta/files") where request.query.isEmpty: return startUpload(request)
        case ("POST", "/upload/v1beta/files"): return uploadChunk(request)
        case ("POST", _) where path.hasSuffix(":batchGenerateContent"): return create(request)
        case ("GET", "/v1beta/batches"): return list(request)
        case ("GET", _) where path.hasPrefix("/v1beta/batches/"): return get(String(path.dropFirst("/v1beta/".count)))
        case ("POST", _) where path.hasPrefix("/v1beta/batches/") && path.hasSuffix(":cancel"):
            return cancel(String(path.dropFirst("/v1beta/".count).dropLast(":cancel".count)))
        case ("GET", _) where path.hasSuffix(":download"):
            guard request.query.contains("alt=media") else { return fail(400, "download needs alt=media", "INVALID_ARGUMENT") }
            let name = path.replacingOccurrences(of: "/download/v1beta/", with: "").replacingOccurrences(of: "/v1beta/", with: "")
                .replacingOccurrences(of: ":download", with: "")
            guard let data = files[name] else {
                return .json(404, ["error": ["code": 404, "message": "File \(name) not found", "status": "NOT_FOUND"]])
            }
            return LoopbackHTTPServer.Response(status: 200, headers: ["Content-Type": "application/octet-stream"], body: data)
        case ("DELETE", _) where path.hasPrefix("/v1beta/files/"):
            let name = String(path.dropFirst("/v1beta/".count))
            files[name] = nil
            deleted.append(name)
            return .json(200, [:] as [String: Any])
        default:
            return fail(404, "unknown batch path \(request.method) \(path)", "NOT_FOUND")
        }
    }

    private func startUpload(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard request.headers["x-goog-upload-protocol"] == "resumable", request.headers["x-goog-upload-command"] == "start",
            let length = request.headers["x-goog-upload-header-content-length"].flatMap(Int.init),
            let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any], let file = body["file"] as? [String: Any]
        else { return fail(400, "a resumable upload starts with its protocol, command, length and file metadata", "INVALID_ARGUMENT") }
        let display = (file["display_name"] ?? file["displayName"]) as? String ?? ""
        next += 1
        let id = "u\(next)"
        uploads[id] = (display, length, Data())
        return LoopbackHTTPServer.Response(
            status: 200, headers: ["x-goog-upload-url": "\(baseURL)/upload/v1beta/files?upload_id=\(id)&upload_protocol=resumable"],
            body: Data())
    }

    private func uploadChunk(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard let id = request.query.split(separator: "&").first(where: { $0.hasPrefix("upload_id=") }).map({ String($0.dropFirst(10)) }),
            var upload = uploads[id]
        else { return fail(404, "unknown upload session", "NOT_FOUND") }
        if request.headers["x-goog-api-key"] != nil { violations.append("the SDK sends no key with the upload's bytes") }
        let command = request.headers["x-goog-upload-command"] ?? ""
        guard request.headers["x-goog-upload-offset"].flatMap(Int.init) == upload.received.count else {
            return fail(400, "X-Goog-Upload-Offset does not match the bytes received", "INVALID_ARGUMENT")
        }
        upload.received.append(request.body)
        uploads[id] = upload
        guard command == "upload, finalize" else {
            return LoopbackHTTPServer.Response(status: 200, headers: ["x-goog-upload-status": "active"], body: Data())
        }
        guard upload.received.count == upload.expected else {
            return fail(400, "uploaded \(upload.received.count) bytes, announced \(upload.expected)", "INVALID_ARGUMENT")
        }
        next += 1
        let name = "files/in\(next)"
        files[name] = upload.received
        uploads[id] = nil
        var response = LoopbackHTTPServer.Response.json(
            200,
            [
                "file": [
                    "name": name, "displayName": upload.displayName, "mimeType": "jsonl", "sizeBytes": "\(upload.expected)",
                    "state": "ACTIVE", "source": "UPLOADED", "uri": "\(baseURL)/v1beta/\(name)",
                ]
            ])
        response.headers["x-goog-upload-status"] = "final"
        return response
    }

    private func create(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        if refuseNextCreate {
            refuseNextCreate = false
            return .json(429, ["error": ["code": 429, "message": "Enqueued token limit exceeded for this model.", "status": "RESOURCE_EXHAUSTED"]])
        }
        let model = String(request.path.dropFirst("/v1beta/models/".count).dropLast(":batchGenerateContent".count))
        guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any], let batch = body["batch"] as? [String: Any],
            let display = batch["displayName"] as? String, let input = batch["inputConfig"] as? [String: Any],
            let fileName = input["fileName"] as? String
        else { return fail(400, "batch.displayName and batch.inputConfig.fileName are required", "INVALID_ARGUMENT") }
        guard let data = files[fileName] else { return fail(400, "File \(fileName) not found", "INVALID_ARGUMENT") }
        var keys: [String] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let key = object["key"] as? String,
                let request = object["request"] as? [String: Any]
            else { return fail(400, "Error on line \(index + 1): each line needs a key and a request", "INVALID_ARGUMENT") }
            if request["serviceTier"] != nil || request["model"] != nil {
                return fail(400, "Error on line \(index + 1): no such field in a batch request", "INVALID_ARGUMENT")
            }
            if case .failure(let refusal) = check(request) {
                return fail(400, "Error on line \(index + 1): \(String(decoding: refusal.response.body, as: UTF8.self))", "INVALID_ARGUMENT")
            }
            keys.append(key)
        }
        next += 1
        let script = scripts.isEmpty ? Script() : scripts.removeFirst()
        let job = Job(name: "batches/job\(next)", displayName: display, model: model, inputFile: fileName, keys: keys, script: script)
        jobs.append(job)
        return .json(200, operation(job))
    }

    private func list(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let query = Dictionary(
            request.query.split(separator: "&").compactMap { pair -> (String, String)? in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }, uniquingKeysWith: { $1 })
        // Newest first, two a page, so finding an older job means following the page token.
        let size = min(Int(query["pageSize"] ?? "") ?? 2, 2)
        let start = Int(query["pageToken"] ?? "") ?? 0
        let ordered = Array(jobs.reversed())
        let page = ordered.dropFirst(start).prefix(size)
        var body: [String: Any] = ["operations": page.map(operation)]
        if start + size < ordered.count { body["nextPageToken"] = "\(start + size)" }
        return .json(200, body)
    }

    private func get(_ name: String) -> LoopbackHTTPServer.Response {
        guard let index = jobs.firstIndex(where: { $0.name == name }) else {
            return .json(404, ["error": ["code": 404, "message": "Batch \(name) not found", "status": "NOT_FOUND"]])
        }
        advance(&jobs[index])
        return .json(200, operation(jobs[index]))
    }

    private func cancel(_ name: String) -> LoopbackHTTPServer.Response {
        guard let index = jobs.firstIndex(where: { $0.name == name }) else { return fail(404, "Batch \(name) not found", "NOT_FOUND") }
        cancelled.append(name)
        // Straight to the terminal state, with no partial results.
        jobs[index].state = "BATCH_STATE_CANCELLED"
        return .json(200, [:] as [String: Any])
    }

    /// One poll's progress through the job's script.
    private func advance(_ job: inout Job) {
        guard
            job.state == "BATCH_STATE_PENDING" || job.state == "BATCH_STATE_RUNNING"
                || (job.state == "BATCH_STATE_SUCCEEDED" && job.outputFile == nil)
        else { return }
        job.polls += 1
        let script = job.script
        if job.polls <= script.pollsBeforeEnd || script.end == .running {
            job.state = job.polls == 1 ? "BATCH_STATE_PENDING" : "BATCH_STATE_RUNNING"
            return
        }
        switch script.end {
        case .failed: job.state = "BATCH_STATE_FAILED"
        case .expired: job.state = "BATCH_STATE_EXPIRED"
        case .running: break
        case .succeeded:
            job.state = "BATCH_STATE_SUCCEEDED"
            guard job.polls > script.pollsBeforeEnd + script.succeededWithoutOutput else { return }
            let name = "files/batch-\(job.name.dropFirst(8))"
            files[name] = results(for: job)
            job.outputFile = name
        }
    }

    /// The results file: one line per key, shuffled, with the script's faults.
    private func results(for job: Job) -> Data {
        var lines: [[String: Any]] = job.keys.map { ["key": $0, "response": FakeGemini.successBody("A batch caption.", ["batch"], 300)] }
        if job.script.errorSecondLine, lines.count > 1 {
            let failure: [String: Any] = ["code": 13, "message": "Internal error encountered."]
            lines[1] = ["key": job.keys[1], job.script.statusVariant ? "status" : "error": failure]
        }
        if job.script.dropFirstKey, !lines.isEmpty { lines[0]["key"] = nil }
        lines.shuffle()
        return Data(lines.map { String(decoding: try! JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }.joined(separator: "\n").utf8)
    }

    /// The Operation: counts as strings, zeros omitted, the output in `metadata.output` and `response`.
    private func operation(_ job: Job) -> [String: Any] {
        let done = !["BATCH_STATE_PENDING", "BATCH_STATE_RUNNING"].contains(job.state)
        var stats: [String: String] = ["requestCount": "\(job.keys.count)"]
        switch job.state {
        case "BATCH_STATE_SUCCEEDED" where job.outputFile != nil:
            let failed = job.script.errorSecondLine && job.keys.count > 1 ? 1 : 0
            stats["successfulRequestCount"] = "\(job.keys.count - failed)"
            if failed > 0 { stats["failedRequestCount"] = "\(failed)" }
        case "BATCH_STATE_PENDING", "BATCH_STATE_RUNNING":
            stats["pendingRequestCount"] = "\(job.keys.count)"
        default: break
        }
        var metadata: [String: Any] = [
            "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch", "model": "models/\(job.model)",
            "displayName": job.displayName, "inputConfig": ["fileName": job.inputFile], "state": job.state, "name": job.name,
            "batchStats": stats, "createTime": "2026-12-01T10:00:00Z", "updateTime": "2026-12-01T10:00:01Z",
        ]
        var operation: [String: Any] = ["name": job.name, "done": done]
        if let output = job.outputFile {
            metadata["output"] = ["responsesFile": output]
            operation["response"] = [
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput", "responsesFile": output,
            ]
        }
        switch job.state {
        case "BATCH_STATE_FAILED": operation["error"] = ["code": 3, "message": "Error on line 1: invalid JSON, near column 23"]
        case "BATCH_STATE_CANCELLED": operation["error"] = ["code": 1, "message": "The operation was cancelled."]
        default: break
        }
        operation["metadata"] = metadata
        return operation
    }
}
