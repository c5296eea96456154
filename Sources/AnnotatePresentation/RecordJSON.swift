import AnnotateCore
import Foundation

/// The contract's JSON shape of one record: `status --json` with ids, `gallery.json`, and the API.
/// Every key is always present (null when unknown), so scripts can rely on the shape.
public struct RecordJSON: Encodable, Sendable {
    /// The record shown.
    public let record: ImageRecord
    /// The prices its `cost_usd` is reckoned at.
    public let prices: PriceTable

    /// The JSON of `record`, its annotation priced with `prices`.
    public init(_ record: ImageRecord, prices: PriceTable) {
        self.record = record
        self.prices = prices
    }

    enum Keys: String, CodingKey {
        case id, filename, sha256, content_type, size, width, height, annotation, tags, model
        case annotation_status, annotation_error, annotation_error_class, thumbnail_status, thumbnail_error, thumbnail_error_class
        case s3_key_original, s3_key_thumbnail, attempts, tokens, input_tokens, output_tokens, service_tier, cost_usd, batch_job
        case uploaded_at, updated_at
    }

    /// The contract's record shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(record.id, forKey: .id)
        try c.encode(record.filename, forKey: .filename)
        try c.encode(record.sha256, forKey: .sha256)
        try c.encode(record.contentType, forKey: .content_type)
        try c.encode(record.size, forKey: .size)
        try c.encode(record.width, forKey: .width)
        try c.encode(record.height, forKey: .height)
        try c.encode(record.annotation, forKey: .annotation)
        try c.encode(record.tags, forKey: .tags)
        try c.encode(record.model, forKey: .model)
        try c.encode(record.annotationStatus, forKey: .annotation_status)
        try c.encode(record.annotationError, forKey: .annotation_error)
        try c.encode(record.annotationErrorClass, forKey: .annotation_error_class)
        try c.encode(record.thumbnailStatus, forKey: .thumbnail_status)
        try c.encode(record.thumbnailError, forKey: .thumbnail_error)
        try c.encode(record.thumbnailErrorClass, forKey: .thumbnail_error_class)
        try c.encode(record.originalKey, forKey: .s3_key_original)
        try c.encode(record.thumbnailKey, forKey: .s3_key_thumbnail)
        try c.encode(["annotation": record.annotationAttempts, "thumbnail": record.thumbnailAttempts], forKey: .attempts)
        try c.encode(record.tokens, forKey: .tokens)
        try c.encode(record.inputTokens, forKey: .input_tokens)
        try c.encode(record.outputTokens, forKey: .output_tokens)
        try c.encode(record.serviceTier, forKey: .service_tier)
        try c.encode(prices.cost(of: record).map(Dollars.rounded), forKey: .cost_usd)
        try c.encode(record.batchJob, forKey: .batch_job)
        try c.encode(Timestamp.iso8601(record.uploadedAt), forKey: .uploaded_at)
        try c.encode(Timestamp.iso8601(record.updatedAt), forKey: .updated_at)
    }
}

/// One-line JSON for `--json` output: sorted keys, no escaped slashes.
public enum JSONLine {
    /// Encodes `value` as a single line.
    public static func encode(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

/// The contract's `status --json` summary object.
public struct SummaryJSON: Encodable, Sendable {
    /// The counts.
    public let summary: StatusSummary
    /// The latest failures, newest first.
    public let failures: [ImageRecord]
    /// What the recorded annotations cost.
    public let cost: CostReport
    /// The batch jobs in flight.
    public let jobs: [BatchJob]
    /// When the summary was read (for the jobs' ages).
    public let now: Date

    /// The JSON of `summary`, `failures`, `cost` and the batch jobs in flight.
    public init(summary: StatusSummary, failures: [ImageRecord], cost: CostReport, jobs: [BatchJob], now: Date = Date()) {
        self.summary = summary
        self.failures = failures
        self.cost = cost
        self.jobs = jobs
        self.now = now
    }

    enum Keys: String, CodingKey { case total, annotation, thumbnail, tokens, cost_usd, cost_by_model, batch_jobs, failures }

    /// `{"batch_job", "name", "model", "phase", "state", "requests", "succeeded", "failed", "created_at", "age_seconds"}`.
    struct JobLine: Encodable {
        let job: BatchJob
        let now: Date
        enum CodingKeys: String, CodingKey { case batch_job, name, model, phase, state, requests, succeeded, failed, created_at, age_seconds }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(job.displayName, forKey: .batch_job)
            try c.encode(job.name, forKey: .name)
            try c.encode(job.model, forKey: .model)
            try c.encode(job.phase.rawValue, forKey: .phase)
            try c.encode(job.state?.rawValue, forKey: .state)
            try c.encode(job.requests, forKey: .requests)
            try c.encode(job.succeeded, forKey: .succeeded)
            try c.encode(job.failed, forKey: .failed)
            try c.encode(Timestamp.iso8601(job.createdAt), forKey: .created_at)
            try c.encode(Int(now.timeIntervalSince(job.createdAt).rounded(.down)), forKey: .age_seconds)
        }
    }

    /// `{"model", "service_tier", "annotations", "input_tokens", "output_tokens", "tokens", "cost_usd"}`.
    struct CostLine: Encodable {
        let line: CostReport.Line
        enum CodingKeys: String, CodingKey { case model, service_tier, annotations, input_tokens, output_tokens, tokens, cost_usd }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(line.usage.model, forKey: .model)
            try c.encode(line.usage.tier, forKey: .service_tier)
            try c.encode(line.usage.annotations, forKey: .annotations)
            try c.encode(line.usage.inputTokens, forKey: .input_tokens)
            try c.encode(line.usage.outputTokens, forKey: .output_tokens)
            try c.encode(line.usage.tokens, forKey: .tokens)
            try c.encode(line.costUSD.map(Dollars.rounded), forKey: .cost_usd)
        }
    }

    struct Failure: Encodable {
        let id: Int64
        let filename: String
        let annotation_error: String?
        let thumbnail_error: String?
        let updated_at: String
        enum CodingKeys: String, CodingKey { case id, filename, annotation_error, thumbnail_error, updated_at }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(id, forKey: .id)
            try c.encode(filename, forKey: .filename)
            try c.encode(annotation_error, forKey: .annotation_error)
            try c.encode(thumbnail_error, forKey: .thumbnail_error)
            try c.encode(updated_at, forKey: .updated_at)
        }
    }

    /// The contract's summary shape.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(summary.total, forKey: .total)
        try c.encode(Self.counts(summary.annotation), forKey: .annotation)
        try c.encode(Self.counts(summary.thumbnail), forKey: .thumbnail)
        try c.encode(summary.tokens, forKey: .tokens)
        try c.encode(Dollars.rounded(cost.totalUSD), forKey: .cost_usd)
        try c.encode(cost.lines.map(CostLine.init), forKey: .cost_by_model)
        try c.encode(jobs.map { JobLine(job: $0, now: now) }, forKey: .batch_jobs)
        try c.encode(
            failures.map {
                Failure(
                    id: $0.id, filename: $0.filename,
                    annotation_error: $0.annotationStatus == .failed ? $0.annotationError : nil,
                    thumbnail_error: $0.thumbnailStatus == .failed ? $0.thumbnailError : nil,
                    updated_at: Timestamp.iso8601($0.updatedAt))
            }, forKey: .failures)
    }

    /// Every status word present, zero when none.
    static func counts(_ counts: [TaskStatus: Int]) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: TaskStatus.allCases.map { ($0.rawValue, counts[$0] ?? 0) })
    }
}

/// Dollar amounts as printed: JSON numbers to the micro-dollar (no binary-fraction noise such
/// as 0.30000000000000004), text with a precision that suits the size.
public enum Dollars {
    /// `value` rounded to six decimals.
    public static func rounded(_ value: Double) -> Double { (value * 1_000_000).rounded() / 1_000_000 }

    /// `$1.23`, `$0.0042`, `$0.000665`: cents from a dollar up, three significant digits below.
    public static func text(_ value: Double) -> String {
        if value == 0 { return "$0.00" }
        if value >= 1 { return "$" + String(format: "%.2f", value) }
        let decimals = min(max(Int((-log10(value)).rounded(.down)) + 3, 2), 8)
        return "$" + String(format: "%.\(decimals)f", value)
    }
}
