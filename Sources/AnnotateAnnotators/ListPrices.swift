import AnnotateCore

/// The paid-tier list prices of the Gemini models the tool names, in US dollars per million
/// tokens (text and image input), from ai.google.dev/gemini-api/docs/pricing as read on
/// 2026-10-07. Batch and flex are half of standard. A config file's `[prices."MODEL"]` table
/// replaces an entry (or adds a model: OpenAI-compatible servers have no built-in price).
public enum ListPrices {
    /// Model → price.
    public static let table = PriceTable([
        "gemini-2.5-flash-lite": price(0.10, 0.40),
        // Shut down 2026-12-01; calls route to 3.5 Flash-Lite at its rates after that.
        "gemini-2.5-flash": price(0.30, 2.50),
        "gemini-3.1-flash-lite": price(0.25, 1.50),
        "gemini-3.5-flash-lite": price(0.30, 2.50),
        "gemini-3.5-flash": price(1.50, 9.00),
        // 1.50 / 7.50 from 2027-01-01: set [prices."gemini-3.8-flash"] then.
        "gemini-3.8-flash": price(0.75, 3.75),
    ])

    private static func price(_ input: Double, _ output: Double) -> ModelPrice {
        ModelPrice(standard: .init(input: input, output: output))
    }
}
