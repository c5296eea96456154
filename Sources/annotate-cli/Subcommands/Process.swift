import AnnotateCore
import AnnotateKit
import AnnotatePipeline
import ArgumentParser
import Foundation
import Logging

struct Process: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Annotate and thumbnail pending images (both tasks run concurrently per image).",
        discussion: """
            Claims pending tasks (and processing ones whose lease expired), runs them, and records each \
            outcome. Many process runs can share one database: each task runs once.
            """)

    @Argument(help: ArgumentHelp("Only these image ids.", valueName: "id"))
    var ids: [Int64] = []

    @Option(help: ArgumentHelp("Run only one task: annotation or thumbnail. [env: ANNOTATE_ONLY]", valueName: "task"))
    var only: String?

    @Flag(help: "Also run failed tasks again, with a fresh attempt count.")
    var retryFailed = false

    @Flag(help: "Also run completed tasks again.")
    var reprocess = false

    @Flag(help: "Re-annotate completed annotations made with another model or prompt than the current ones.")
    var stale = false

    @Option(help: ArgumentHelp("Process at most this many images.", valueName: "n"))
    var limit: Int?

    @Option(help: ArgumentHelp("Thumbnail workers. [default: cores]", valueName: "n"))
    var jobs: String?

    @Flag(help: "Keep claiming new work as it arrives until SIGINT/SIGTERM (polling, with backoff while idle).")
    var watch = false

    @Option(
        help: ArgumentHelp(
            "Process the objects an S3 event names (EventBridge \"Object Created\", a Records notification, or either in an SNS envelope or an SQS batch), registering unknown ones; - reads stdin.",
            valueName: "file"))
    var event: String?

    @Option(
        help: ArgumentHelp(
            "Consume S3 event notifications from this SQS queue (its URL; endpoint from AWS_ENDPOINT_URL_SQS or AWS_ENDPOINT_URL) until a poll brings nothing, or with --watch until stopped.",
            valueName: "url"))
    var queue: String?

    @Option(help: ArgumentHelp("With --queue: how long each long poll waits for messages (0s to 20s). [default: 20s]", valueName: "duration"))
    var queueWait: String = "20s"

    @Flag(
        help: ArgumentHelp(
            "Annotate through the annotator's Batch API at half price: first collect finished jobs (by key), then submit the selected annotation tasks as new jobs; thumbnails run here as usual."
        ))
    var batch = false

    @Option(help: ArgumentHelp("With --batch: the most requests per job; more are split into several jobs. [default: 5000]", valueName: "n"))
    var batchSize: Int?

    @Option(
        help: ArgumentHelp(
            "With --batch: a job still pending or running after this long is cancelled and its tasks re-queued. [default: 24h]",
            valueName: "duration"))
    var batchDeadline: String?

    @Flag(help: "With --batch: keep polling until no job is in flight, collecting each as it finishes.")
    var wait = false

    @Option(help: ArgumentHelp("With --batch --wait: how often to poll the jobs. [default: 30s]", valueName: "duration"))
    var batchPoll: String?

    @Flag(
        help: ArgumentHelp(
            "Spend nothing, change nothing: print how many images the other options select, the tokens their annotations would use and the cost at each tier."
        ))
    var dryRun = false

    @Flag(help: "With --dry-run: ask the API's free token count (Gemini's countTokens) for the first image, and scale the input estimate by it.")
    var countTokens = false

    @Option(
        help: ArgumentHelp(
            "After SIGINT/SIGTERM, how long work in flight may take to finish before it is released. [default: 30s]", valueName: "duration"))
    var grace: String = "30s"

    @OptionGroup(title: "Processing") var processing: ProcessingOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        if let only, TaskKind(rawValue: only) == nil {
            throw ValidationError("--only takes annotation or thumbnail, not \(only.debugDescription)")
        }
        if let limit, limit < 1 { throw ValidationError("--limit must be at least 1") }
        guard Quantity.duration(grace) != nil else {
            throw ValidationError("--grace takes a duration such as 30s or 2m, not \(grace.debugDescription)")
        }
        if watch && !ids.isEmpty { throw ValidationError("--watch claims any new work; it takes no ids") }
        if event != nil && (watch || !ids.isEmpty) { throw ValidationError("--event processes the event's objects; it takes no ids or --watch") }
        if let queue {
            if event != nil || !ids.isEmpty || limit != nil || retryFailed || reprocess || stale {
                throw ValidationError(
                    "--queue processes what its messages name; it takes no ids, --event, --limit, --retry-failed, --reprocess or --stale")
            }
            _ = try Self.queueURL(queue)
        }
        if batch && (watch || event != nil || queue != nil) {
            throw ValidationError("--batch submits and collects jobs over the records; it takes no --watch, --event or --queue")
        }
        if !batch && (wait || batchSize != nil || batchDeadline != nil || batchPoll != nil) {
            throw ValidationError("--wait, --batch-size, --batch-deadline and --batch-poll apply only with --batch")
        }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1, not \(batchSize)") }
        for (flag, text) in [("--batch-deadline", batchDeadline), ("--batch-poll", batchPoll)] {
            guard let text else { continue }
            guard Quantity.duration(text).map({ $0 > .zero }) == true else {
                throw ValidationError("\(flag) takes a duration such as 30s, 90m or 24h, not \(text.debugDescription)")
            }
        }
        if countTokens && !dryRun { throw ValidationError("--count-tokens applies only with --dry-run") }
        if dryRun && (watch || event != nil || queue != nil) {
            throw ValidationError("--dry-run estimates a run over the records; it takes no --watch, --event or --queue")
        }
        guard let wait = Quantity.duration(queueWait), wait <= .seconds(20) else {
            throw ValidationError("--queue-wait takes a duration from 0s to 20s (SQS's longest poll), not \(queueWait.debugDescription)")
        }
    }

    /// An SQS queue URL: http(s), a host and the account/name path.
    static func queueURL(_ text: String) throws -> URL {
        guard let url = URL(string: text), ["https", "http"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false,
            url.path.split(separator: "/").count >= 1
        else {
            throw ValidationError(
                "--queue takes a queue URL such as https://sqs.us-east-1.amazonaws.com/123456789012/annotate-work, not \(text.debugDescription)")
        }
        return url
    }

    func run() async throws {
        try await reportingErrors {
            var flags = processing.flagValues
            flags[.jobs] = jobs
            flags[.only] = only
            try await global.withComponents(adding: flags) { components in
                let output = Output(json: global.json, quiet: global.quiet)
                var options = components.pipelineOptions()
                options.limit = limit
                options.retryFailed = retryFailed
                options.reprocess = reprocess
                options.stale = stale
                options.watch = watch
                options.grace = Quantity.duration(grace)!
                let pipeline = try components.pipeline(tasks: options.tasks)
                // Unknown ids are named, the rest processed, and the run exits 1.
                var unknown = false
                if !ids.isEmpty && event == nil { (options.ids, unknown) = try await knownIDs(components, output: output) }
                if dryRun {
                    let estimate = try await pipeline.estimate(options, countTokens: countTokens)
                    if countTokens && estimate.sample == nil && estimate.inputTokens > 0 {
                        output.message(
                            "annotate: --count-tokens: no count was had (this annotator offers none, or no original could be read); the estimate is the rule's"
                        )
                    }
                    await DryRunReport(estimate: estimate, prices: components.configuration.prices).print(to: output)
                    if unknown { throw ExitCode(.itemsFailed) }
                    return
                }
                try await components.verifyStores()
                if batch {
                    try await runBatch(pipeline: pipeline, options: options, components: components, output: output)
                    if unknown { throw ExitCode(.itemsFailed) }
                    return
                }
                if let queue {
                    try await consume(queue: try Self.queueURL(queue), components: components, pipeline: pipeline, options: options, output: output)
                    return
                }
                var eventFailed = false
                if let event {
                    let (eventIDs, failures) = try await register(event: event, components: components, pipeline: pipeline, output: output)
                    options.ids = eventIDs
                    eventFailed = failures
                }
                var failed = unknown || eventFailed
                var stopped = false
                if options.ids?.isEmpty != true {
                    let summary = try await ProcessRunner(output: output, logger: components.logger).run(pipeline, options: options)
                    failed = summary.failedCount > 0 || failed
                    stopped = summary.stopped
                }
                // A watcher's normal end is a signal; a batch cut short by one did not do everything asked.
                if stopped && !watch { throw ExitCode(130) }
                if failed && !watch { throw ExitCode(.itemsFailed) }
            }
        }
    }
}

extension Process {
    /// The ids given that have a record; each one without is named.
    func knownIDs(_ components: Components, output: Output) async throws -> (ids: [Int64], unknown: Bool) {
        let known = Set(try await components.metadata.records(after: nil, limit: ids.count, filter: .ids(ids)).map(\.id))
        let unknown = ids.filter { !known.contains($0) }
        for id in unknown { output.message("annotate: no image with id \(id)") }
        return (ids.filter { known.contains($0) }, !unknown.isEmpty)
    }

    /// Reads the event, registers each created object that has no record yet, and returns the
    /// ids to process (an event delivered twice finds its records, whose tasks are done).
    func register(event: String, components: Components, pipeline: Pipeline, output: Output) async throws -> (ids: [Int64], failed: Bool) {
        let data: Data
        do {
            data = event == "-" ? FileHandle.standardInput.readDataToEndOfFile() : try Data(contentsOf: URL(fileURLWithPath: event))
        } catch {
            throw ValidationError("cannot read the event file \(event): \(error.localizedDescription)")
        }
        let processor = try components.eventProcessor(pipeline: pipeline)
        var ids: [Int64] = []
        var failed = false
        for object in try S3Event.createdObjects(in: data) {
            let result = try await processor.register(object)
            await Upload.print(result, to: output)
            if let id = result.id { ids.append(id) } else if result.status != .skipped { failed = true }
        }
        return (ids, failed)
    }
}

extension Process {
    /// `--batch`: collect, submit, wait if asked; prints each recorded task and each job's
    /// event, then the summary; exits as `process` does.
    func runBatch(pipeline: Pipeline, options: PipelineOptions, components: Components, output: Output) async throws {
        var batchOptions = BatchOptions()
        if let batchSize { batchOptions.jobSize = batchSize }
        if let deadline = batchDeadline.flatMap(Quantity.duration) { batchOptions.deadline = deadline }
        batchOptions.wait = wait
        if let poll = batchPoll.flatMap(Quantity.duration) { batchOptions.pollInterval = poll }
        let runner = ProcessRunner(output: output, logger: components.logger)
        let service = try BatchService(
            run: BatchRun(
                pipeline: pipeline, options: options, batchOptions: batchOptions, reportTask: runner.print,
                reportJob: { await BatchJobLine.print($0, to: output) }))
        try await ServiceRunner.run([.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)], logger: components.logger)
        guard let summary = service.summary else { throw CancellationError() }
        await runner.print(summary.run, batch: summary)
        if summary.run.stopped { throw ExitCode(130) }
        if summary.run.failedCount > 0 { throw ExitCode(.itemsFailed) }
    }
}

extension Process {
    /// `--queue`: the queue worker as the one service; exits as `process` does (1 when tasks
    /// failed or objects were refused, 69 when a service every image needs is gone).
    func consume(queue url: URL, components: Components, pipeline: Pipeline, options: PipelineOptions, output: Output) async throws {
        var settings = QueueWorker.Settings()
        settings.watch = watch
        settings.visibility = options.lease
        settings.pollWait = Quantity.duration(queueWait)!
        let runner = ProcessRunner(output: output, logger: components.logger)
        let worker = QueueWorker(
            queue: components.workQueue(url: url), processor: try components.eventProcessor(pipeline: pipeline), options: options,
            settings: settings, logger: components.logger, report: runner.print)
        try await ServiceRunner.run([.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)], logger: components.logger)
        let summary = worker.summary
        await runner.print(summary.run, messages: summary)
        if let stopped = worker.stoppedBy { throw stopped }
        // As for any batch run: cut short by a signal, it did not do everything asked (its messages are back in the queue).
        if summary.run.stopped && !watch { throw ExitCode(130) }
        if !watch && (summary.run.failedCount > 0 || summary.refused > 0) { throw ExitCode(.itemsFailed) }
    }
}

/// Runs the pipeline and prints its reports; shared by `process` and `upload --process`.
/// The run is a service in the one lifecycle (`ServiceRunner`): SIGINT/SIGTERM stop it gracefully.
struct ProcessRunner {
    let output: Output
    let logger: Logger

    func run(_ pipeline: Pipeline, options: PipelineOptions) async throws -> RunSummary {
        let service = PipelineService(pipeline: pipeline, options: options, report: print)
        try await ServiceRunner.run([.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)], logger: logger)
        // A run that returned without an error has a summary; without one the group was cancelled.
        guard let summary = service.summary else { throw CancellationError() }
        await print(summary)
        return summary
    }

    /// One finished task, as a line.
    @Sendable func print(_ report: TaskReport) async {
        if output.json {
            await output.result(json: TaskLine(report))
        } else {
            let error = report.error.map { ": \($0)" } ?? ""
            let task = report.task.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
            await output.result(
                "\(report.status.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(task)  #\(report.id)  \(report.filename)\(error)")
        }
    }

    /// The run's counts (and a queue worker's message counts, or a batch run's job counts), as the last line.
    func print(_ summary: RunSummary, messages: QueueWorker.Summary? = nil, batch: BatchSummary? = nil) async {
        if output.json {
            await output.result(json: SummaryLine(summary: summary, messages: messages, batch: batch))
        } else {
            let queue =
                messages.map { "; \($0.deleted) messages done, \($0.redelivered) left for redelivery" }
                ?? batch.map {
                    "; batch: \($0.submitted) job\($0.submitted == 1 ? "" : "s") submitted (\($0.requests) requests), \($0.collected) collected, \($0.inFlight) in flight"
                } ?? ""
            await output.result(
                "\(summary.images) images: \(summary.completedCount) tasks completed, \(summary.failedCount) failed\(summary.retried > 0 ? ", \(summary.retried) retried" : "")\(queue)"
            )
        }
    }
}

/// `{"id", "filename", "task", "status", "error"}`.
struct TaskLine: Encodable {
    let report: TaskReport
    init(_ report: TaskReport) { self.report = report }
    enum CodingKeys: String, CodingKey { case id, filename, task, status, error }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(report.id, forKey: .id)
        try c.encode(report.filename, forKey: .filename)
        try c.encode(report.task.rawValue, forKey: .task)
        try c.encode(report.status.rawValue, forKey: .status)
        try c.encode(report.error, forKey: .error)
    }
}

/// `{"summary": {…counts…}}`, with `"messages": {"deleted", "redelivered", "refused"}` from a queue worker.
struct SummaryLine: Encodable {
    let summary: RunSummary
    var messages: QueueWorker.Summary? = nil
    var batch: BatchSummary? = nil
    enum CodingKeys: String, CodingKey { case summary }
    struct Counts: Encodable {
        let images: Int
        let completed: Int
        let failed: Int
        let retried: Int
        let annotation: [String: Int]
        let thumbnail: [String: Int]
        let messages: [String: Int]?
        let batch: [String: Int]?
    }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        func counts(_ task: TaskKind) -> [String: Int] {
            ["completed": summary.completed[task] ?? 0, "failed": summary.failed[task] ?? 0]
        }
        try c.encode(
            Counts(
                images: summary.images, completed: summary.completedCount, failed: summary.failedCount,
                retried: summary.retried, annotation: counts(.annotation), thumbnail: counts(.thumbnail),
                messages: messages.map { ["deleted": $0.deleted, "redelivered": $0.redelivered, "refused": $0.refused] },
                batch: batch.map { ["submitted": $0.submitted, "requests": $0.requests, "collected": $0.collected, "in_flight": $0.inFlight] }),
            forKey: .summary)
    }
}
