import Foundation

@testable import AnnotateImaging
@testable import AnnotateKit

/// A fake OpenAI-compatible `chat/completions` server on loopback, checking requests as a
/// vision server would: bearer key when one is configured, model, a text part and an
/// `image_url` data URL (object or bare string, as Ollama accepts) that decodes within the bound.
final class FakeOpenAI: @unchecked Sendable {
    enum Behavior {
        case success(content: String, tokens: Int)
        case status(Int, retryAfter: String?)
        case contentFilter
        case lengthNoText
        case malformed
        case slow(TimeInterval)
    }

    let key: String?
    let maxSide: Int
    private let lock = NSLock()
    private var script: [Behavior]
    private(set) var longSides: [Int] = []
    /// The `service_tier` each request asked for (nil: none sent).
    private(set) var serviceTiers: [String?] = []
    private(set) var violations: [String] = []
    private var server: LoopbackHTTPServer!
    /// The Batch API, unless the server is one of those without it.
    private(set) var batch: FakeOpenAIBatch?
    var baseURL: String { server.baseURL + "/v1" }

    init(key: String? = nil, maxSide: Int = 768, script: [Behavior] = [], batchAPI: Bool = true) throws {
        self.key = key
        self.maxSide = maxSide
        self.script = script
        server = try LoopbackHTTPServer { [unowned self] request in self.handle(request) }
        if batchAPI { batch = FakeOpenAIBatch(check: { [unowned self] body in self.check(body) }) }
    }

    func stop() { server.stop() }

    private func reject(_ status: Int, _ message: String) -> LoopbackHTTPServer.Response {
        lock.withLock { violations.append(message) }
        return .json(status, ["error": ["message": message, "type": "invalid_request_error"]])
    }

    private func handle(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        if request.path.hasPrefix("/v1/files") || request.path.hasPrefix("/v1/batches") {
            guard let batch else { return .json(404, ["error": ["message": "404 page not found", "type": "not_found"]]) }
            if let key, request.headers["authorization"] != "Bearer \(key)" { return reject(401, "Incorrect API key provided.") }
            return batch.handle(request)
        }
        guard request.method == "POST", request.path == "/v1/chat/completions" else { return reject(404, "unknown path \(request.path)") }
        if let key, request.headers["authorization"] != "Bearer \(key)" { return reject(401, "Incorrect API key provided.") }
        guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any] else {
            return reject(400, "model llava-test and messages[0].content are required")
        }
        if let refusal = check(body) { return refusal }
        let tier = body["service_tier"] as? String
        let behavior: Behavior = lock.withLock {
            longSides.append(Self.longSide(body) ?? 0)
            serviceTiers.append(tier)
            return script.isEmpty ? .success(content: #"{"caption": "A local caption", "tags": ["local"]}"#, tokens: 90) : script.removeFirst()
        }
        return answer(behavior, tier: tier)
    }

    /// The preview's long side in a checked body.
    static func longSide(_ body: [String: Any]) -> Int? {
        guard let content = (body["messages"] as? [[String: Any]])?.first?["content"] as? [[String: Any]],
            let url = content.compactMap({ ($0["image_url"] as? [String: Any])?["url"] as? String ?? $0["image_url"] as? String }).first,
            let image = Data(base64Encoded: String(url.dropFirst("data:image/jpeg;base64,".count))), let header = try? Vips.probe(image)
        else { return nil }
        return max(header.width, header.height)
    }

    /// The refusal a vision server would answer a `chat/completions` body with, or nil (a batch
    /// line's body is checked the same way).
    func check(_ body: [String: Any]) -> LoopbackHTTPServer.Response? {
        guard body["model"] as? String == "llava-test",
            let content = (body["messages"] as? [[String: Any]])?.first?["content"] as? [[String: Any]]
        else {
            return reject(400, "model llava-test and messages[0].content are required")
        }
        let text = content.first { $0["type"] as? String == "text" }?["text"] as? String
        let imageURL = content.compactMap { part -> String? in
            guard part["type"] as? String == "image_url" else { return nil }
            return (part["image_url"] as? [String: Any])?["url"] as? String ?? part["image_url"] as? String
        }.first
        guard text?.isEmpty == false, let imageURL, imageURL.hasPrefix("data:image/jpeg;base64,"),
            let image = Data(base64Encoded: String(imageURL.dropFirst("data:image/jpeg;base64,".count))),
            let header = try? Vips.probe(image)
        else {
            return reject(400, "a text part and a JPEG data URL are required")
        }
        let longSide = max(header.width, header.height)
        guard longSide <= maxSide else { return reject(400, "image long side \(longSide) exceeds \(maxSide)") }
        let tier = body["service_tier"] as? String
        if let tier, !["auto", "default", "flex", "scale", "priority"].contains(tier) { return reject(400, "Invalid service_tier \(tier)") }
        return nil
    }

    /// A completion with the JSON answer, as a batch output line's body.
    static func completionBody(_ content: String, tokens: Int) -> [String: Any] {
        [
            "id": "chatcmpl-1", "object": "chat.completion", "model": "llava-test",
            "choices": [["index": 0, "message": ["role": "assistant", "content": content], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": tokens - 10, "completion_tokens": 10, "total_tokens": tokens],
        ]
    }

    private func answer(_ behavior: Behavior, tier: String?) -> LoopbackHTTPServer.Response {
        func completion(_ content: String?, _ finish: String, _ tokens: Int) -> LoopbackHTTPServer.Response {
            .json(
                200,
                [
                    "id": "chatcmpl-1", "object": "chat.completion", "model": "llava-test",
                    "choices": [["index": 0, "message": ["role": "assistant", "content": content as Any], "finish_reason": finish]],
                    "usage": ["prompt_tokens": tokens - 10, "completion_tokens": 10, "total_tokens": tokens],
                    // The tier actually served, as OpenAI echoes it.
                    "service_tier": tier == "flex" ? "flex" : "default",
                ])
        }
        switch behavior {
        case .success(let content, let tokens): return completion(content, "stop", tokens)
        case .status(let code, let retryAfter):
            return .json(
                code, ["error": ["message": "status \(code) from the fake", "type": "server_error"]],
                headers: retryAfter.map { ["Retry-After": $0] } ?? [:])
        case .contentFilter: return completion(nil, "content_filter", 50)
        case .lengthNoText: return completion("", "length", 2048)
        case .malformed: return LoopbackHTTPServer.Response(status: 200, body: Data("<html>gateway</html>".utf8))
        case .slow(let seconds):
            var response = completion(#"{"caption": "Slow", "tags": []}"#, "stop", 10)
            response.delay = seconds
            return response
        }
    }
}
