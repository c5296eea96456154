import Foundation
import HTTPTypes
import Hummingbird

/// Headers every response carries: a Content-Security-Policy that allows only this server's own
/// script and style sheet, images from here (and from the S3 endpoint media redirects point
/// at), and no framing; plus `nosniff` and no referrer to other origins. (`same-origin`, not
/// `no-referrer`: under `no-referrer` a browser sends `Origin: null` with this server's own form
/// posts, which the cross-site write guard could then not tell from another site's.)
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    let fields: HTTPFields

    /// Sends these, made by `fields(imageOrigins:)`.
    init(fields: HTTPFields) {
        self.fields = fields
    }

    /// The headers themselves, also sent with the kept pages answered on the event loop.
    /// `imageOrigins`: where media redirects send browsers (the S3 endpoint), if anywhere.
    static func fields(imageOrigins: [String]) -> HTTPFields {
        let policy = [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src " + (["'self'"] + imageOrigins).joined(separator: " "),
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ].joined(separator: "; ")
        return [.contentSecurityPolicy: policy, .xContentTypeOptions: "nosniff", .referrerPolicy: "same-origin", .xFrameOptions: "DENY"]
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        for field in fields { response.headers[field.name] = field.value }
        return response
    }
}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let referrerPolicy = Self("Referrer-Policy")!
}
