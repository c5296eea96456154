import AnnotateCore
import Foundation
import HTTPTypes
import Hummingbird

/// `/media/{id}/thumbnail` and `/media/{id}/original`. From a file store the bytes are streamed
/// with ETag, Last-Modified, Cache-Control and single Range support; from S3 the answer is a 302
/// to a presigned URL from the cache. Keys come from the database and are validated, so no
/// request can name a path of its own.
extension WebApp {
    func addMediaRoutes(to router: RouteRegistry<BasicRequestContext>) {
        for method in [HTTPRequest.Method.get, .head] {
            router.on("/media/{id}/{variant}", method: method) { request, context in
                try await media(request, context)
            }
        }
    }

    func media(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let record = try await record(context)
        let variant = context.parameters.get("variant") ?? ""
        let key: ObjectKey, store: any ObjectStore, contentType: String
        switch variant {
        case "original":
            key = try ObjectKey(record.originalKey)
            store = originals
            contentType = record.contentType ?? "application/octet-stream"
        case "thumbnail":
            guard record.thumbnailStatus == .completed, let thumbnailKey = record.thumbnailKey else {
                throw WebError.notFound("image \(record.id) has no thumbnail yet (its thumbnail task is \(record.thumbnailStatus.rawValue))")
            }
            key = try ObjectKey(thumbnailKey)
            store = thumbnails
            contentType = Self.thumbnailType(key)
        default:
            throw WebError.notFound("media is thumbnail or original, not \(variant.debugDescription)")
        }
        let caching = settings.isPrivate ? "private" : "public"
        if let file = store.localFile(for: key) {
            return try await fileResponse(
                file.path, request: request, context: context, contentType: contentType,
                cacheControl: variant == "original" ? "\(caching), max-age=86400, immutable" : "\(caching), max-age=300",
                missing: "the \(variant) of image \(record.id) is missing from \(store.displayName)")
        }
        guard let url = try await presigned.url(for: key, in: store) else {
            throw WebError(.notImplemented, "the store \(store.displayName) can neither serve files nor presign URLs")
        }
        // Browsers may reuse the redirect for a while; the URL stays valid well beyond that.
        return Response.redirect(to: url.absoluteString, status: .found, cacheControl: "\(caching), max-age=300")
    }

    /// The file at `path` with validators and range support.
    func fileResponse(
        _ path: String, request: Request, context: BasicRequestContext, contentType: String,
        cacheControl: String, missing: String
    ) async throws -> Response {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { throw WebError.notFound(missing) }
        let length = Int(info.st_size)
        let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
        // Objects are replaced by rename, never rewritten, so size + mtime identify a version.
        let etag = "\"\(String(length, radix: 16))-\(String(info.st_mtim.tv_sec, radix: 16))\(String(info.st_mtim.tv_nsec, radix: 16))\""
        var headers: HTTPFields = [
            .contentType: contentType, .eTag: etag, .lastModified: Timestamp.httpDate(modified),
            .cacheControl: cacheControl, .acceptRanges: "bytes",
        ]
        if CompressionPolicy.matches(ifNoneMatch: request.headers[.ifNoneMatch], etag: etag) {
            return Response(status: .notModified, headers: headers)
        }
        // If-Range with another version: send the whole current file instead of a piece of it.
        let rangeHeader = request.headers[.ifRange].map { $0 == etag } ?? true ? request.headers[.range] : nil
        let range = ByteRange(header: rangeHeader, length: length)
        let head = request.method == .head
        switch range {
        case .unsatisfiable:
            throw WebError(
                .rangeNotSatisfiable, "the requested range is outside the \(length) bytes of this file", headers: [.contentRange: "bytes */\(length)"]
            )
        case .partial(let bytes):
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(length)"
            headers[.contentLength] = String(bytes.count)
            let body = head ? ResponseBody() : try await FileIO().loadFile(path: path, range: bytes, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        case .whole:
            headers[.contentLength] = String(length)
            let body = head || length == 0 ? ResponseBody() : try await FileIO().loadFile(path: path, context: context)
            return Response(status: .ok, headers: headers, body: body)
        }
    }

    static func thumbnailType(_ key: ObjectKey) -> String {
        switch (key.name as NSString).pathExtension.lowercased() {
        case "webp": "image/webp"
        case "png": "image/png"
        default: "image/jpeg"
        }
    }
}
