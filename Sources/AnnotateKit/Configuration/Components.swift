import AnnotateAWS
import AnnotateAnnotators
import AnnotateCore
import AnnotateHTTPClient
import AnnotateImaging
import AnnotateMetadata
import AnnotatePipeline
import AnnotateQueue
import AnnotateStorage
import Foundation
import Logging
import Synchronization

/// The composition root: the one place a `Configuration` becomes concrete backends.
/// Tests build `Pipeline`/`Uploader` from their own parts instead. What it opens it closes:
/// call `close()` when done, or use `withOpen`, which always does.
public struct Components: Sendable {
    /// The settings these components were made from.
    public let configuration: Configuration
    /// The configured database, migrated.
    public let metadata: any MetadataStore
    /// Where originals are stored.
    public let originals: any ObjectStore
    /// Where thumbnails are stored (often the same store).
    public let thumbnails: any ObjectStore
    /// The logger every part writes to.
    public let logger: Logger
    /// The HTTP clients made for the stores and annotators, shut down by `close()`.
    let transports: OwnedTransports

    /// Opens the database (applying migrations) and the stores; `close()` them when done.
    public static func open(_ configuration: Configuration, logger: Logger) throws -> Components {
        let metadata = try openDatabase(configuration, logger: logger)
        let transports = OwnedTransports()
        let (originals, thumbnails) = try openStores(configuration, transports: transports)
        return Components(
            configuration: configuration, metadata: metadata, originals: originals, thumbnails: thumbnails, logger: logger,
            transports: transports)
    }

    /// Opens the components, runs `body` with them and closes them, whether `body` returns or throws.
    public static func withOpen<T>(
        _ configuration: Configuration, logger: Logger, _ body: (Components) async throws -> T
    ) async throws -> T {
        let components = try open(configuration, logger: logger)
        do {
            let result = try await body(components)
            await components.close()
            return result
        } catch {
            await components.close()
            throw error
        }
    }

    /// Closes the database and shuts down the HTTP clients these components made; nothing may
    /// use them afterwards.
    public func close() async {
        await metadata.close()
        await transports.shutdownAll()
    }

    /// The configured database, migrated.
    static func openDatabase(_ configuration: Configuration, logger: Logger) throws -> any MetadataStore {
        switch configuration.database {
        case .sqlite(let path): try SQLiteMetadataStore(path: path)
        case .mysql(let location):
            // Enough connections for every worker's store calls plus lease renewal.
            try MySQLMetadataStore(location: location, connections: configuration.jobs + configuration.annotationJobs + 2, logger: logger)
        }
    }

    /// The originals and thumbnail stores (one object when they are the same); an S3 store's
    /// HTTP client joins `transports`.
    static func openStores(
        _ configuration: Configuration, transports: OwnedTransports
    ) throws -> (originals: any ObjectStore, thumbnails: any ObjectStore) {
        // One credential chain and HTTP session for every S3 store, made only when one is used.
        var shared: AWSContext?
        func context() -> AWSContext {
            if let shared { return shared }
            let made = AWSContext(configuration.aws, connections: configuration.jobs + configuration.annotationJobs)
            transports.adopt(made.transport)
            shared = made
            return made
        }
        func objectStore(_ location: StoreLocation) throws -> any ObjectStore {
            switch location {
            case .file(let directory):
                return try FileObjectStore(root: URL(fileURLWithPath: directory, isDirectory: true))
            case .s3(let bucket, let prefix):
                let s3 = context()
                return S3ObjectStore(
                    settings: .init(bucket: bucket, prefix: prefix, endpoint: s3.endpoint, region: s3.region),
                    credentials: s3.credentials, transport: s3.transport)
            }
        }
        // Folders first: they are what can fail here, and failing before any S3 store is made
        // leaves no HTTP client behind unclosed.
        func folder(_ location: StoreLocation) throws -> (any ObjectStore)? {
            if case .file = location { return try objectStore(location) }
            return nil
        }
        let sameStore = configuration.thumbnailStore == configuration.store
        let originalsFolder = try folder(configuration.store)
        let thumbnailsFolder = sameStore ? nil : try folder(configuration.thumbnailStore)
        let originals = try originalsFolder ?? objectStore(configuration.store)
        let thumbnails = sameStore ? originals : try thumbnailsFolder ?? objectStore(configuration.thumbnailStore)
        return (originals, thumbnails)
    }

    /// Where the originals store is, as S3 events name its objects (bucket, prefix, `uploads/`).
    public var originalsLocation: OriginalsLocation {
        if case .s3(let bucket, let prefix) = configuration.store { return OriginalsLocation(bucket: bucket, prefix: prefix) }
        return OriginalsLocation(bucket: nil)
    }

    /// Registers and processes what S3 events name, for `process --queue` and `lambda`.
    public func eventProcessor(pipeline: Pipeline) throws -> EventProcessor {
        EventProcessor(uploader: try uploader(), pipeline: pipeline, location: originalsLocation, logger: logger)
    }

    /// The SQS queue at `url` (`AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL` redirect requests),
    /// signed with the same credential chain as S3. Its HTTP client is closed with the rest.
    public func workQueue(url: URL) -> any WorkQueue {
        let context = AWSContext(configuration.aws, connections: 4)
        transports.adopt(context.transport)
        return SQSQueue(
            settings: .init(queueURL: url, endpoint: configuration.aws.sqsEndpoint, defaultRegion: context.region),
            credentials: context.credentials, transport: context.transport)
    }

    /// Checks that every store answers (an S3 bucket to its credentials, a folder to this user),
    /// so a wrong key, secret, bucket or folder stops a run (exit 69) before any work rather than
    /// failing each file.
    public func verifyStores() async throws {
        for store in [originals, thumbnails] { try await store.checkReachable() }
    }

    /// The uploader over these backends.
    public func uploader() throws -> Uploader {
        Uploader(metadata: metadata, store: originals, limits: configuration.limits, headers: try VipsHeaderReader(), logger: logger)
    }

    /// The configured annotator; a missing key or model is a configuration error (exit 78) before any work.
    public func annotator() throws -> any Annotator {
        let settings = configuration.annotation
        func common(model: String) -> RemoteAnnotatorSettings {
            var common = RemoteAnnotatorSettings(
                model: model, prompt: settings.prompt, temperature: settings.temperature,
                timeout: settings.requestTimeout, previewSide: settings.previewSide)
            common.serviceTier = settings.serviceTier
            return common
        }
        var pacer: RequestPacer? { settings.ratePerMinute.map { RequestPacer(perMinute: $0) } }
        var transport: NIOHTTPTransport {
            transports.adopt(NIOHTTPTransport(maximumConnections: configuration.annotationJobs, readTimeout: settings.requestTimeout))
        }
        switch configuration.annotator {
        case .metadata:
            return try MetadataAnnotator()
        case .gemini:
            guard let key = settings.geminiKey else {
                throw ConfigurationError(
                    source: .defaultValue,
                    message:
                        "the gemini annotator needs an API key: set GEMINI_API_KEY (or GOOGLE_API_KEY), or use --annotator metadata for offline annotations"
                )
            }
            return GeminiAnnotator(
                settings: .init(apiKey: key, baseURL: settings.geminiBaseURL, common: common(model: settings.model ?? GeminiAnnotator.defaultModel)),
                transport: transport, pacer: pacer, logger: logger)
        case .openai:
            guard let model = settings.model else {
                throw ConfigurationError(source: .defaultValue, message: "the openai annotator needs a model: set --model or OPENAI_MODEL")
            }
            return OpenAIAnnotator(
                settings: .init(baseURL: settings.openAIBaseURL, apiKey: settings.openAIKey, common: common(model: model)),
                transport: transport, pacer: pacer, logger: logger)
        }
    }

    /// The pipeline with the configured annotator and thumbnailer. A run without annotation
    /// tasks (`--only thumbnail`) needs no key: it gets the offline annotator, which it never calls.
    public func pipeline(tasks: Set<TaskKind> = Set(TaskKind.allCases)) throws -> Pipeline {
        let annotator = tasks.contains(.annotation) ? try annotator() : try MetadataAnnotator()
        return Pipeline(
            metadata: metadata, originals: originals, thumbnails: thumbnails, annotator: annotator,
            thumbnailer: try VipsThumbnailer(spec: configuration.thumbnail), logger: logger)
    }

    /// Pipeline options from the configuration; the caller adds the run's own choices.
    public func pipelineOptions() -> PipelineOptions {
        var options = PipelineOptions()
        options.jobs = configuration.jobs
        options.annotationJobs = configuration.annotationJobs
        options.maxAttempts = configuration.maxAttempts
        options.lease = configuration.lease
        options.tasks = configuration.tasks
        return options
    }
}

/// What every S3 store of one run shares (and the queue has its own of): one credential chain and one HTTP transport.
private struct AWSContext {
    let credentials: AWSCredentialChain
    let transport: NIOHTTPTransport
    let region: String
    let endpoint: URL?

    init(_ settings: AWSSettings, connections: Int) {
        // An answer silent this long is a stalled connection, retried like a timeout.
        transport = NIOHTTPTransport(maximumConnections: max(8, connections), readTimeout: .seconds(60))
        credentials = AWSCredentialChain(environment: settings.environment, transport: transport)
        region = credentials.region()
        endpoint = settings.s3Endpoint
    }
}

/// The HTTP clients a `Components` made, to be shut down together when it closes.
final class OwnedTransports: Sendable {
    private let transports = Mutex<[any HTTPTransport]>([])

    /// Takes `transport` into the set and hands it back.
    @discardableResult
    func adopt<T: HTTPTransport>(_ transport: T) -> T {
        transports.withLock { $0.append(transport) }
        return transport
    }

    /// Shuts every adopted transport down (once: they leave the set).
    func shutdownAll() async {
        let all = transports.withLock { taken in
            defer { taken.removeAll() }
            return taken
        }
        for transport in all { await transport.shutdown() }
    }
}
