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
