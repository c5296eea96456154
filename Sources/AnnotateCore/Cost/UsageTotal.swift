/// The tokens recorded annotations were billed, summed per model and tier. The ledger only
/// grows: an annotation later replaced (`--stale`, `--reprocess`) still counts, since it was paid.
public struct UsageTotal: Sendable, Equatable {
    /// The model, as recorded.
    public var model: String
    /// The tier the calls were billed at.
    public var tier: ServiceTier
    /// Annotations recorded with usage.
    public var annotations: Int
    /// Input tokens of those whose split is known.
    public var inputTokens: Int
    /// Output tokens of those whose split is known.
    public var outputTokens: Int
    /// Every token billed (input, output, and tokens recorded without the split).
    public var tokens: Int

    /// One model's and tier's totals.
    public init(model: String, tier: ServiceTier, annotations: Int, inputTokens: Int, outputTokens: Int, tokens: Int) {
        self.model = model
        self.tier = tier
        self.annotations = annotations
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.tokens = tokens
    }
}

/// The money recorded annotations cost, per model and tier: a pure reading of the usage ledger
/// through a price table.
public struct CostReport: Sendable, Equatable {
    /// One model and tier.
    public struct Line: Sendable, Equatable {
        /// What was used.
        public var usage: UsageTotal
        /// What it cost in dollars; nil when the price table does not know the model.
        public var costUSD: Double?
    }

    /// Per model and tier, most expensive first (unpriced last, by name).
    public var lines: [Line]

    /// Dollars over every priced line.
    public var totalUSD: Double { lines.compactMap(\.costUSD).reduce(0, +) }
    /// Models with usage but no price, so the total leaves them out.
    public var unpricedModels: [String] { Array(Set(lines.filter { $0.costUSD == nil }.map(\.usage.model))).sorted() }

    /// Prices `usage` with `prices`.
    public init(usage: [UsageTotal], prices: PriceTable) {
        lines = usage.map { total in
            Line(
                usage: total,
                costUSD: prices.cost(
                    model: total.model, tier: total.tier, input: total.inputTokens, output: total.outputTokens, total: total.tokens))
        }
        .sorted { a, b in
            switch (a.costUSD, b.costUSD) {
            case let (x?, y?) where x != y: x > y
            case (.some, nil): true
            case (nil, .some): false
            default: (a.usage.model, a.usage.tier.rawValue) < (b.usage.model, b.usage.tier.rawValue)
            }
        }
    }
}
