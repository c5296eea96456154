import AnnotateCore
import AnnotateKit
import AnnotateWeb
import ArgumentParser
import Foundation

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the web front: upload form, gallery, image pages, JSON API, /health and /metrics.",
        discussion: """
            Uploads are processed in this process at once (through the same claims as `process`, so \
            `process --watch` workers elsewhere share the load) unless --no-process. SIGTERM first goes \
            lame duck for --drain-delay (SIGINT skips the delay) (/health answers 503 so load balancers take the instance \
            out, every other route keeps serving, with Connection: close; the worker stops claiming), then \
            drains requests, lets tasks in flight finish within --grace, and releases the rest. \
            Prefer ANNOTATE_TOKEN to --token: command lines are visible to other users of the host.
            """)

    @Option(help: ArgumentHelp("Address to listen on. [default: 127.0.0.1]", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp("Port to listen on; 0 picks a free one. [default: 8080]", valueName: "port"))
    var port: String?

    @Option(
        help: ArgumentHelp(
            "Token that uploads (and with --private, reads) need, as a Bearer token or a Basic password. [env: ANNOTATE_TOKEN]", valueName: "token"))
    var token: String?

    @Flag(name: .customLong("private"), help: "Reads need the token too (all but /health and /metrics).")
    var isPrivate = false

    @Option(help: ArgumentHelp("Largest upload request in megabytes. [default: 100]", valueName: "n"))
    var maxUploadMb: String?

    @Option(
        name: .customLong("allowed-host"),
        help: ArgumentHelp(
            "A Host name this server answers for besides localhost, 127.0.0.1 and [::1] (repeatable; * for any, behind a proxy that rewrites Host). [env: ANNOTATE_ALLOWED_HOSTS]",
            valueName: "name"))
    var allowedHosts: [String] = []

    @Option(
        help: ArgumentHelp(
            "After SIGTERM, how long /health answers 503 while the other routes keep serving, before the server stops accepting; none after SIGINT. [env: ANNOTATE_DRAIN_DELAY; default: 10s]",
            valueName: "duration"))
    var drainDelay: String?

    @Flag(help: "Web only: leave processing to `process --watch` workers.")
    var noProcess = false

    @Option(help: ArgumentHelp("Thumbnail workers. [default: cores]", valueName: "n"))
    var jobs: String?

    @Option(
        help: ArgumentHelp(
            "After SIGINT/SIGTERM, how long tasks in flight may take to finish before they are released. [default: 30s]", valueName: "duration"))
    var grace: String = "30s"

    @OptionGroup(title: "Processing") var processing: ProcessingOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func validate() throws {
        guard Quantity.duration(grace) != nil else {
            throw ValidationError("--grace takes a duration such as 30s or 2m, not \(grace.debugDescription)")
        }
    }

    func run() async throws {
        try await reportingErrors {
            var flags = processing.flagValues
            flags[.jobs] = jobs
            flags[.host] = host
            flags[.port] = port
            flags[.token] = token
            flags[.maxUploadMB] = maxUploadMb
            flags[.drainDelay] = drainDelay
            if isPrivate { flags[.isPrivate] = "true" }
            if noProcess { flags[.noProcess] = "true" }
            if !allowedHosts.isEmpty { flags[.allowedHost] = allowedHosts.joined(separator: ",") }
            try await global.withComponents(adding: flags) { components in
                try await components.verifyStores()
                let (app, worker) = try components.webService(grace: Quantity.duration(grace)!)
                let output = Output(json: global.json, quiet: global.quiet)
                let settings = components.configuration.web
                try await app.serve(worker: worker) { url in
                    if output.json {
                        await output.result(json: ["listening": url, "processing": settings.processUploads ? "in-process" : "off"])
                    } else {
                        await output.result("Listening on \(url)" + (settings.processUploads ? "" : " (web only: --no-process)"))
                    }
                }
            }
        }
    }
}
