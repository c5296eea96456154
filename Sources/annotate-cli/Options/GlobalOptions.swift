import AnnotateKit
import ArgumentParser
import Foundation
import Logging

/// Flags every subcommand takes.
struct GlobalOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Root of the embedded defaults: the SQLite file and the object folder. [env: ANNOTATE_HOME]", valueName: "dir"))
    var home: String?

    @Option(
        help: ArgumentHelp(
            "Database: sqlite:PATH, or mysql://USER:PASS@HOST[:PORT]/DB for MySQL 8 or MariaDB. [env: ANNOTATE_DB, else DB_HOST…DB_PASSWORD; default: sqlite:HOME/annotate.db]",
            valueName: "url"))
    var db: String?

    @Option(
        help: ArgumentHelp(
            "Store for originals: file:DIR, or s3://BUCKET[/PREFIX] for S3 or an S3-compatible server (AWS_ENDPOINT_URL_S3). [env: ANNOTATE_STORE; default: file:HOME/objects]",
            valueName: "url"))
    var store: String?

    @Option(
        help: ArgumentHelp(
            "Store for thumbnails: file:DIR or s3://BUCKET[/PREFIX]. [env: ANNOTATE_THUMBNAIL_STORE, or THUMBNAIL_BUCKET_NAME; default: the --store]",
            valueName: "url"))
    var thumbnailStore: String?

    @Option(help: ArgumentHelp("TOML file whose keys are long option names. [env: ANNOTATE_CONFIG]", valueName: "file"))
    var config: String?

    @Flag(help: "Print one JSON object per line on stdout, and nothing else there.")
    var json = false

    @Flag(help: "Log only errors.")
    var quiet = false

    @Flag(help: "Log what is being done (to stderr).")
    var verbose = false

    var flagValues: [ConfigurationKey: String] {
        var values: [ConfigurationKey: String] = [:]
        values[.home] = home
        values[.db] = db
        values[.store] = store
        values[.thumbnailStore] = thumbnailStore
        return values
    }
}

extension GlobalOptions {
    /// Resolves the configuration (adding the subcommand's own flags), bootstraps logging, opens
    /// the backends for `body` and closes them after it, however it ends.
    func withComponents<T>(adding flags: [ConfigurationKey: String] = [:], _ body: (Components) async throws -> T) async throws -> T {
        let configuration = try await DatabaseSecret.resolve(try configuration(adding: flags))
        return try await Components.withOpen(configuration, logger: logger(for: configuration), body)
    }

    /// The configuration from the flags (with the subcommand's own), the environment and the file.
    func configuration(adding flags: [ConfigurationKey: String] = [:]) throws -> Configuration {
        try Configuration.resolve(
            flags: flagValues.merging(flags) { _, new in new }, configFile: config,
            environment: ProcessInfo.processInfo.environment)
    }

    /// Logging bootstrapped at the level the flags and `configuration` ask for.
    func logger(for configuration: Configuration) -> Logger {
        let level: Logger.Level = quiet ? .error : verbose ? .debug : configuration.logLevel ?? .warning
        LogSetup.bootstrapOnce(level: level)
        var logger = Logger(label: "annotate")
        logger.logLevel = level
        return logger
    }
}

enum LogSetup {
    // Touched only from the main command before any concurrent work starts.
    nonisolated(unsafe) private static var done = false

    /// Logs go to stderr, never mixed into stdout data.
    static func bootstrapOnce(level: Logger.Level) {
        guard !done else { return }
        done = true
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
