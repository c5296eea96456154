import Foundation
import Testing

@testable import AnnotateAnnotators
@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotatePipeline
@testable import AnnotatePresentation

@Suite struct CostTests {
    @Test func pricesAreListPricesWithBatchAndFlexAtHalf() throws {
        let lite = try #require(ListPrices.table.price(of: "models/gemini-2.5-flash-lite"), "a models/ prefix is ignored")
        #expect(lite.standard == .init(input: 0.10, output: 0.40))
        #expect(lite.batch == .init(input: 0.05, output: 0.20) && lite.flex == lite.batch)
        // 1M in + 1M out at standard, and the same at batch.
        #expect(abs(lite.cost(input: 1_000_000, output: 1_000_000, tier: .standard) - 0.50) < 1e-12)
        #expect(abs(lite.cost(input: 1_000_000, output: 1_000_000, tier: .batch) - 0.25) < 1e-12)
        #expect(ListPrices.table.price(of: "gpt-4o-mini") == nil, "OpenAI-compatible servers have no built-in price")
    }

    @Test func aRecordIsPricedByItsModelTierAndSplit() {
        let table = ListPrices.table
        var record = ImageRecord(
            id: 1, filename: "a.jpg", sha256: nil, contentType: nil, size: nil, width: nil, height: nil, originalKey: "uploads/a.jpg",
            model: "gemini-2.5-flash-lite", tokens: 300, inputTokens: 280, outputTokens: 20, serviceTier: .flex,
            annotationStatus: .completed, uploadedAt: Date(), updatedAt: Date())
        #expect(abs((table.cost(of: record) ?? 0) - 0.000018) < 1e-12, "(280 × 0.05 + 20 × 0.20) / 1M")
        // Recorded before the split was kept: every token at the (lower) input rate, standard tier.
        (record.inputTokens, record.outputTokens, record.serviceTier) = (nil, nil, nil)
        #expect(abs((table.cost(of: record) ?? 0) - 0.00003) < 1e-12)
        record.model = "metadata-v1"
        record.tokens = nil
        #expect(table.cost(of: record) == 0, "a local annotator bills nothing")
        record.model = "some-local-llm"
        record.serviceTier = .standard
        #expect(table.cost(of: record) == nil, "a remote answer without usage: unknown")
        record.annotationStatus = .pending
        #expect(table.cost(of: record) == nil)
    }

    @Test func theCostReportPutsTheDearestFirstAndLeavesUnpricedModelsOut() {
        let report = CostReport(
            usage: [
                UsageTotal(model: "gemini-2.5-flash-lite", tier: .batch, annotations: 2, inputTokens: 1000, outputTokens: 100, tokens: 1100),
                UsageTotal(model: "local", tier: .standard, annotations: 1, inputTokens: 10, outputTokens: 10, tokens: 20),
                UsageTotal(model: "gemini-2.5-flash-lite", tier: .standard, annotations: 1, inputTokens: 250, outputTokens: 50, tokens: 300),
            ], prices: ListPrices.table)
        #expect(report.lines.map(\.usage.tier) == [.batch, .standard, .standard], "$0.00007, $0.000045, no price")
        #expect(report.lines.last?.costUSD == nil && report.unpricedModels == ["local"])
        #expect(abs(report.totalUSD - (0.00007 + 0.000045)) < 1e-12)
    }

    @Test func dollarsPrintWithSensiblePrecision() {
        #expect(Dollars.text(12.345) == "$12.35")
        #expect(Dollars.text(0.5) == "$0.500")
        #expect(Dollars.text(0.000665) == "$0.000665")
        #expect(Dollars.text(0) == "$0.00")
        #expect(Dollars.rounded(0.1 + 0.2) == 0.3)
    }

    @Test func imageTokensFollowEachFamilysRule() {
        let tiles = ImageTokenRule.gemini(model: "gemini-2.5-flash-lite")
        #expect(tiles == .geminiTiles)
        #expect(tiles.tokens(width: 384, height: 200) == 258)
        #expect(tiles.tokens(width: 768, height: 512) == 258)
        #expect(tiles.tokens(width: 769, height: 768) == 516)
        #expect(ImageTokenRule.gemini(model: "models/gemini-3.5-flash-lite") == .geminiFixed(1_100))
        #expect(ImageTokenRule.openAITiles.tokens(width: 768, height: 512) == 425, "85 + 170 × 2 tiles")
        #expect(ImageTokenRule.openAITiles.tokens(width: 4096, height: 4096) == 765, "to 2048, then 768 × 768: 4 tiles")
        #expect(ImageTokenRule.preview(width: 4000, height: 3000, side: 768) == (768, 576))
        #expect(ImageTokenRule.preview(width: 300, height: 200, side: 768) == (300, 200), "never scaled up")
    }

    @Test func aDryRunTakesWhatTheRunWould() {
        var record = ImageRecord(
            id: 1, filename: "a.jpg", sha256: nil, contentType: nil, size: nil, width: 640, height: 480, originalKey: "uploads/a.jpg",
            model: "old", promptHash: "p", annotationStatus: .completed, thumbnailStatus: .pending, uploadedAt: Date(), updatedAt: Date())
        let current = AnnotationProvenance(model: "new", promptHash: "p")
        var options = PipelineOptions()
        #expect(DryRun.tasks(of: record, options: options, current: current) == [.thumbnail])
        options.stale = true
        #expect(DryRun.tasks(of: record, options: options, current: current) == [.annotation, .thumbnail])
        options.tasks = [.annotation]
        #expect(DryRun.tasks(of: record, options: options, current: current) == [.annotation])
        record.annotationStatus = .failed
        #expect(DryRun.tasks(of: record, options: options, current: current).isEmpty)
        options.retryFailed = true
        #expect(DryRun.tasks(of: record, options: options, current: current) == [.annotation])
        (record.annotationStatus, record.annotationAttempts) = (.pending, 3)
        #expect(DryRun.tasks(of: record, options: options, current: current).isEmpty, "out of attempts: the claim fails it instead")
        record.annotationStatus = .processing
        #expect(DryRun.tasks(of: record, options: options, current: current).isEmpty, "another worker's")
        let usage = [
            UsageTotal(model: "new", tier: .standard, annotations: 4, inputTokens: 1000, outputTokens: 100, tokens: 1100),
            UsageTotal(model: "new", tier: .flex, annotations: 1, inputTokens: 250, outputTokens: 50, tokens: 300),
            UsageTotal(model: "old", tier: .standard, annotations: 9, inputTokens: 0, outputTokens: 0, tokens: 900),
        ]
        #expect(DryRun.averageOutputTokens(of: "new", in: usage) == 30)
        #expect(DryRun.averageOutputTokens(of: "old", in: usage) == nil, "no split recorded")
    }

    @Test func theConfigFileSetsAModelsPrices() throws {
        let directory = try Fixtures.temporaryDirectory("prices")
        let file = directory.appendingPathComponent("annotate.toml")
        try """
        annotator = "openai"
        [prices."gemini-2.5-flash-lite"]  # a negotiated rate
        input = 0.08
        output = 0.32
        batch-output = 0.1
        [prices.my-llm]
        input = 1
        output = 2
        """.write(to: file, atomically: true, encoding: .utf8)
        let prices = try Configuration.resolve(flags: [:], configFile: file.path, environment: [:]).prices
        let lite = try #require(prices.price(of: "gemini-2.5-flash-lite"))
        #expect(lite.standard == .init(input: 0.08, output: 0.32) && lite.batch == .init(input: 0.04, output: 0.1))
        #expect(prices.price(of: "my-llm")?.flex == .init(input: 0.5, output: 1))
        #expect(prices.price(of: "gemini-3.5-flash-lite") == ListPrices.table.price(of: "gemini-3.5-flash-lite"), "the rest stay")

        func refusal(_ text: String) throws -> String {
            try text.write(to: file, atomically: true, encoding: .utf8)
            do {
                _ = try Configuration.resolve(flags: [:], configFile: file.path, environment: [:])
                return ""
            } catch { return "\(error)" }
        }
        #expect(try refusal("[prices.\"m\"]\ninput = 1\n").contains("need both input and output"))
        #expect(try refusal("[prices.\"m\"]\ninput = 1\noutput = -2\n").contains("not a price"))
        #expect(try refusal("[prices.\"m\"]\ninput = 1\noutput = 2\ncached = 1\n").contains("unknown price"))
        #expect(try refusal("[server]\nport = 1\n").contains("the only tables are [prices.\"MODEL\"]"))
        #expect(try refusal("[prices.gemini-2.5]\ninput = 1\noutput = 1\n").contains("quote a model name"))
    }
}
