import Foundation

/// The OpenAI Batch API as `gemini-batch-facts.md` §5 gives it: `files` (multipart,
/// `purpose=batch`), `batches` (validating → in_progress → completed over two polls), list with
/// `after` paging, cancel, file contents. The output is shuffled; the second request of each
/// batch fails with a 500 inside its body, in the error file; a clean batch's `error_file_id` is "".
final class FakeOpenAIBatch: @unchecked Sendable {
    struct Batch {
        var id: String
        var inputFile: String
        var metadata: [String: String]
        var ids: [String]
        var polls = 0
        var status = "validating"
        var output: String?
        var errors: String?
    }

    private let lock = NSLock()
    private let check: ([String: Any]) -> LoopbackHTTPServer.Response?
    private var files: [String: Data] = [:]
    private var batches: [Batch] = []
    private var next = 0
    /// Fail the second request of the first batch (then every request succeeds).
    var failSecondOnce = true
    private(set) var violations: [String] = []

    init(check: @escaping ([String: Any]) -> LoopbackHTTPServer.Response?) {
        self.check = check
    }

    /// The custom ids of every batch created.
    var batchIDs: [[String]] { lock.withLock { batches.map(\.ids) } }

    func handle(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        lock.withLock { route(request) }
    }

    private func fail(_ status: Int, _ message: String) -> LoopbackHTTPServer.Response {
        violations.append(message)
        return .json(status, ["error": ["message": message, "type": "invalid_request_error"]])
    }

    private func route(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        let path = request.path
        switch (request.method, path) {
        case ("POST", "/v1/files"): return upload(request)
        case ("POST", "/v1/batches"): return create(request)
        case ("GET", "/v1/batches"):
            let after = request.query.split(separator: "&").first { $0.hasPrefix("after=") }.map { String($0.dropFirst(6)) }
            var ordered = Array(batches.reversed())
            if let after, let index = ordered.firstIndex(where: { $0.id == after }) { ordered = Array(ordered[(index + 1)...]) }
            let page = ordered.prefix(2)
            return .json(200, ["object": "list", "data": page.map(object), "has_more": ordered.count > 2, "last_id": page.last?.id as Any])
        case ("GET", _) where path.hasPrefix("/v1/batches/"):
            guard let index = batches.firstIndex(where: { $0.id == path.dropFirst("/v1/batches/".count) }) else {
                return fail(404, "No batch \(path)")
            }
            advance(&batches[index])
            return .json(200, object(batches[index]))
        case ("POST", _) where path.hasPrefix("/v1/batches/") && path.hasSuffix("/cancel"):
            guard let index = batches.firstIndex(where: { path.contains($0.id) }) else { return fail(404, "No batch \(path)") }
            batches[index].status = "cancelled"
            return .json(200, object(batches[index]))
        case ("GET", _) where path.hasPrefix("/v1/files/") && path.hasSuffix("/content"):
            let id = String(path.dropFirst("/v1/files/".count).dropLast("/content".count))
            guard let data = files[id] else { return fail(404, "No such File object: \(id)") }
            return LoopbackHTTPServer.Response(status: 200, headers: ["Content-Type": "application/octet-stream"], body: data)
        case ("DELETE", _) where path.hasPrefix("/v1/files/"):
            files[String(path.dropFirst("/v1/files/".count))] = nil
            return .json(200, ["deleted": true])
        default:
            return fail(404, "unknown path \(request.method) \(path)")
        }
    }

    /// A multipart body's `purpose` and `file` parts.
    private func upload(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard let type = request.headers["content-type"], type.hasPrefix("multipart/form-data; boundary="),
            let boundary = type.split(separator: "=", maxSplits: 1).last
        else { return fail(400, "files takes multipart/form-data") }
        let text = String(decoding: request.body, as: UTF8.self)
        let parts = text.components(separatedBy: "--\(boundary)").dropFirst().filter { !$0.hasPrefix("--") }
        var fields: [String: String] = [:]
        for part in parts {
            guard let split = part.range(of: "\r\n\r\n") else { continue }
            let head = part[..<split.lowerBound]
            guard let name = head.range(of: "name=\"").map({ head[$0.upperBound...].prefix { $0 != "\"" } }) else { continue }
            var value = String(part[split.upperBound...])
            if value.hasSuffix("\r\n") { value.removeLast() }  // the CRLF before the next boundary (one grapheme)
            fields[String(name)] = value
        }
        guard fields["purpose"] == "batch", let file = fields["file"] else { return fail(400, "purpose=batch and a file are required") }
        next += 1
        let id = "file-\(next)"
        files[id] = Data(file.utf8)
        return .json(200, ["id": id, "object": "file", "bytes": file.utf8.count, "purpose": "batch", "status": "processed"])
    }

    private func create(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any], let input = body["input_file_id"] as? String,
            body["endpoint"] as? String == "/v1/chat/completions", body["completion_window"] as? String == "24h"
        else { return fail(400, "input_file_id, endpoint /v1/chat/completions and completion_window 24h are required") }
        guard let data = files[input] else { return fail(400, "No such File object: \(input)") }
        var ids: [String] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any], let id = object["custom_id"] as? String,
                object["method"] as? String == "POST", object["url"] as? String == "/v1/chat/completions",
                let request = object["body"] as? [String: Any], request["service_tier"] == nil, check(request) == nil
            else { return fail(400, "line \(index + 1) is not a valid batch request") }
            ids.append(id)
        }
        next += 1
        let batch = Batch(id: "batch_\(next)", inputFile: input, metadata: body["metadata"] as? [String: String] ?? [:], ids: ids)
        batches.append(batch)
        return .json(200, object(batch))
    }

    private func advance(_ batch: inout Batch) {
        guard batch.status == "validating" || batch.status == "in_progress" else { return }
        batch.polls += 1
        guard batch.polls >= 2 else {
            batch.status = "in_progress"
            return
        }
        var output: [[String: Any]] = []
        var errors: [[String: Any]] = []
        for (index, id) in batch.ids.enumerated() {
            if index == 1 && failSecondOnce {
                errors.append([
                    "id": "batch_req_\(index)", "custom_id": id, "error": NSNull(),
                    "response": [
                        "status_code": 500, "request_id": "r", "body": ["error": ["message": "The server had an error", "type": "server_error"]],
                    ],
                ])
            } else {
                output.append([
                    "id": "batch_req_\(index)", "custom_id": id, "error": NSNull(),
                    "response": [
                        "status_code": 200, "request_id": "r",
                        "body": FakeOpenAI.completionBody(#"{"caption": "A batched local caption", "tags": ["batched"]}"#, tokens: 90),
                    ],
                ])
            }
        }
        if !errors.isEmpty { failSecondOnce = false }
        func store(_ lines: [[String: Any]]) -> String? {
            guard !lines.isEmpty else { return nil }
            next += 1
            files["file-out\(next)"] = Data(
                lines.shuffled().map { String(decoding: try! JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }.joined(separator: "\n").utf8
            )
            return "file-out\(next)"
        }
        batch.output = store(output)
        batch.errors = store(errors)
        batch.status = "completed"
    }

    private func object(_ batch: Batch) -> [String: Any] {
        let failed = batch.errors == nil ? 0 : 1
        return [
            "id": batch.id, "object": "batch", "endpoint": "/v1/chat/completions", "input_file_id": batch.inputFile, "completion_window": "24h",
            "status": batch.status, "output_file_id": batch.output as Any,
            "error_file_id": batch.errors ?? (batch.status == "completed" ? "" : NSNull()),
            "request_counts": ["total": batch.ids.count, "completed": batch.status == "completed" ? batch.ids.count - failed : 0, "failed": failed],
            "metadata": batch.metadata, "errors": NSNull(), "created_at": 1_714_508_499,
        ]
    }
}
