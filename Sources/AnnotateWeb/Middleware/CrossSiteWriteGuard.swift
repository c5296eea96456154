import Foundation
import HTTPTypes
import Hummingbird

/// Whether a request may change anything, judged by what browsers say about where it came from.
/// A form on any web page can post to this server, and the browser attaches the operator's HTTP
/// Basic credentials to it; the `Origin` and `Sec-Fetch-Site` headers it adds are what tell such
/// a post from one made by this server's own pages. Clients that send neither (curl, scripts) are
/// not browsers acting for another site, and pass.
enum CrossSiteWritePolicy {
    /// The verdict for one request: nil when it may go on, else the reason it may not.
    static func refusal(method: HTTPRequest.Method, origin: String?, fetchSite: String?, authority: String?) -> String? {
        guard !isSafe(method) else { return nil }
        if let origin {
            guard let own = authority, sameHost(origin: origin, authority: own) else {
                return "a \(method.rawValue) from another site (Origin \(origin)) cannot change this server; "
                    + "send it from this server's own pages, or without a browser"
            }
            return nil
        }
        if fetchSite?.lowercased() == "cross-site" {
            return "a \(method.rawValue) from another site (Sec-Fetch-Site: cross-site) cannot change this server; "
                + "send it from this server's own pages, or without a browser"
        }
        return nil
    }

    /// GET, HEAD and OPTIONS change nothing here; every other method may.
    static func isSafe(_ method: HTTPRequest.Method) -> Bool {
        method == .get || method == .head || method == .options
    }

    /// `Origin: http://localhost:8080` matches `Host: localhost:8080`; the scheme is not compared,
    /// since a TLS proxy in front makes the browser's `https` origin an `http` request here.
    /// `Origin: null` (sandboxed frames, pages under `Referrer-Policy: no-referrer`) never
    /// matches: this server's pages use `same-origin`, so their own posts name their origin.
    static func sameHost(origin: String, authority: String) -> Bool {
        guard let separator = origin.range(of: "://") else { return false }
        let originAuthority = origin[separator.upperBound...].prefix { $0 != "/" }
        return originAuthority.lowercased() == authority.lowercased()
    }
}

/// Refuses state-changing requests that a browser says come from another site, with 403, before
/// any route (today's or a future one) sees them.
struct CrossSiteWriteGuard<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let reason = CrossSiteWritePolicy.refusal(
            method: request.method, origin: request.headers[.origin], fetchSite: request.headers[.secFetchSite],
            authority: request.head.authority ?? request.headers[.host])
        {
            throw WebError(.forbidden, reason)
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let secFetchSite = Self("Sec-Fetch-Site")!
}
