import AnnotateCore
import Foundation

/// How many input tokens an image costs, by the providers' documented rules, for dry-run
/// estimates (the bill itself comes from the answers' usage).
enum ImageTokenRule: Equatable {
    /// Gemini 2.x and older: 258 tokens when both sides are at most 384 px, else 258 per 768×768 tile.
    case geminiTiles
    /// Gemini 3.x at the default media resolution: about the same count whatever the size
    /// (measured 1,065–1,101; the cap is 1,120).
    case geminiFixed(Int)
    /// OpenAI's high-detail rule: fit in 2048×2048, shortest side down to 768, then 85 plus 170
    /// per 512×512 tile (OpenAI-compatible servers may count otherwise; recorded usage tells).
    case openAITiles

    /// The rule of a Gemini model, by its family.
    static func gemini(model: String) -> ImageTokenRule {
        let generation = GeminiAnnotator.modelID(model).split(separator: "-").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) }
        return (generation ?? 2) >= 3 ? .geminiFixed(1_100) : .geminiTiles
    }

    /// Tokens for an image of `width`×`height` as sent.
    func tokens(width: Int, height: Int) -> Int {
        let (w, h) = (max(width, 1), max(height, 1))
        switch self {
        case .geminiTiles:
            if w <= 384 && h <= 384 { return 258 }
            return Int((Double(w) / 768).rounded(.up) * (Double(h) / 768).rounded(.up)) * 258
        case .geminiFixed(let tokens):
            return tokens
        case .openAITiles:
            var (x, y) = (Double(w), Double(h))
            let fit = min(1, 2048 / max(x, y))
            (x, y) = (x * fit, y * fit)
            let shorten = min(1, 768 / min(x, y))
            (x, y) = (x * shorten, y * shorten)
            return 85 + 170 * Int((x / 512).rounded(.up) * (y / 512).rounded(.up))
        }
    }

    /// The preview's size for an image of `width`×`height`: the long side down to `side`, never up.
    static func preview(width: Int, height: Int, side: Int) -> (width: Int, height: Int) {
        let scale = min(1, Double(side) / Double(max(width, height, 1)))
        return (max(Int((Double(width) * scale).rounded()), 1), max(Int((Double(height) * scale).rounded()), 1))
    }

    /// The prompt's tokens, at about four characters a token.
    static func promptTokens(_ prompt: String) -> Int {
        (prompt.utf8.count + 3) / 4
    }
}
