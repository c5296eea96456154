import Foundation

@testable import AnnotateImaging
@testable import AnnotateKit

/// A fake of Gemini's `generateContent` on loopback. Every request is checked as the real API
/// would (and more strictly where the contract asks), then answered from a script.
final class FakeGemini: @unchecked Sendable {
    enum Behavior {
        case success(caption: String, tags: [String], tokens: Int)
        /// 429 RESOURCE_EXHAUSTED with google.rpc.RetryInfo (and a per-minute or per-day quota id).
        case rateLimited(retryDelay: String, daily: Bool)
        case unavailable
        case badRequest
        case notFound
        case blocked
        case maxTokensNoText
        case malformed
        /// Answers successfully, but only after this many seconds.
        case slow(TimeInterval)
    }

    struct Observed {
        var path: String
        var longSide: Int
        var bodyBytes: Int
        var prompt: String
        /// The top-level `serviceTier`, when sent.
        var serviceTier: String? = nil
    }

    let key: String
    let maxSide: Int
    private let lock = NSLock()
    private var script: [Behavior]
    private(set) var observed: [Observed] = []
    /// Requests that the real API would refuse, and why.
    private(set) var violations: [String] = []
    private var server: LoopbackHTTPServer!
    /// The Batch and Files API.
    private(set) var batch: FakeGeminiBatch!

    var baseURL: String { server.baseURL }
    var requests: Int { lock.withLock { observed.count + violations.count } }
    /// `countTokens` calls answered.
    private(set) var countCalls = 0

    /// Behaviours for successive requests; once used up, every request succeeds.
    static let retiredModels: Set<String> = ["gemini-1.5-flash", "gemini-pro", "gemini-2.0-flash"]

    init(key: String = "test-gemini-key-123", maxSide: Int = 768, script: [Behavior] = []) throws {
        self.key = key
        self.maxSide = maxSide
        self.script = script
        server = try LoopbackHTTPServer { [unowned self] request in self.handle(request) }
        batch = FakeGeminiBatch(baseURL: server.baseURL, check: { [unowned self] body in self.check(body) })
    }

    func stop() { server.stop() }

    fileprivate func reject(_ status: Int, _ message: String, _ canonical: String, extra: [[String: Any]] = []) -> LoopbackHTTPServer.Response {
        lock.withLock { violations.append(message) }
        return .json(status, ["error": ["code": status, "message": message, "status": canonical, "details": extra]])
    }

    private func generationConfigHasTier(_ config: [String: Any]?) -> Bool {
        config?["serviceTier"] != nil || config?["service_tier"] != nil
    }

    private func handle(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        if FakeGeminiBatch.handles(request) {
            if !request.path.hasPrefix("/upload/") || request.query.isEmpty {
                if request.query.contains("key=") { return reject(400, "the key must travel in the x-goog-api-key header", "INVALID_ARGUMENT") }
                guard request.headers["x-goog-api-key"] == key else {
                    return reject(403, "Method doesn't allow unregistered callers. Please use API Key.", "PERMISSION_DENIED")
                }
            }
            return batch.handle(request)
        }
        if request.method == "POST" && request.path.hasPrefix("/v1beta/models/") && request.path.hasSuffix(":countTokens") {
            return countTokens(request)
        }
        let getsModel = request.method == "GET" && request.path.hasPrefix("/v1beta/models/") && !request.path.contains(":")
        guard getsModel || (request.method == "POST" && request.path.hasPrefix("/v1beta/models/") && request.path.hasSuffix(":generateContent"))
        else {
            return reject(404, "unknown path \(request.path)", "NOT_FOUND")
        }
        if request.query.contains("key=") { return reject(400, "the key must travel in the x-goog-api-key header, not the URL", "INVALID_ARGUMENT") }
        guard let key = request.headers["x-goog-api-key"] else {
            return reject(403, "Method doesn't allow unregistered callers. Please use API Key.", "PERMISSION_DENIED")
        }
        guard key == self.key else {
            return reject(
                400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
                extra: [["@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "API_KEY_INVALID"]])
        }
        if getsModel {
            // models.get: free, and what `annotate doctor` asks. Retired names answer 404 as the real API does.
            let model = String(request.path.dropFirst("/v1beta/models/".count))
            // The real API names models without a second `models/` (models/models/x is unknown).
            guard !Self.retiredModels.contains(model), !model.contains("/") else {
                return .json(404, ["error": ["code": 404, "message": "models/\(model) is not found for API version v1beta", "status": "NOT_FOUND"]])
            }
            return .json(200, ["name": "models/\(model)", "displayName": model, "inputTokenLimit": 1_048_576])
        }
        guard request.headers["content-type"]?.hasPrefix("application/json") == true,
            let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any]
        else {
            return reject(400, "Invalid JSON payload received.", "INVALID_ARGUMENT")
        }
        switch check(body) {
        case .failure(let refusal):
            return refusal.response
        case .success(let (longSide, prompt, tier)):
            let behavior: Behavior = lock.withLock {
                observed.append(Observed(path: request.path, longSide: longSide, bodyBytes: request.body.count, prompt: prompt, serviceTier: tier))
                return script.isEmpty ? .success(caption: "A test caption.", tags: ["test"], tokens: 300) : script.removeFirst()
            }
            return answer(behavior)
        }
    }

    /// `countTokens` with a `generateContentRequest` (checked as a `generateContent` body, model
    /// named): free, so not among `requests`; answers 258 per image plus the prompt at 4 characters a token.
    private func countTokens(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard request.headers["x-goog-api-key"] == key else { return reject(403, "API key missing or wrong", "PERMISSION_DENIED") }
        guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any],
            let inner = body["generateContentRequest"] as? [String: Any], (inner["model"] as? String)?.hasPrefix("models/") == true,
            body["contents"] == nil
        else { return reject(400, "countTokens takes either contents or a generateContentRequest naming its model", "INVALID_ARGUMENT") }
        switch check(inner) {
        case .failure(let refusal): return refusal.response
        case .success(let (_, prompt, _)):
            lock.withLock { countCalls += 1 }
            return .json(
                200,
                [
                    "totalTokens": 258 + prompt.count / 4,
                    "promptTokensDetails": [["modality": "IMAGE", "tokenCount": 258], ["modality": "TEXT", "tokenCount": prompt.count / 4]],
                ])
        }
    }

    /// Why the real API would refuse a `generateContent` body (recorded as a violation).
    struct Refusal: Error {
        let response: LoopbackHTTPServer.Response
    }

    /// Checks a `generateContent` body as the API would, the synchronous call's or a batch line's:
    /// the preview's long side, the prompt and the tier it asked for, or the refusal.
    func check(_ body: [String: Any]) -> Result<(Int, String, String?), Refusal> {
        func reject(_ status: Int, _ message: String, _ canonical: String) -> Result<(Int, String, String?), Refusal> {
            .failure(Refusal(response: self.reject(status, message, canonical)))
        }
        guard let contents = body["contents"] as? [[String: Any]], let parts = contents.first?["parts"] as? [[String: Any]] else {
            return reject(400, "contents[0].parts is required", "INVALID_ARGUMENT")
        }
        let inline = parts.compactMap { ($0["inlineData"] ?? $0["inline_data"]) as? [String: Any] }.first
        guard let inline, let mime = (inline["mimeType"] ?? inline["mime_type"]) as? String,
            ["image/jpeg", "image/png", "image/webp"].contains(mime),
            let encoded = inline["data"] as? String, let image = Data(base64Encoded: encoded)
        else {
            return reject(400, "an inline image with mimeType and base64 data is required", "INVALID_ARGUMENT")
        }
        guard let header = try? Vips.probe(image) else { return reject(400, "Unable to process input image.", "INVALID_ARGUMENT") }

        let longSide = max(header.width, header.height)
        guard longSide <= maxSide else { return reject(400, "image long side \(longSide) exceeds the bound \(maxSide)", "INVALID_ARGUMENT") }
        let prompt = parts.compactMap { $0["text"] as? String }.joined()
        let config = (body["generationConfig"] ?? body["generation_config"]) as? [String: Any]
        guard !prompt.isEmpty, (config?["responseMimeType"] ?? config?["response_mime_type"]) as? String == "application/json",
            (config?["responseSchema"] ?? config?["response_schema"]) != nil
        else {
            return reject(400, "a text prompt and JSON structured output are required", "INVALID_ARGUMENT")
        }
        // The flex tier is asked for at the top level; a misplaced or unknown tier would be refused.
        if generationConfigHasTier(config) { return reject(400, "Unknown name \"serviceTier\" at 'generation_config'", "INVALID_ARGUMENT") }
        let tier = body["serviceTier"] as? String
        if let tier, !["flex", "standard"].contains(tier) { return reject(400, "Invalid value at 'service_tier' (\(tier))", "INVALID_ARGUMENT") }
        return .success((longSide, prompt, tier))
    }

    /// A successful `GenerateContentResponse`: the JSON answer as text, 20 output tokens.
    static func successBody(_ caption: String, _ tags: [String], _ tokens: Int) -> [String: Any] {
        let text = String(decoding: try! JSONSerialization.data(withJSONObject: ["caption": caption, "tags": tags]), as: UTF8.self)
        return [
            "candidates": [["content": ["role": "model", "parts": [["text": text]]], "finishReason": "STOP", "index": 0]],
            "usageMetadata": ["promptTokenCount": tokens - 20, "candidatesTokenCount": 20, "totalTokenCount": tokens],
            "modelVersion": "fake",
        ]
    }

    private func answer(_ behavior: Behavior) -> LoopbackHTTPServer.Response {
        func success(_ caption: String, _ tags: [String], _ tokens: Int) -> LoopbackHTTPServer.Response {
            .json(200, Self.successBody(caption, tags, tokens))
        }
        switch behavior {
        case .success(let caption, let tags, let tokens):
            return success(caption, tags, tokens)
        case .slow(let seconds):
            var response = success("A slow caption.", ["slow"], 100)
            response.delay = seconds
            return response
        case .rateLimited(let delay, let daily):
            let quota = daily ? "GenerateRequestsPerDayPerProjectPerModel-FreeTier" : "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"
            return .json(
                429,
                [
                    "error": [
                        "code": 429, "message": "You exceeded your current quota, please check your plan and billing details.",
                        "status": "RESOURCE_EXHAUSTED",
                        "details": [
                            ["@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [["quotaId": quota]]],
                            ["@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": delay],
                        ],
                    ]
                ])
        case .unavailable:
            return .json(503, ["error": ["code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"]])
        case .badRequest:
            return .json(400, ["error": ["code": 400, "message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"]])
        case .notFound:
            return .json(
                404,
                [
                    "error": [
                        "code": 404,
                        "message": "models/gemini-1.5-flash is not found for API version v1beta, or is not supported for generateContent.",
                        "status": "NOT_FOUND",
                    ]
                ])
        case .blocked:
            return .json(200, ["promptFeedback": ["blockReason": "SAFETY", "safetyRatings": []]])
        case .maxTokensNoText:
            return .json(
                200,
                [
                    "candidates": [["content": ["role": "model"], "finishReason": "MAX_TOKENS", "index": 0]],
                    "usageMetadata": ["totalTokenCount": 1100],
                ])
        case .malformed:
            return LoopbackHTTPServer.Response(status: 200, body: Data("{\"candidates\": [ {\"content\": ".utf8))
        }
    }
}
