import AnnotateCore
import Foundation

/// Which annotator `process` uses.
public enum AnnotatorChoice: String, Sendable, CaseIterable {
    /// Google's Gemini API (`GEMINI_API_KEY`).
    case gemini
    /// Any OpenAI-compatible chat/completions server (`OPENAI_BASE_URL`).
    case openai
    /// Offline: measures the image (size, colours, brightness, EXIF) — no network, no key.
    case metadata
}

/// What the AI annotators need. Keys are `Secret`s: printing this never shows them.
public struct AnnotationSettings: Sendable {
    /// `--model`, else `GEMINI_MODEL_NAME` (gemini) or `OPENAI_MODEL` (openai), else the file; nil when unset.
    public var model: String?
    /// The prompt (`--prompt`, `--prompt-file`, or the built-in one).
    public var prompt: String
    /// Long side of the JPEG sent to the API (`--annotate-max-side`).
    public var previewSide: Int
    /// `--rate`: request starts per minute, or nil for no pacing.
    public var ratePerMinute: Double?
    /// `--temperature`, or the API's default.
    public var temperature: Double?
    /// `--request-timeout`.
    public var requestTimeout: Duration
    /// `GEMINI_API_KEY` or `GOOGLE_API_KEY`.
    public var geminiKey: Secret?
    /// `GEMINI_BASE_URL`, else Google's.
    public var geminiBaseURL: URL
    /// `OPENAI_API_KEY`.
    public var openAIKey: Secret?
    /// `OPENAI_BASE_URL`, else OpenAI's.
    public var openAIBaseURL: URL
}
