import Foundation

/// Gemini `generateContent` JSON (REST, proto3 JSON mapping: camelCase out, camelCase back).
enum GeminiWire {
    struct Request: Encodable {
        struct Content: Encodable {
            let role: String
            let parts: [Part]
        }
        struct Part: Encodable {
            var inlineData: InlineData? = nil
            var text: String? = nil
        }
        struct InlineData: Encodable {
            let mimeType: String
            let data: String
        }
        struct GenerationConfig: Encodable {
            let responseMimeType: String
            let responseSchema: Schema
            let temperature: Double?
        }
        final class Schema: Encodable, Sendable {
            let type: String
            let properties: [String: Schema]?
            let items: Schema?
            let required: [String]?
            let propertyOrdering: [String]?
            init(
                type: String, properties: [String: Schema]? = nil, items: Schema? = nil, required: [String]? = nil, propertyOrdering: [String]? = nil
            ) {
                self.type = type
                self.properties = properties
                self.items = items
                self.required = required
                self.propertyOrdering = propertyOrdering
            }
        }
        let contents: [Content]
        let generationConfig: GenerationConfig
        /// `"flex"` on the flex tier, at the top level of the body; absent otherwise.
        var serviceTier: String? = nil

        /// The answer's shape: `{"caption": string, "tags": [string]}`.
        static let answerSchema = Schema(
            type: "OBJECT",
            properties: ["caption": Schema(type: "STRING"), "tags": Schema(type: "ARRAY", items: Schema(type: "STRING"))],
            required: ["caption", "tags"], propertyOrdering: ["caption", "tags"])
    }

    struct Response: Decodable {
        struct Candidate: Decodable {
            let content: Content?
            let finishReason: String?
            let finishMessage: String?
        }
        struct Content: Decodable { let parts: [Part]? }
        struct Part: Decodable {
            let text: String?
            let thought: Bool?
        }
        struct PromptFeedback: Decodable { let blockReason: String? }
        struct Usage: Decodable {
            let promptTokenCount: Int?
            let candidatesTokenCount: Int?
            let thoughtsTokenCount: Int?
            let totalTokenCount: Int?

            /// Billed as output: the answer and the thinking (everything but the prompt, when the
            /// total is given, so tool and other counts are not missed).
            var outputTokens: Int? {
                if let totalTokenCount, let promptTokenCount { return max(totalTokenCount - promptTokenCount, 0) }
                guard candidatesTokenCount != nil || thoughtsTokenCount != nil else { return nil }
                return (candidatesTokenCount ?? 0) + (thoughtsTokenCount ?? 0)
            }
        }
        let candidates: [Candidate]?
        let promptFeedback: PromptFeedback?
        let usageMetadata: Usage?
    }

    /// google.rpc.Status in `{"error": …}`.
    struct ErrorBody: Decodable {
        struct Status: Decodable {
            let code: Int?
            let message: String?
            let status: String?
            let details: [Detail]?
        }
        struct Detail: Decodable {
            let type: String?
            let reason: String?
            let retryDelay: String?
            let violations: [Violation]?
            enum CodingKeys: String, CodingKey {
                case type = "@type"
                case reason, retryDelay, violations
            }
        }
        struct Violation: Decodable { let quotaId: String? }
        let error: Status
    }

    /// A protobuf Duration string ("22s", "45.837906927s") as a Duration.
    static func duration(_ text: String?) -> Duration? {
        guard let text, text.hasSuffix("s"), let seconds = Double(text.dropLast()), seconds >= 0, seconds.isFinite else { return nil }
        // A server's hint is honoured up to a day; a huge one must not overflow the conversion.
        return .milliseconds(Int64((min(seconds, 86_400) * 1000).rounded(.up)))
    }
}
