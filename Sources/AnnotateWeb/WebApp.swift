import AnnotateCore
import AnnotatePipeline
import AnnotatePresentation
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle

/// `annotate serve`: the routes of the contract over one database and store. Many instances
/// may share them; each can also process what is uploaded to it (see `InProcessWorker`).
public struct WebApp: Sendable {
    let metadata: any MetadataStore
    let originals: any ObjectStore
    let thumbnails: any ObjectStore
    let uploader: Uploader
    let settings: WebSettings
    let prices: PriceTable
    let pages: WebPages
    let metrics = WebMetrics()
    let presigned = PresignedURLCache()
    /// Gallery, image and API pages, kept while the database's change version holds.
    let pageCache = PageCache()
    /// What every response carries (see `SecurityHeaders`).
    let securityHeaders: HTTPFields
    /// Rung after each upload so this instance's worker claims it at once.
    public let wake = WorkSignal()
    /// Set on SIGTERM: `/health` fails while the other routes drain (see `LameDuckService`).
    public let drain = DrainState()
    let logger: Logger
    /// Where uploads are written while they arrive (one folder per request, removed after it).
    var temporaryDirectory = FileManager.default.temporaryDirectory
    /// How long `/health` waits for each part before calling it unavailable.
    var healthTimeout: Duration = .seconds(3)

    /// The web front over these parts; `uploader` stores what `POST /upload` receives, `prices`
    /// price the records the API shows and the cost `/metrics` exports.
    public init(
        metadata: any MetadataStore, originals: any ObjectStore, thumbnails: any ObjectStore,
        uploader: Uploader, settings: WebSettings, prices: PriceTable, logger: Logger
    ) throws {
        self.prices = prices
        self.metadata = metadata
        self.originals = originals
        self.thumbnails = thumbnails
        self.uploader = uploader
        self.settings = settings
        self.pages = try WebPages()
        self.logger = logger
        securityHeaders = SecurityHeaders<BasicRequestContext>.fields(
            imageOrigins: Set([originals, thumbnails].compactMap(\.browserOrigin)).sorted())
    }

    /// Every route, behind the drain's `Connection: close`, metrics, security headers,
    /// compression, error pages, the Host check, the cross-site write guard and the token check
    /// (in that order from the outside in). Each GET route answers HEAD as well (HTTP requires
    /// it): the GET's status and headers, and no body; other methods a route does not take are
    /// 405 with `Allow` (see `RouteRegistry`).
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self, options: .autoGenerateHeadEndpoints)
        router.add(middleware: DrainingConnectionClose(state: drain))
        router.add(middleware: RequestMetrics(metrics: metrics))
        router.add(middleware: SecurityHeaders(fields: securityHeaders))
        router.add(middleware: ResponseCompression())
        router.add(middleware: ErrorRendering(pages: pages))
        router.add(middleware: HostAllowList(policy: hostPolicy))
        router.add(middleware: CrossSiteWriteGuard())
        if let token = settings.token {
            router.add(middleware: AccessControl(token: token, isPrivate: settings.isPrivate))
        }
        let routes = RouteRegistry(router)
        addPageRoutes(to: routes)
        addUploadRoute(to: routes)
        addAPIRoutes(to: routes)
        addMediaRoutes(to: routes)
        addOperationsRoutes(to: routes)
        routes.answerOtherMethods()
        return router
    }

    /// The application on the configured address. `onRunning` hears the address actually bound
    /// (for port 0).
    func application(onRunning: @escaping @Sendable (String) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: router(),
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
                await onRunning("http://\(host):\(port)")
            },
            logger: logger)
    }

    /// The Host names this instance answers for (see `HostPolicy`).
    var hostPolicy: HostPolicy {
        HostPolicy(bindHost: settings.host, allowedHosts: settings.allowedHosts) {
            ((try? System.enumerateDevices()) ?? []).compactMap { $0.address?.ipAddress }
        }
    }

    /// HTTP/1.1 with kept pages answered on the event loop (see `KeptPageResponder`).
    var server: HTTPServerBuilder {
        let rules = keptPageRules
        return .http1(configuration: .init(additionalChannelHandlers: [KeptPageResponder(rules: rules)]))
    }

    /// When a request is answered from the kept pages on the event loop, before the router.
    var keptPageRules: KeptPageRules {
        let metadata = metadata
        return KeptPageRules(
            pages: pageCache, hosts: hostPolicy, token: settings.isPrivate ? settings.token.map(TokenCheck.init) : nil,
            drain: drain, metrics: metrics, version: { metadata.immediateChangeVersion() })
    }
}

extension Response {
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        html(parts: [text], status: status)
    }

    /// An HTML page given as consecutive parts, written into one buffer.
    static func html(parts: [String], status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(parts.reduce(0) { $0 + $1.utf8.count })
        for part in parts { buffer.writeString(part) }
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: buffer))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: JSONLine.encode(value) + "\n")))
    }

    static func redirect(to location: String, status: HTTPResponse.Status = .seeOther, cacheControl: String = "no-store") -> Response {
        Response(status: status, headers: [.location: location, .cacheControl: cacheControl])
    }
}

extension WebApp {
    /// Serves until SIGTERM or SIGINT, then goes lame duck: `/health` answers 503 at once and the
    /// worker stops claiming, the other routes keep serving for the drain delay (none after
    /// SIGINT), then the server stops accepting, requests in flight finish, and the worker
    /// finishes or releases its tasks; a second signal quits at once. `onRunning` hears the URL.
    public func serve(worker: InProcessWorker?, onRunning: @escaping @Sendable (String) async -> Void) async throws {
        // A service group shuts its services down one at a time, last first: the lame duck
        // comes last, so the drain begins (and the worker stops claiming) the moment a signal
        // arrives; the server stops accepting only once the delay is over.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: application(onRunning: onRunning))]
        if let worker { services.append(.init(service: worker)) }
        services.append(.init(service: LameDuckService(state: drain, delay: settings.drainDelay, logger: logger)))
        let drain = drain
        do {
            try await ServiceRunner.run(services, logger: logger) { signal in
                if signal == .interrupt { drain.skipDelay() }
            }
        } catch let error as WebServerError {
            throw error
        } catch  where "\(error)".contains("bind(") || "\(error)".lowercased().contains("address already in use") {
            throw WebServerError(address: "\(settings.host):\(settings.port)", reason: "\(error)")
        }
    }
}

/// The server could not listen where it was asked to.
public struct WebServerError: Error, CustomStringConvertible, ExitStatusProviding {
    /// The address asked for.
    public var address: String
    /// What the system said.
    public var reason: String

    /// The address and what to do.
    public var description: String {
        let inUse = reason.lowercased().contains("address already in use")
        return "cannot listen on \(address): " + (inUse ? "another program is using that port; choose another with --port" : reason)
    }

    /// 69: the port is not available.
    public var exitStatus: ExitStatus { .unavailable }
}
