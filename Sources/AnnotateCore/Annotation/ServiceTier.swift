/// The tier an annotation call is billed at. Flex and batch cost half of standard.
public enum ServiceTier: String, Sendable, CaseIterable, Codable {
    /// The API's default synchronous tier; nothing extra is sent.
    case standard
    /// Half price, best effort: Gemini's `serviceTier: "flex"`, OpenAI's `service_tier: "flex"`.
    /// Answers may take minutes, and a busy API may shed the request (a transient failure, retried).
    case flex
    /// Half price, asynchronous: submitted as a batch job and collected later (`process --batch`).
    case batch
}
