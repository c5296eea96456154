import AnnotateCore
import Foundation

/// `process --dry-run`: which tasks a run with these options would take, and what their
/// annotations would cost, read from the records without claiming or changing anything.
public struct DryRun: Sendable {
    /// The tasks of a record that a run would take: pending ones with attempts left, and
    /// finished ones the options put back (`--retry-failed`, `--reprocess`, `--stale`). Tasks
    /// another worker holds are not counted: they are that worker's.
    public static func tasks(
        of record: ImageRecord, options: PipelineOptions, current: AnnotationProvenance
    ) -> Set<TaskKind> {
        options.tasks.filter { task in
            switch record.status(of: task) {
            case .pending: record.attempts(of: task) < options.maxAttempts
            case .processing: false
            case .failed: options.retryFailed || options.reprocess
            case .completed:
                options.reprocess
                    || (task == .annotation && options.stale && (record.model != current.model || record.promptHash != current.promptHash))
            }
        }
    }

    /// Tokens an annotation answer uses when the records have none to average: the schema's
    /// one sentence and handful of tags.
    public static let defaultOutputTokens = 80

    /// The average output tokens of `model`'s recorded annotations, from the usage ledger.
    public static func averageOutputTokens(of model: String, in usage: [UsageTotal]) -> Int? {
        let split = usage.filter { $0.model == model && $0.outputTokens > 0 }
        let annotations = split.map(\.annotations).reduce(0, +)
        guard annotations > 0 else { return nil }
        return Int((Double(split.map(\.outputTokens).reduce(0, +)) / Double(annotations)).rounded())
    }
}

extension Pipeline {
    /// What `run(options)` would do and cost, reading the records a page at a time. With
    /// `countTokens`, the first image to annotate is sent to the API's free token count, and the
    /// input estimate is scaled by how far the rule was from it.
    public func estimate(_ options: PipelineOptions, countTokens: Bool = false) async throws -> CostEstimate {
        let current = AnnotationProvenance(model: annotator.model, promptHash: annotator.promptHash)
        let output = DryRun.averageOutputTokens(of: annotator.model, in: try await metadata.usage()) ?? DryRun.defaultOutputTokens
        var estimate = CostEstimate(model: annotator.model)
        let filter: RecordFilter = options.ids.map { .ids($0) } ?? .all
        var cursor: Int64?
        let pageSize = 1_000
        // Up to three images are tried for a count (an unreadable original moves on to the next);
        // an annotator that cannot count says so at the first.
        var countsLeft = countTokens ? 3 : 0
        while options.limit.map({ estimate.images < $0 }) ?? true {
            let page = try await metadata.records(after: cursor, limit: pageSize, filter: filter)
            for record in page {
                let tasks = DryRun.tasks(of: record, options: options, current: current)
                guard !tasks.isEmpty else { continue }
                let usage = tasks.contains(.annotation) ? annotator.estimatedInputTokens(width: record.width ?? 0, height: record.height ?? 0) : nil
                if countsLeft > 0, estimate.sample == nil, let usage, usage > 0 {
                    countsLeft -= 1
                    switch try await countedInputTokens(of: record) {
                    case .counted(let counted): estimate.sample = CostEstimate.Sample(id: record.id, counted: counted, estimated: usage)
                    case .unreadable: break
                    case .notOffered: countsLeft = 0
                    }
                }
                // An annotator that bills nothing still runs: its annotation counts, at no tokens.
                estimate.add(annotation: tasks.contains(.annotation) ? TokenEstimate(input: usage ?? 0, output: usage == nil ? 0 : output) : nil)
                if let limit = options.limit, estimate.images >= limit { break }
            }
            guard let last = page.last, page.count == pageSize else { break }
            cursor = last.id
        }
        if let sample = estimate.sample {
            estimate.inputTokens = Int((Double(estimate.inputTokens) * Double(sample.counted) / Double(sample.estimated)).rounded())
        }
        return estimate
    }

    enum TokenCount {
        case counted(Int)
        /// The original could not be read or decoded: another image may do.
        case unreadable
        /// The annotator has no count.
        case notOffered
    }

    /// The API's count for one record's request, built as a run would build it.
    func countedInputTokens(of record: ImageRecord) async throws -> TokenCount {
        guard case .success(let input) = await annotationInput(for: record) else { return .unreadable }
        do {
            return try await annotator.countInputTokens(for: input).map(TokenCount.counted) ?? .notOffered
        } catch let error as AnnotationError {
            throw ServiceStopped(reason: "--count-tokens: \(error.reason)")
        }
    }
}
