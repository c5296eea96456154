import AnnotateCore
import AnnotatePresentation
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Turns every error into a clear page or JSON body — JSON when the client asked for it (API
/// routes, `Accept: application/json`), HTML otherwise. Unknown errors become a 500 whose body
/// says only that the server failed; the details go to the log.
struct ErrorRendering<Context: RequestContext>: RouterMiddleware {
    let pages: WebPages

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as WebError {
            return render(error, for: request)
        } catch let error as HTTPError {
            // Hummingbird's own (an unknown route, a malformed parameter).
            let message = error.body ?? (error.status == .notFound ? "there is nothing at \(request.uri.path)" : error.status.reasonPhrase)
            return render(WebError(error.status, message, headers: error.headers), for: request)
        } catch let error as any ExitStatusProviding where error.exitStatus == .unavailable {
            // The store or the database is down: not this request's fault, and worth a retry.
            context.logger.warning("request failed: a service is unavailable", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return render(WebError(.serviceUnavailable, "\(error); nothing was changed, try again later"), for: request)
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return render(WebError(.internalServerError, "the server could not answer this request; its log says why"), for: request)
        }
    }

    func render(_ error: WebError, for request: Request) -> Response {
        var headers = error.headers
        headers[.cacheControl] = "no-store"
        if request.wantsJSON {
            headers[.contentType] = "application/json; charset=utf-8"
            let body = JSONLine.encode(["error": error.message, "status": String(error.status.code)])
            return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
        }
        headers[.contentType] = "text/html; charset=utf-8"
        let html = pages.error(status: "\(error.status.code) \(error.status.reasonPhrase)", message: error.message)
        return Response(status: error.status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension Request {
    /// API routes and clients that ask for JSON get JSON; browsers get pages.
    var wantsJSON: Bool {
        if uri.path.hasPrefix("/api/") { return true }
        let accept = headers[.accept] ?? ""
        return accept.contains("application/json") && !accept.contains("text/html")
    }
}
