import AnnotateCore
import AnnotateKit
import AnnotatePresentation
import ArgumentParser
import Foundation

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show task counts and failures, or the records of given ids.",
        discussion: "With --wait, blocks until nothing is pending or processing: exit 0 when all completed, 1 when some failed, 75 on --timeout.")

    @Argument(help: ArgumentHelp("Show these images' records.", valueName: "id"))
    var ids: [Int64] = []

    @Flag(help: "The failure ledger: each failed task with its class (transient, permanent, limit), attempts and last error.")
    var failed = false

    @Flag(help: "Wait until no task is pending or processing.")
    var wait = false

    @Option(help: ArgumentHelp("Give up waiting after this many seconds (exit 75).", valueName: "seconds"))
    var timeout: Double?

    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        if timeout != nil && !wait { throw ValidationError("--timeout only applies with --wait") }
        if let timeout, timeout <= 0 || !timeout.isFinite { throw ValidationError("--timeout must be a positive number of seconds") }
    }

    func run() async throws {
        try await reportingErrors {
            try await global.withComponents { components in
                let output = Output(json: global.json, quiet: global.quiet)
                let metadata = components.metadata
                let prices = components.configuration.prices

                if wait {
                    let deadline = timeout.map { Date().addingTimeInterval($0) }
                    while try await metadata.summary().unfinished > 0 {
                        if let deadline, Date() >= deadline {
                            let summary = try await metadata.summary()
                            output.message("annotate: timed out with \(summary.unfinished) tasks still pending or processing")
                            throw ExitCode(.timedOut)
                        }
                        try await Task.sleep(for: .milliseconds(250))
                    }
                }

                if !ids.isEmpty || failed {
                    var records: [ImageRecord] = []
                    var missing = false
                    if !ids.isEmpty {
                        let found = try await metadata.records(after: nil, limit: ids.count, filter: .ids(ids))
                        let byID = Dictionary(uniqueKeysWithValues: found.map { ($0.id, $0) })
                        for id in ids {
                            if let record = byID[id] {
                                records.append(record)
                            } else {
                                output.message("annotate: no image with id \(id)")
                                missing = true
                            }
                        }
                    }
                    for record in records {
                        if global.json {
                            await output.result(json: RecordJSON(record, prices: prices))
                        } else {
                            await output.result(Self.describe(record, prices: prices))
                        }
                    }
                    if failed {
                        for record in try await metadata.allRecords(filter: .failed) {
                            if global.json {
                                await output.result(json: RecordJSON(record, prices: prices))
                            } else {
                                await output.result(Self.ledger(record))
                            }
                        }
                    }
                    if missing { throw ExitCode(.itemsFailed) }
                } else {
                    let summary = try await metadata.summary()
                    let failures = try await metadata.latestFailures(limit: 10)
                    let cost = CostReport(usage: try await metadata.usage(), prices: prices)
                    let jobs = try await metadata.batchJobs(includingFinished: false)
                    if global.json {
                        await output.result(json: SummaryJSON(summary: summary, failures: failures, cost: cost, jobs: jobs))
                    } else {
                        await output.result(Self.describe(summary, failures: failures, cost: cost) + Self.describe(jobs, now: Date()))
                    }
                }
                if wait, try await metadata.summary().failed > 0 { throw ExitCode(.itemsFailed) }
            }
        }
    }

    static func describe(_ summary: StatusSummary, failures: [ImageRecord], cost: CostReport) -> String {
        var lines = ["\(summary.total) images"]
        lines.append("task        " + TaskStatus.allCases.map { $0.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) }.joined())
        for (name, counts) in [("annotation", summary.annotation), ("thumbnail", summary.thumbnail)] {
            lines.append(
                name.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + TaskStatus.allCases.map { String(counts[$0] ?? 0).padding(toLength: 11, withPad: " ", startingAt: 0) }.joined())
        }
        if summary.tokens > 0 { lines.append("tokens used: \(summary.tokens)") }
        lines += Self.describe(cost)
        if !failures.isEmpty {
            lines.append("latest failures:")
            for record in failures {
                for task in TaskKind.allCases where record.status(of: task) == .failed {
                    lines.append("  #\(record.id) \(record.filename) \(task): \(record.error(of: task) ?? "unknown error")")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// One line per failed task: id, file, task, class, attempts, last error.
    static func ledger(_ record: ImageRecord) -> String {
        TaskKind.allCases.filter { record.status(of: $0) == .failed }.map { task in
            let attempts = record.attempts(of: task)
            return "#\(record.id)  \(record.filename)  \(task.rawValue)  \(record.errorClass(of: task)?.rawValue ?? "permanent")  "
                + "\(attempts) attempt\(attempts == 1 ? "" : "s")  \(record.error(of: task) ?? "unknown error")"
        }.joined(separator: "\n")
    }

    /// The batch jobs in flight, one line each: name, state, counts, age.
    static func describe(_ jobs: [BatchJob], now: Date) -> String {
        guard !jobs.isEmpty else { return "" }
        var lines = ["batch jobs in flight:"]
        for job in jobs {
            let seconds = Int(max(now.timeIntervalSince(job.createdAt), 0))
            let age = seconds >= 3600 ? "\(seconds / 3600)h \(seconds % 3600 / 60)m" : seconds >= 60 ? "\(seconds / 60)m" : "\(seconds)s"
            let state = job.phase == .submitting ? "submitting" : (job.state?.rawValue ?? "submitted")
            lines.append(
                "  \(job.displayName)  \(job.name ?? "-")  \(state)  \(job.requests) requests (\(job.succeeded) succeeded, \(job.failed) failed)  \(job.model)  age \(age)"
            )
        }
        return "\n" + lines.joined(separator: "\n")
    }

    /// The cost so far, then one line per model and tier; a model without a price says how to give it one.
    static func describe(_ cost: CostReport) -> [String] {
        guard !cost.lines.isEmpty else { return [] }
        let unpriced = cost.unpricedModels.isEmpty ? "" : " (leaving out models without a price)"
        var lines = ["cost so far: \(Dollars.text(cost.totalUSD))\(unpriced), every recorded annotation counted, replaced ones too"]
        let width = cost.lines.map(\.usage.model.count).max() ?? 0
        for line in cost.lines {
            let usage = line.usage
            let split = usage.inputTokens + usage.outputTokens == usage.tokens ? " (\(usage.inputTokens) in, \(usage.outputTokens) out)" : ""
            let price = line.costUSD.map(Dollars.text) ?? "no price: add [prices.\"\(usage.model)\"] to the config file"
            lines.append(
                "  \(usage.model.padding(toLength: width, withPad: " ", startingAt: 0))  \(usage.tier.rawValue.padding(toLength: 8, withPad: " ", startingAt: 0))  "
                    + "\(usage.annotations) annotation\(usage.annotations == 1 ? "" : "s"), \(usage.tokens) tokens\(split)  \(price)")
        }
        return lines
    }

    static func describe(_ r: ImageRecord, prices: PriceTable) -> String {
        var lines = ["#\(r.id) \(r.filename)"]
        func add(_ label: String, _ value: String?) {
            if let value { lines.append("  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        }
        add("sha256", r.sha256)
        add("type", r.contentType)
        add("size", r.size.map { "\($0) bytes" })
        if let w = r.width, let h = r.height { add("dimensions", "\(w)×\(h)") }
        add("annotation", "\(r.annotationStatus.rawValue)\(r.annotationError.map { " (\($0))" } ?? "")")
        add("batch job", r.batchJob)
        add("caption", r.annotation)
        add("tags", r.tags.isEmpty ? nil : r.tags.joined(separator: ", "))
        add("model", r.model)
        add("tokens", r.tokens.map { total in "\(total)" + (r.inputTokens.map { " (\($0) in, \(r.outputTokens ?? 0) out)" } ?? "") })
        add("tier", r.tokens == nil ? nil : r.serviceTier?.rawValue)
        add("cost", prices.cost(of: r).map(Dollars.text))
        add("thumbnail", "\(r.thumbnailStatus.rawValue)\(r.thumbnailError.map { " (\($0))" } ?? "")")
        add("original", r.originalKey)
        add("thumb key", r.thumbnailKey)
        add("attempts", "annotation \(r.annotationAttempts), thumbnail \(r.thumbnailAttempts)")
        add("uploaded", Timestamp.iso8601(r.uploadedAt))
        add("updated", Timestamp.iso8601(r.updatedAt))
        return lines.joined(separator: "\n")
    }
}
