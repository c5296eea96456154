import AnnotateAnnotators
import AnnotateCore

/// The price table: the built-in list prices with the config file's `[prices."MODEL"]` tables
/// over them. Each table gives `input` and `output` (dollars per million tokens) and may give
/// `batch-input`, `batch-output`, `flex-input` and `flex-output` (half of standard otherwise).
enum PriceSettings {
    static let keys = ["input", "output", "batch-input", "batch-output", "flex-input", "flex-output"]

    static func table(from layers: Layers) throws(ConfigurationError) -> PriceTable {
        var overrides: [String: ModelPrice] = [:]
        for (model, entries) in layers.priceEntries {
            var rates: [String: Double] = [:]
            for entry in entries {
                let source = ConfigurationSource.file(path: entry.path, key: "prices.\"\(model)\".\(entry.key)")
                guard keys.contains(entry.key) else {
                    throw ConfigurationError(source: source, message: "unknown price; a model's table takes \(keys.joined(separator: ", "))")
                }
                guard let value = Double(entry.value), value >= 0, value.isFinite else {
                    throw ConfigurationError(
                        source: source, message: "\(entry.value.debugDescription) is not a price in dollars per million tokens, such as 0.10")
                }
                rates[entry.key] = value
            }
            guard let input = rates["input"], let output = rates["output"] else {
                let path = entries.first?.path ?? ""
                throw ConfigurationError(
                    source: .file(path: path, key: "prices.\"\(model)\""),
                    message: "a model's prices need both input and output (dollars per million tokens)")
            }
            let standard = ModelPrice.Rates(input: input, output: output)
            func tier(_ name: String) -> ModelPrice.Rates {
                ModelPrice.Rates(input: rates["\(name)-input"] ?? input / 2, output: rates["\(name)-output"] ?? output / 2)
            }
            overrides[model.hasPrefix("models/") ? String(model.dropFirst(7)) : model] = ModelPrice(
                standard: standard, batch: tier("batch"), flex: tier("flex"))
        }
        return ListPrices.table.merging(overrides)
    }
}
