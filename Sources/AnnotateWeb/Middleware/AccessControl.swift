import AnnotateCore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird

/// The `--token` check: writes always need it; with `--private`, reads too, except `/health`
/// and `/metrics` (load balancers and scrapers). It is accepted as `Authorization: Bearer TOKEN`
/// or as the password of HTTP Basic (any user name), so a browser can log in by its own prompt.
struct AccessControl<Context: RequestContext>: RouterMiddleware {
    let check: TokenCheck
    let isPrivate: Bool

    init(token: Secret, isPrivate: Bool) {
        check = TokenCheck(token: token)
        self.isPrivate = isPrivate
    }

    static var openPaths: Set<String> { ["/health", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let isRead = request.method == .get || request.method == .head
        let needsToken = !isRead || (isPrivate && !Self.openPaths.contains(request.uri.path))
        guard !needsToken || check.accepts(authorization: request.headers[.authorization]) else {
            var headers = HTTPFields()
            headers.append(HTTPField(name: .wwwAuthenticate, value: #"Basic realm="annotate", charset="UTF-8""#))
            headers.append(HTTPField(name: .wwwAuthenticate, value: #"Bearer realm="annotate""#))
            let what = isRead ? "reading this server" : "uploading"
            throw WebError(
                .unauthorized, "\(what) needs the server's token: send Authorization: Bearer TOKEN, or log in with the token as the password",
                headers: headers)
        }
        return try await next(request, context)
    }
}

/// Whether an `Authorization` header presents the token: `Bearer TOKEN`, or HTTP Basic with the
/// token as the password. A pure value, asked by the router's check and by the kept-page answer
/// on the event loop alike.
struct TokenCheck: Sendable {
    private let expected: [UInt8]

    init(token: Secret) {
        expected = Array(SHA256.hash(data: Data(token.reveal().utf8)))
    }

    /// Compares digests, so the time taken says nothing about how much of the token matched.
    func accepts(authorization header: String?) -> Bool {
        guard let header else { return false }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else { return false }
        let credential = parts[1].trimmingCharacters(in: .whitespaces)
        let offered: String
        switch parts[0].lowercased() {
        case "bearer":
            offered = credential
        case "basic":
            guard let decoded = Data(base64Encoded: credential).map({ String(decoding: $0, as: UTF8.self) }),
                let colon = decoded.firstIndex(of: ":")
            else { return false }
            offered = String(decoded[decoded.index(after: colon)...])
        default:
            return false
        }
        let digest = Array(SHA256.hash(data: Data(offered.utf8)))
        return zip(digest, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
