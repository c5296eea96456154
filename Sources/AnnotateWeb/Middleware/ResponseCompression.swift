import CompressNIO
import HTTPTypes
import Hummingbird
import NIOCore

/// What may be compressed and whether the client takes it: a pure decision, asked per response.
enum CompressionPolicy {
    /// Text that shrinks: pages, JSON, the style sheet and script, `/metrics`. Never images
    /// (already compressed) and never ranged media.
    static func isCompressible(contentType: String?) -> Bool {
        // Asked of every response: compare bytes, allocate nothing.
        guard var utf8 = contentType?.utf8[...] else { return false }
        while utf8.first == UInt8(ascii: " ") { utf8 = utf8.dropFirst() }
        func starts(with prefix: StaticString) -> Bool {
            let count = prefix.utf8CodeUnitCount
            guard utf8.count >= count else { return false }
            return zip(utf8, UnsafeBufferPointer(start: prefix.utf8Start, count: count)).allSatisfy { $0 | 0x20 == $1 | 0x20 }
        }
        func isWhole(_ count: Int) -> Bool {
            utf8.count == count || [UInt8(ascii: ";"), UInt8(ascii: " ")].contains(utf8[utf8.index(utf8.startIndex, offsetBy: count)])
        }
        return starts(with: "text/") || (starts(with: "application/json") && isWhole(16))
            || (starts(with: "application/javascript") && isWhole(22))
    }

    /// Bodies this small gain less than gzip's own header and trailer cost.
    static let minimumBytes = 256

    /// Whether `Accept-Encoding` accepts gzip: named (or `*`) without `q=0`. Asked of every
    /// response, so it reads the bytes in place.
    static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        guard var header = acceptEncoding else { return false }
        return header.withUTF8 { bytes in
            var gzip: Bool?
            var any: Bool?
            for item in bytes.split(separator: UInt8(ascii: ",")) {
                let parts = item.split(separator: UInt8(ascii: ";"))
                guard let coding = parts.first.map(trimmed), !coding.isEmpty else { continue }
                let accepted = !parts.dropFirst().contains { isZeroQuality(trimmed($0)) }
                if equalsIgnoringCase(coding, "gzip") || equalsIgnoringCase(coding, "x-gzip") {
                    gzip = accepted
                } else if coding.count == 1 && coding.first == UInt8(ascii: "*") {
                    any = accepted
                }
            }
            return gzip ?? any ?? false
        }
    }

    private static func trimmed(_ bytes: Slice<UnsafeBufferPointer<UInt8>>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var bytes = bytes
        while let first = bytes.first, first == UInt8(ascii: " ") || first == UInt8(ascii: "\t") { bytes = bytes.dropFirst() }
        while let last = bytes.last, last == UInt8(ascii: " ") || last == UInt8(ascii: "\t") { bytes = bytes.dropLast() }
        return bytes
    }

    private static func equalsIgnoringCase(_ bytes: Slice<UnsafeBufferPointer<UInt8>>, _ word: StaticString) -> Bool {
        bytes.count == word.utf8CodeUnitCount
            && zip(bytes, UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)).allSatisfy { $0 | 0x20 == $1 }
    }

    /// Whether `If-None-Match` names `etag` (or is `*`): the client holds this very variant.
    static func matches(ifNoneMatch header: String?, etag: String) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { tag in
            let tag = tag.trimmingCharacters(in: .whitespaces)
            return tag == etag || tag == "*"
        }
    }

    /// `q=0`, `q=0.`, `q=0.000`: the coding is refused.
    private static func isZeroQuality(_ parameter: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard parameter.count >= 3, parameter.first! | 0x20 == UInt8(ascii: "q"),
            parameter[parameter.startIndex + 1] == UInt8(ascii: "=")
        else { return false }
        let value = parameter.dropFirst(2)
        return value.first == UInt8(ascii: "0") && value.dropFirst().allSatisfy { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: ".") }
    }
}

/// gzip for text responses when the client accepts it, with `Vary: Accept-Encoding` on every
/// response whose encoding depends on it (so a shared cache keeps the two apart).
struct ResponseCompression<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard CompressionPolicy.isCompressible(contentType: response.headers[.contentType]),
            response.headers[.contentRange] == nil, response.status != .partialContent
        else {
            return response
        }
        response.headers[.vary] = "Accept-Encoding"
        // Already encoded (kept pages come compressed) or nothing to encode.
        guard response.headers[.contentEncoding] == nil, response.status != .notModified,
            CompressionPolicy.acceptsGzip(request.headers[.acceptEncoding]),
            let length = response.body.contentLength, length >= CompressionPolicy.minimumBytes
        else {
            return response
        }
        let compressed = try await response.body.collected().gzipped()
        response.headers[.contentEncoding] = "gzip"
        response.body = ResponseBody(byteBuffer: compressed)
        return response
    }
}

extension ByteBuffer {
    /// These bytes gzip-compressed, in one buffer.
    func gzipped() throws -> ByteBuffer {
        var input = self
        let compressor = try ZlibCompressor(algorithm: .gzip)
        var output = ByteBufferAllocator().buffer(capacity: compressor.maxSize(from: input))
        try compressor.deflate(from: &input, to: &output, flush: .finish)
        return output
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
