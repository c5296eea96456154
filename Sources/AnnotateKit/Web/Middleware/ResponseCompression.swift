import CompressNIO
import HTTPTypes
import Hummingbird
import NIOCore

/// What may be compressed and whether the client takes it: a pure decision, asked per response.
enum CompressionPolicy {
    /// Text that shrinks: pages, JSON, the style sheet and script, `/metrics`. Never images
    /// (already compressed) and never ranged media.
    static func isCompressible(contentType: String?) -> Bool {
        guard let type = contentType?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() else { return false }
        return type.hasPrefix("text/") || type == "application/json" || type == "application/javascript"
    }

    /// Bodies this small gain less than gzip's own header and trailer cost.
    static let minimumBytes = 256

    /// Whether `Accept-Encoding` accepts gzip: named (or `*`) without `q=0`.
    static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var gzip: Bool?
        var any: Bool?
        for item in acceptEncoding.split(separator: ",") {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            switch coding {
            case "gzip", "x-gzip": gzip = quality > 0
            case "*": any = quality > 0
            default: break
            }
        }
        return gzip ?? any ?? false
    }
}

/// gzip for text responses when the client accepts it, with `Vary: Accept-Encoding` on every
/// response whose encoding depends on it (so a shared cache keeps the two apart).
struct ResponseCompression<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard CompressionPolicy.isCompressible(contentType: response.headers[.contentType]),
              response.headers[.contentRange] == nil, response.status != .partialContent else {
            return response
        }
        response.headers[.vary] = "Accept-Encoding"
        // Already encoded (kept pages come compressed) or nothing to encode.
        guard response.headers[.contentEncoding] == nil, response.status != .notModified,
              CompressionPolicy.acceptsGzip(request.headers[.acceptEncoding]),
              let length = response.body.contentLength, length >= CompressionPolicy.minimumBytes else {
            return response
        }
        var body = try await response.body.collected()
        let compressor = try ZlibCompressor(algorithm: .gzip)
        var compressed = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: body))
        try compressor.deflate(from: &body, to: &compressed, flush: .finish)
        response.headers[.contentEncoding] = "gzip"
        response.headers[.contentLength] = String(compressed.readableBytes)
        response.body = ResponseBody(byteBuffer: compressed)
        return response
    }
}

extension ResponseBody {
    /// The body's bytes. The responses this is used on are one buffer already; this reads it out.
    func collected() async throws -> ByteBuffer {
        let collector = Collector()
        try await write(collector)
        return collector.buffer
    }

    /// A body writer that keeps what is written. Used within one task only.
    private final class Collector: ResponseBodyWriter, @unchecked Sendable {
        var buffer = ByteBuffer()

        func write(_ buffer: ByteBuffer) async throws {
            var buffer = buffer
            self.buffer.writeBuffer(&buffer)
        }

        func finish(_ trailingHeaders: HTTPFields?) async throws {}
    }
}
