import AnnotateCore

/// What `annotate serve` listens on and whom it lets in.
public struct WebSettings: Sendable {
    /// The address to listen on.
    public var host = "127.0.0.1"
    /// 0 picks a free port (printed at start).
    public var port = 8080
    /// `--token` / `ANNOTATE_TOKEN`: needed for writes (and, with `isPrivate`, for reads).
    public var token: Secret?
    /// `--private`: reads need the token too (except `/health` and `/metrics`).
    public var isPrivate = false
    /// `--max-upload-mb`: the largest request body `POST /upload` accepts.
    public var maxUploadBytes: Int64 = 100 << 20
    /// `--no-process`: a web-only instance that leaves processing to other workers.
    public var processUploads = true
    /// `--allowed-host` / `ANNOTATE_ALLOWED_HOSTS`: Host names answered besides the loopback ones
    /// (on a loopback `--host`) and the listening addresses; `*` turns the Host check off.
    public var allowedHosts: [String] = []
    /// `--drain-delay` / `ANNOTATE_DRAIN_DELAY`: after SIGTERM, how long `/health` fails while the
    /// other routes keep serving, before the server stops accepting (two health-check intervals).
    public var drainDelay: Duration = .seconds(10)

    /// The defaults: loopback, port 8080, no token, processing on.
    public init() {}
}
