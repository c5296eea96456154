/// What one model costs, in US dollars per million tokens, at each tier.
public struct ModelPrice: Sendable, Equatable {
    /// Input and output rates of one tier.
    public struct Rates: Sendable, Equatable {
        /// Dollars per million input (prompt and image) tokens.
        public var input: Double
        /// Dollars per million output (answer and thinking) tokens.
        public var output: Double

        /// Rates per million tokens.
        public init(input: Double, output: Double) {
            self.input = input
            self.output = output
        }

        /// These rates scaled by `factor` (0.5 for the batch and flex discount).
        public func scaled(by factor: Double) -> Rates { Rates(input: input * factor, output: output * factor) }
    }

    /// The synchronous list price.
    public var standard: Rates
    /// The Batch API's price (half of standard unless a price list says otherwise).
    public var batch: Rates
    /// The flex tier's price (half of standard unless a price list says otherwise).
    public var flex: Rates

    /// A price from its standard rates, with batch and flex at their documented 50% unless given.
    public init(standard: Rates, batch: Rates? = nil, flex: Rates? = nil) {
        self.standard = standard
        self.batch = batch ?? standard.scaled(by: 0.5)
        self.flex = flex ?? standard.scaled(by: 0.5)
    }

    /// The rates of `tier`.
    public func rates(_ tier: ServiceTier) -> Rates {
        switch tier {
        case .standard: standard
        case .batch: batch
        case .flex: flex
        }
    }

    /// What `input` and `output` tokens cost at `tier`, in dollars.
    public func cost(input: Int, output: Int, tier: ServiceTier) -> Double {
        let rates = rates(tier)
        return (Double(input) * rates.input + Double(output) * rates.output) / 1_000_000
    }
}

/// Prices by model name: the built-in list for the models the tool names, with the config
/// file's `[prices."MODEL"]` tables over it.
public struct PriceTable: Sendable, Equatable {
    /// Model name (without a `models/` prefix) → price.
    public var prices: [String: ModelPrice]

    /// A table of `prices`.
    public init(_ prices: [String: ModelPrice]) {
        self.prices = prices
    }

    /// `model`'s price; a `models/` prefix (as Gemini's API writes names) is ignored. Nil when
    /// the table does not know the model.
    public func price(of model: String) -> ModelPrice? {
        prices[model.hasPrefix("models/") ? String(model.dropFirst(7)) : model]
    }

    /// This table with `overrides` replacing its entries of the same names.
    public func merging(_ overrides: [String: ModelPrice]) -> PriceTable {
        PriceTable(prices.merging(overrides) { _, new in new })
    }

    /// What an annotation's tokens cost, or nil when its model has no price or it recorded no
    /// usage. Tokens recorded without the input/output split (before it was kept) are priced at
    /// the input rate, the lower one.
    public func cost(model: String?, tier: ServiceTier?, input: Int?, output: Int?, total: Int?) -> Double? {
        guard let model, let price = price(of: model), let total else { return nil }
        let (input, output) = (input ?? 0, output ?? 0)
        return price.cost(input: input + max(total - input - output, 0), output: output, tier: tier ?? .standard)
    }

    /// The cost of one record's current annotation: 0 for a local annotator's (no tier, no
    /// usage), nil when unknown (not annotated, no usage reported, or no price for the model).
    public func cost(of record: ImageRecord) -> Double? {
        guard record.annotationStatus == .completed, record.model != nil else { return nil }
        if record.serviceTier == nil && record.tokens == nil { return 0 }
        return cost(
            model: record.model, tier: record.serviceTier, input: record.inputTokens, output: record.outputTokens, total: record.tokens)
    }
}
