import AnnotateCore
import AnnotatePresentation

/// What `process --dry-run` prints: the estimate as three lines, or with `--json` as
/// `{"images", "annotations", "model", "estimated_input_tokens", "estimated_output_tokens",
/// "estimated_cost_usd": {"standard", "batch", "flex"}}` (each cost null when the model has no price).
struct DryRunReport: Encodable {
    let estimate: CostEstimate
    let prices: PriceTable

    enum CodingKeys: String, CodingKey {
        case images, annotations, model, estimated_input_tokens, estimated_output_tokens, estimated_cost_usd, counted_sample
    }

    /// `{"id", "counted_input_tokens", "rule_input_tokens"}`.
    struct SampleJSON: Encodable {
        let id: Int64
        let counted_input_tokens: Int
        let rule_input_tokens: Int
    }

    static let tiers: [ServiceTier] = [.standard, .batch, .flex]

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(estimate.images, forKey: .images)
        try c.encode(estimate.annotations, forKey: .annotations)
        try c.encode(estimate.model, forKey: .model)
        try c.encode(estimate.inputTokens, forKey: .estimated_input_tokens)
        try c.encode(estimate.outputTokens, forKey: .estimated_output_tokens)
        if let sample = estimate.sample {
            try c.encode(
                SampleJSON(id: sample.id, counted_input_tokens: sample.counted, rule_input_tokens: sample.estimated), forKey: .counted_sample)
        }
        var costs = c.nestedContainer(keyedBy: TierKey.self, forKey: .estimated_cost_usd)
        for tier in Self.tiers {
            try costs.encode(estimate.costUSD(tier, prices: prices).map(Dollars.rounded), forKey: TierKey(tier))
        }
    }

    struct TierKey: CodingKey {
        let stringValue: String
        init(_ tier: ServiceTier) { stringValue = tier.rawValue }
        init?(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    var lines: [String] {
        var lines = [
            "would process \(estimate.images) image\(estimate.images == 1 ? "" : "s") (\(estimate.annotations) annotation\(estimate.annotations == 1 ? "" : "s") with \(estimate.model)); nothing was claimed or changed"
        ]
        guard estimate.annotations > 0 else { return lines }
        lines.append("estimated tokens: \(estimate.inputTokens) in, \(estimate.outputTokens) out")
        if let sample = estimate.sample {
            lines.append("input scaled by the API's count for #\(sample.id): \(sample.counted) tokens, against \(sample.estimated) by the rule")
        }
        if estimate.costUSD(.standard, prices: prices) == nil {
            lines.append("estimated cost: unknown, \(estimate.model) has no price: add [prices.\"\(estimate.model)\"] to the config file")
        } else {
            lines.append(
                "estimated cost: "
                    + Self.tiers.map { "\($0.rawValue) \(Dollars.text(estimate.costUSD($0, prices: prices) ?? 0))" }.joined(separator: ", "))
        }
        return lines
    }

    func print(to output: Output) async {
        if output.json { await output.result(json: self) } else { await output.result(lines.joined(separator: "\n")) }
    }
}
