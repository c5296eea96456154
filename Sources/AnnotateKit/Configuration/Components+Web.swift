import AnnotateCore
import AnnotatePipeline
import AnnotateWeb

extension WebApp {
    /// The web front over the configured database and stores.
    public init(components: Components) throws {
        try self.init(
            metadata: components.metadata, originals: components.originals, thumbnails: components.thumbnails,
            uploader: components.uploader(), settings: components.configuration.web, prices: components.configuration.prices,
            logger: components.logger)
    }
}

extension Components {
    /// `serve`'s parts: the web front and, unless `--no-process`, the worker beside it that
    /// processes uploads, letting tasks in flight finish within `grace` when stopped.
    public func webService(grace: Duration) throws -> (app: WebApp, worker: InProcessWorker?) {
        let app = try WebApp(components: self)
        guard configuration.web.processUploads else { return (app, nil) }
        var options = pipelineOptions()
        options.grace = grace
        return (app, InProcessWorker(pipeline: try pipeline(), options: options, app: app, logger: logger))
    }
}
