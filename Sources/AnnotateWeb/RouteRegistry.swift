import HTTPTypes
import Hummingbird

/// Registers the routes on the router and remembers which methods each path takes, so a path
/// that exists, asked with a method it does not take, is answered 405 with `Allow` (and
/// OPTIONS with 204 and `Allow`). The router alone answers both with 404 — "there is nothing at
/// /api/images/1" to a DELETE of a record that exists.
final class RouteRegistry<Context: RequestContext>: RouterMethods {
    let router: Router<Context>
    /// Each path in the order first registered, with its methods.
    private var routes: [(path: RouterPath, methods: [HTTPRequest.Method])] = []

    init(_ router: Router<Context>) {
        self.router = router
    }

    /// Registers on the router, and remembers.
    @discardableResult
    func on<Responder: HTTPResponder>(_ path: RouterPath, method: HTTPRequest.Method, responder: Responder) -> Self
    where Responder.Context == Context {
        router.on(path, method: method, responder: responder)
        if let index = routes.firstIndex(where: { $0.path.description == path.description }) {
            routes[index].methods.append(method)
        } else {
            routes.append((path, [method]))
        }
        return self
    }

    /// Adds to the router's middleware, for the routes registered after it.
    @discardableResult
    func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        router.add(middleware: middleware)
        return self
    }

    /// The methods a path registered with `methods` answers: GET brings HEAD (the router makes it).
    static func taken(_ methods: [HTTPRequest.Method]) -> Set<HTTPRequest.Method> {
        Set(methods + (methods.contains(.get) ? [.head] : []))
    }

    /// The `Allow` value of a path answering `taken`, OPTIONS included.
    static func allow(_ taken: Set<HTTPRequest.Method>) -> String {
        refusable.filter { taken.contains($0) || $0 == .options }.map(\.rawValue).joined(separator: ", ")
    }

    /// The methods a client may try, in the order `Allow` names them.
    static var refusable: [HTTPRequest.Method] { [.get, .head, .post, .put, .patch, .delete, .options] }

    /// Answers, at every path registered so far, each method it does not take: call once, after
    /// the last route. Behind the same middleware, so the Host, cross-site and token checks come
    /// first.
    func answerOtherMethods() {
        for route in routes {
            let taken = Self.taken(route.methods)
            let allow = Self.allow(taken)
            for method in Self.refusable where !taken.contains(method) {
                router.on(route.path, method: method) { request, _ -> Response in
                    if method == .options { return Response(status: .noContent, headers: [.allow: allow]) }
                    throw WebError(
                        .methodNotAllowed, "\(request.method) is not answered at \(request.uri.path); it takes \(allow)", headers: [.allow: allow])
                }
            }
        }
    }
}
