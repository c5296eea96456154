import AnnotateCore
import AnnotateKit
import AnnotateLambda
import AnnotatePipeline
import ArgumentParser
import Foundation

struct Lambda: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run as an AWS Lambda function (custom runtime): process the S3 events each invocation brings.",
        discussion: """
            The function's bootstrap (a zip on provided.al2023, or a container image; make lambda-bundle). \
            Takes invocations from the Runtime API at AWS_LAMBDA_RUNTIME_API: EventBridge "Object Created", \
            S3 Records, or SQS-delivered messages, each answered as `process --event` would process them. \
            An SQS batch is answered with batchItemFailures naming only the messages to redeliver; a direct \
            event that is left unfinished is an invocation error, so Lambda's retries apply. Work still \
            running near the deadline is released and reported for redelivery. Configuration as for every \
            subcommand (environment first); a bad one, or an unreachable database or store, is reported to \
            /runtime/init/error before the process exits.
            """)

    @Option(help: ArgumentHelp("Run only one task: annotation or thumbnail. [env: ANNOTATE_ONLY]", valueName: "task"))
    var only: String?

    @Option(help: ArgumentHelp("Thumbnail workers. [default: cores]", valueName: "n"))
    var jobs: String?

    @OptionGroup(title: "Processing") var processing: ProcessingOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        if let only, TaskKind(rawValue: only) == nil {
            throw ValidationError("--only takes annotation or thumbnail, not \(only.debugDescription)")
        }
    }

    func run() async throws {
        try await reportingErrors {
            guard let address = ProcessInfo.processInfo.environment["AWS_LAMBDA_RUNTIME_API"], !address.isEmpty else {
                throw NoRuntimeAPI()
            }
            let runtime = LambdaRuntimeClient.connecting(to: address)
            do {
                try await serve(runtime)
                await runtime.shutdown()
            } catch {
                await runtime.shutdown()
                throw error
            }
        }
    }

    /// Initialises (any failure goes to /runtime/init/error), then runs the invocation loop.
    private func serve(_ runtime: LambdaRuntimeClient) async throws {
        var flags = processing.flagValues
        flags[.jobs] = jobs
        flags[.only] = only
        var handler: LambdaHandler?
        do {
            try await global.withComponents(adding: flags) { components in
                try await components.verifyForLambda()
                let ready = try components.lambdaHandler()
                handler = ready
                let service = LambdaService(runtime: runtime, handler: ready) { line in
                    FileHandle.standardError.write(Data((line + "\n").utf8))
                }
                try await ServiceRunner.run([.init(service: service)], logger: components.logger)
            }
        } catch  where handler == nil {
            // Before the first invocation: the platform shows this to whoever invokes.
            let status = (error as? any ExitStatusProviding)?.exitStatus
            let type =
                switch status {
                case .configuration, .usage: "Runtime.ConfigInvalid"
                case .unavailable: "Runtime.DependencyUnavailable"
                default: "Runtime.InitFailed"
                }
            try? await runtime.failInitialisation(with: LambdaErrorReport(errorType: type, errorMessage: "annotate: \(error)"))
            throw error
        }
    }
}

/// `lambda` outside Lambda.
struct NoRuntimeAPI: Error, CustomStringConvertible, ExitStatusProviding {
    var description: String {
        "AWS_LAMBDA_RUNTIME_API is not set: annotate lambda runs as a Lambda function's bootstrap, under the Lambda Runtime API "
            + "(locally: AWS's emulator, aws-lambda-rie; see README, \"Running on AWS Lambda\")"
    }
    /// 78: the environment lacks what the mode needs.
    var exitStatus: ExitStatus { .configuration }
}
