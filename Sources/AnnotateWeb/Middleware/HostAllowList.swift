import Foundation
import HTTPTypes
import Hummingbird

/// Which `Host` names `serve` answers for. Binding to loopback protects a server only until a
/// page on another name is re-pointed at 127.0.0.1 (DNS rebinding): the browser then sends that
/// name as Host, and refusing it is what keeps the page from reading the gallery.
///
/// A decision is a pure value: built once from the settings, asked per request.
struct HostPolicy: Sendable, Equatable {
    /// Lower-case names without port or trailing dot.
    let names: Set<String>
    /// IP literals that reach this server (its listening interfaces). A browser only sends an IP
    /// literal as Host when its page's own origin is that address, so these cannot be rebound.
    let addresses: Set<String>
    /// `--allowed-host '*'`: no check (a proxy in front rewrites Host).
    let allowsAny: Bool

    /// The names answered on a loopback `--host`.
    static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "::1"]

    /// `bindHost` is `--host`; `allowedHosts` the `--allowed-host` names; `interfaceAddresses` the
    /// addresses of this machine's interfaces, used when `bindHost` is a wildcard (0.0.0.0, ::).
    init(bindHost: String, allowedHosts: [String], interfaceAddresses: () -> [String]) {
        let bind = Self.normalised(bindHost)
        allowsAny = allowedHosts.contains("*")
        var names = Set(allowedHosts.filter { $0 != "*" }.map(Self.normalised))
        var addresses: Set<String> = []
        if Self.isLoopback(bind) {
            names.formUnion(Self.loopbackNames)
        } else if bind == "0.0.0.0" || bind == "::" {
            addresses = Set(interfaceAddresses().map(Self.normalised))
        } else if Self.isIPLiteral(bind) {
            addresses = [bind]
        } else {
            // A name given as --host is one this server is reached by.
            names.insert(bind)
        }
        self.names = names
        self.addresses = addresses
    }

    /// Whether a request with this `Host` (authority) is answered. A request without one (HTTP/1.0)
    /// does not come from a browser page, which always sends Host.
    func allows(authority: String?) -> Bool {
        guard !allowsAny, let authority, !authority.isEmpty else { return true }
        let host = Self.hostPart(of: authority)
        // Asked of every request: most Hosts are already in normal form.
        if names.contains(host) || addresses.contains(host) { return true }
        let normal = Self.normalised(host)
        return names.contains(normal) || addresses.contains(normal)
    }

    /// `[::1]:8080` → `::1`, `example.org:80` → `example.org`, `example.org` → itself.
    static func hostPart(of authority: String) -> String {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return authority }
            return String(authority[authority.index(after: authority.startIndex)..<close])
        }
        // More than one colon without brackets is a bare IPv6 address, which has no port.
        guard let colon = authority.firstIndex(of: ":"), authority[authority.index(after: colon)...].firstIndex(of: ":") == nil else {
            return authority
        }
        return String(authority[..<colon])
    }

    /// Lower case, without brackets or a trailing dot (`Example.ORG.` is `example.org`).
    static func normalised(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host.hasSuffix(".") { host.removeLast() }
        return host
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || (host.hasPrefix("127.") && isIPLiteral(host))
    }

    static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }
}

/// Refuses requests whose `Host` this server does not answer for, with 421 and the flag that
/// would allow the name.
struct HostAllowList<Context: RequestContext>: RouterMiddleware {
    let policy: HostPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = request.head.authority ?? request.headers[.host]
        guard policy.allows(authority: authority) else {
            let name = HostPolicy.hostPart(of: authority ?? "")
            throw WebError(
                .misdirectedRequest,
                "this server does not answer for the host name \(name.debugDescription): "
                    + "if that is its name, start it with --allowed-host \(name) (or ANNOTATE_ALLOWED_HOSTS)")
        }
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    /// Only seen when a client bypasses the HTTP/1 conversion that moves it into the authority.
    static let host = Self("Host")!
}
