import AnnotateCore
import AnnotatePresentation
import Foundation
import HTTPTypes
import Hummingbird

/// The HTML routes: the upload form, the gallery, one image's page, and the polling script.
extension WebApp {
    static let galleryPageSize = 50

    func addPageRoutes(to router: RouteRegistry<BasicRequestContext>) {
        router.get("/") { _, _ in
            Response.html(pages.upload(limitBytes: settings.maxUploadBytes, processing: settings.processUploads))
        }
        router.get("/gallery") { request, context in
            try await cachedPage(request, context: context) { try await gallery(request) }
        }
        router.get("/images/{id}") { request, context in
            try await cachedPage(request, context: context) { Response.html(pages.image(try await record(context))) }
        }
        // Compressed once, here, rather than on every request.
        let script = CachedPage(
            version: 0, contentType: "text/javascript; charset=utf-8",
            body: ByteBuffer(string: WebAssets.galleryScript), cacheControl: "public, max-age=3600")
        let style = CachedPage(
            version: 0, contentType: "text/css; charset=utf-8",
            body: ByteBuffer(string: GalleryTemplates.style), cacheControl: "public, max-age=3600")
        router.get("/assets/gallery.js") { request, _ in script.response(to: request) }
        router.get("/assets/gallery.css") { request, _ in style.response(to: request) }
    }

    /// Newest first, 50 a page, by keyset (`?before=ID`), optionally `?status=`. One indexed read;
    /// no total is counted (keyset pages need none, and every extra read costs throughput).
    func gallery(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let (filter, filterName) = try Self.statusFilter(query.get("status"))
        let before = try Self.cursor(query.get("before"), name: "before")
        var records = try await metadata.recordsNewestFirst(before: before, limit: Self.galleryPageSize + 1, filter: filter)
        let hasMore = records.count > Self.galleryPageSize
        if hasMore { records.removeLast() }
        let parts = pages.gallery(records, filter: filterName, nextCursor: hasMore ? records.last?.id : nil, isFirstPage: before == nil)
        return Response.html(parts: parts)
    }

    /// The record a route's `{id}` names, or a 404 that says which id.
    func record(_ context: BasicRequestContext) async throws -> ImageRecord {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw WebError.notFound("\(text.debugDescription) is not an image id") }
        guard let record = try await metadata.record(id: id) else { throw WebError.notFound("there is no image with id \(id)") }
        return record
    }

    /// `?status=completed|failed|pending` as the contract defines them over both tasks.
    static func statusFilter(_ text: String?) throws -> (RecordFilter, String?) {
        switch text {
        case nil, "": return (.all, nil)
        case "completed": return (.completed, "completed")
        case "failed": return (.failed, "failed")
        case "pending": return (.unfinished, "pending")
        case let other?: throw WebError.badRequest("status must be completed, failed or pending, not \(other.debugDescription)")
        }
    }

    static func cursor(_ text: String?, name: String) throws -> Int64? {
        guard let text, !text.isEmpty else { return nil }
        guard let value = Int64(text), value > 0 else { throw WebError.badRequest("\(name) must be an image id, not \(text.debugDescription)") }
        return value
    }
}
