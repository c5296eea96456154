import HTTPTypes
import Hummingbird

/// While draining, every answer says `Connection: close`: a client (or the load balancer) then
/// opens its next connection elsewhere instead of racing this instance's shutdown on a kept-alive one.
struct DrainingConnectionClose<Context: RequestContext>: RouterMiddleware {
    let state: DrainState

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if state.isDraining { response.headers[.connection] = "close" }
        return response
    }
}
