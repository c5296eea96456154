import AnnotateKit
import AnnotatePipeline
import AnnotatePresentation
import ArgumentParser
import Foundation

struct Upload: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Upload image files and folders into the store and the database.",
        discussion: """
            Folders are walked recursively (hidden entries skipped). The type is detected from the bytes. \
            Each file ends uploaded, duplicate (same bytes as an existing record), rejected (a named file that \
            is not an acceptable image) or skipped (a non-image met in a folder). Use - to read paths from stdin.
            """)

    @Argument(help: ArgumentHelp("Files, folders, or - for newline-separated paths on stdin.", valueName: "path"))
    var paths: [String]

    @Flag(help: "Process the new images right after uploading them.")
    var process = false

    @Option(help: ArgumentHelp("Parallel uploads (and thumbnail workers with --process). [default: cores]", valueName: "n"))
    var jobs: String?

    @Option(help: ArgumentHelp("Reject files larger than this (bytes, or KB/MB/GB). [default: 100MB]", valueName: "size"))
    var maxBytes: String?

    @Option(help: ArgumentHelp("Reject images with more pixels than this, read from the header (e.g. 100MP). [default: 100MP]", valueName: "n"))
    var maxPixels: String?

    @OptionGroup(title: "Processing (with --process)") var processing: ProcessingOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        try await reportingErrors {
            var flags = processing.flagValues
            flags[.jobs] = jobs
            flags[.maxBytes] = maxBytes
            flags[.maxPixels] = maxPixels
            try await global.withComponents(adding: flags) { components in
                try await components.verifyStores()
                let output = Output(json: global.json, quiet: global.quiet)
                // With --process, a missing key or model stops here, before anything is uploaded.
                let pipeline = process ? try components.pipeline() : nil

                var named: [String] = []
                for path in paths {
                    if path == "-" {
                        let input = FileHandle.standardInput.readDataToEndOfFile()
                        named += String(decoding: input, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
                    } else {
                        named.append(path)
                    }
                }
                let (candidates, problems) = PathWalker.expand(named)
                for problem in problems { await Self.print(problem, to: output) }

                await output.startProgress(total: candidates.count, label: "files")
                let results = try await components.uploader().upload(candidates, jobs: components.configuration.jobs) { result in
                    await output.advanceProgress()
                    await Self.print(result, to: output)
                }
                await output.finishProgress()

                let all = problems + results
                let counts = Dictionary(grouping: all, by: \.status).mapValues(\.count)
                if !global.json {
                    await output.result(
                        "\(counts[.uploaded] ?? 0) uploaded, \(counts[.duplicate] ?? 0) duplicate, \(counts[.rejected] ?? 0) rejected, \(counts[.skipped] ?? 0) skipped"
                    )
                }
                var failed = (counts[.rejected] ?? 0) > 0
                if let pipeline {
                    let ids = results.filter { $0.status == .uploaded }.compactMap(\.id)
                    if !ids.isEmpty {
                        var options = components.pipelineOptions()
                        options.ids = ids
                        let summary = try await ProcessRunner(output: output, logger: components.logger).run(pipeline, options: options)
                        failed = failed || summary.failedCount > 0
                    }
                }
                if failed { throw ExitCode(.itemsFailed) }
            }
        }
    }

    static func print(_ result: UploadResult, to output: Output) async {
        if output.json {
            await output.result(json: UploadResultJSON(result))
            return
        }
        switch result.status {
        case .uploaded: await output.result("uploaded   #\(result.id ?? 0)  \(result.file)")
        case .duplicate: await output.result("duplicate  #\(result.id ?? 0)  \(result.file)")
        case .rejected: await output.result("rejected        \(result.file): \(result.reason ?? "")")
        case .skipped: await output.result("skipped         \(result.file): \(result.reason ?? "")")
        }
    }
}
