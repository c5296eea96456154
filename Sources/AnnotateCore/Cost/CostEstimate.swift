/// What a run would cost before it spends anything (`process --dry-run`): the images it would
/// process, the tokens their annotations would use, and the money at each tier. Built up one
/// image at a time, so a dry run over a large collection holds a few numbers, not the records.
public struct CostEstimate: Sendable, Equatable {
    /// The model the annotations would be made with.
    public var model: String
    /// Images with any task to run.
    public var images = 0
    /// Of those, images whose annotation would run (the ones that cost money).
    public var annotations = 0
    /// Input tokens over those annotations (image and prompt).
    public var inputTokens = 0
    /// Output tokens over those annotations (answer and thinking).
    public var outputTokens = 0
    /// The image the API counted (`--count-tokens`), which scaled the input estimate.
    public var sample: Sample?

    /// One image's input tokens as the API counted them and as the rule estimated them.
    public struct Sample: Sendable, Equatable {
        /// The image.
        public var id: Int64
        /// The API's count.
        public var counted: Int
        /// The rule's estimate.
        public var estimated: Int

        /// A counted sample.
        public init(id: Int64, counted: Int, estimated: Int) {
            self.id = id
            self.counted = counted
            self.estimated = estimated
        }
    }

    /// An empty estimate for annotations by `model`.
    public init(model: String) {
        self.model = model
    }

    /// Adds one image; `usage` is its annotation's expected tokens, nil when only its thumbnail would run.
    public mutating func add(annotation usage: TokenEstimate?) {
        images += 1
        guard let usage else { return }
        annotations += 1
        inputTokens += usage.input
        outputTokens += usage.output
    }

    /// Dollars at `tier`, or nil when `prices` has no price for the model (no tokens cost nothing
    /// whatever the model: a local annotator's run).
    public func costUSD(_ tier: ServiceTier, prices: PriceTable) -> Double? {
        if inputTokens == 0 && outputTokens == 0 { return 0 }
        return prices.price(of: model)?.cost(input: inputTokens, output: outputTokens, tier: tier)
    }
}

/// The tokens one annotation is expected to use.
public struct TokenEstimate: Sendable, Equatable {
    /// Input (image and prompt) tokens.
    public var input: Int
    /// Output (answer) tokens.
    public var output: Int

    /// An estimate of `input` and `output` tokens.
    public init(input: Int, output: Int) {
        self.input = input
        self.output = output
    }
}
