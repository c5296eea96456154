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
                        if global.json { await output.result(json: RecordJSON(record)) } else { await output.result(Self.describe(record)) }
                    }
                    if failed {
                        for record in try await metadata.allRecords(filter: .failed) {
                            if global.json { await output.result(json: RecordJSON(record)) } else { await output.result(Self.ledger(record)) }
                        }
                    }
                    if missing { throw ExitCode(.itemsFailed) }
                } else {
                    let summary = try await metadata.summary()
                    let failures = try await metadata.latestFailures(limit: 10)
                    if global.json {
                        await output.result(json: SummaryJSON(summary: summary, failures: failures))
                    } else {
                        await output.result(Self.describe(summary, failures: failures))
                    }
                }
                if wait, try await metadata.summary().failed > 0 { throw ExitCode(.itemsFailed) }
            }
        }
    }

    static func describe(_ summary: StatusSummary, failures: [ImageRecord]) -> String {
        var lines = ["\(summary.total) images"]
        lines.append("task        " + TaskStatus.allCases.map { $0.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0) }.joined())
        for (name, counts) in [("annotation", summary.annotation), ("thumbnail", summary.thumbnail)] {
            lines.append(
                name.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + TaskStatus.allCases.map { String(counts[$0] ?? 0).padding(toLength: 11, withPad: " ", startingAt: 0) }.joined())
        }
        if summary.tokens > 0 { lines.append("tokens used: \(summary.tokens)") }
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

    static func describe(_ r: ImageRecord) -> String {
        var lines = ["#\(r.id) \(r.filename)"]
        func add(_ label: String, _ value: String?) {
            if let value { lines.append("  " + label.padding(toLength: 12, withPad: " ", startingAt: 0) + value) }
        }
        add("sha256", r.sha256)
        add("type", r.contentType)
        add("size", r.size.map { "\($0) bytes" })
        if let w = r.width, let h = r.height { add("dimensions", "\(w)×\(h)") }
        add("annotation", "\(r.annotationStatus.rawValue)\(r.annotationError.map { " (\($0))" } ?? "")")
        add("caption", r.annotation)
        add("tags", r.tags.isEmpty ? nil : r.tags.joined(separator: ", "))
        add("model", r.model)
        add("tokens", r.tokens.map(String.init))
        add("thumbnail", "\(r.thumbnailStatus.rawValue)\(r.thumbnailError.map { " (\($0))" } ?? "")")
        add("original", r.originalKey)
        add("thumb key", r.thumbnailKey)
        add("attempts", "annotation \(r.annotationAttempts), thumbnail \(r.thumbnailAttempts)")
        add("uploaded", Timestamp.iso8601(r.uploadedAt))
        add("updated", Timestamp.iso8601(r.updatedAt))
        return lines.joined(separator: "\n")
    }
}
