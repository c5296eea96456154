import AnnotateCore
import Foundation
import HTTPTypes
import Hummingbird
import MultipartKit

/// One file of a multipart form, written to disk as it arrived.
struct ReceivedFile: Sendable {
    /// The sender's file name, without any directory part.
    var name: String
    var path: String
}

/// Reads a `multipart/form-data` request body as it streams in and writes each file part to its
/// own temporary file, so an upload is never held in memory whole. The body may be at most
/// `limit` bytes: past it the read stops and the request is answered 413.
struct MultipartUploadReader {
    let limit: Int64
    /// A fresh directory for this request's files; the caller removes it.
    let directory: URL

    /// The boundary from a `multipart/form-data` content type, or the reason there is none.
    static func boundary(contentType: String?) throws -> String {
        guard let contentType, contentType.lowercased().hasPrefix("multipart/form-data") else {
            throw WebError(
                .unsupportedMediaType,
                "send the images as multipart/form-data (a file input in a form), not \(contentType ?? "a body without a Content-Type")")
        }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            let boundary = pair[1].hasPrefix("\"") && pair[1].hasSuffix("\"") && pair[1].count >= 2 ? String(pair[1].dropFirst().dropLast()) : pair[1]
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(boundary.count) else { break }
            return boundary
        }
        throw WebError.badRequest("the multipart/form-data Content-Type has no usable boundary")
    }

    func read(_ body: RequestBody, boundary: String) async throws -> [ReceivedFile] {
        let parser = MultipartParser(boundary: boundary)
        let events = PartEvents()
        parser.onHeader = { name, value in events.list.append(.header(name, value)) }
        parser.onBody = { buffer in events.list.append(.body(buffer)) }
        parser.onPartComplete = { events.list.append(.end) }

        var writer = PartWriter(directory: directory)
        var received: Int64 = 0
        do {
            for try await chunk in body {
                received += Int64(chunk.readableBytes)
                guard received <= limit else {
                    throw WebError(.contentTooLarge, "the upload is over this server's limit of \(limit >> 20) MB (--max-upload-mb)")
                }
                do {
                    try parser.execute(chunk)
                } catch {
                    throw WebError.badRequest("the multipart body is malformed")
                }
                let batch = events.list
                events.list.removeAll(keepingCapacity: true)
                try await writer.apply(batch)
            }
        } catch {
            writer.abandon()
            throw error
        }
        writer.abandon()  // a part the body ended inside of is not a file
        return writer.files
    }
}

/// What the parser reported during one `execute` (its callbacks are synchronous).
private final class PartEvents {
    enum Event {
        case header(String, String)
        case body(ByteBuffer)
        case end
    }
    var list: [Event] = []
}

/// Turns parser events into files: a part whose Content-Disposition names a file is written to
/// disk; other fields and empty file inputs are skipped.
private struct PartWriter {
    let directory: URL
    var files: [ReceivedFile] = []
    private var headers: [(String, String)] = []
    private var current: (handle: FileHandle, file: ReceivedFile)?
    private var skipping = false

    init(directory: URL) {
        self.directory = directory
    }

    mutating func apply(_ events: [PartEvents.Event]) async throws {
        for event in events {
            switch event {
            case .header(let name, let value):
                headers.append((name, value))
            case .body(var buffer):
                if current == nil && !skipping { try open() }
                guard let handle = current?.handle, let bytes = buffer.readBytes(length: buffer.readableBytes) else { continue }
                try await runBlocking { try handle.write(contentsOf: bytes) }
            case .end:
                if current == nil && !skipping { try open() }  // an empty file
                if let (handle, file) = current {
                    try handle.close()
                    files.append(file)
                }
                current = nil
                skipping = false
                headers = []
            }
        }
    }

    /// Starts the part whose headers were just read.
    private mutating func open() throws {
        guard let disposition = headers.first(where: { $0.0.lowercased() == "content-disposition" })?.1,
            let name = Self.fileName(disposition), !name.isEmpty
        else {
            skipping = true
            return
        }
        let path = directory.appendingPathComponent("part-\(files.count)").path
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw WebError(.internalServerError, "the server cannot write temporary upload files")
        }
        current = (handle, ReceivedFile(name: name, path: path))
    }

    mutating func abandon() {
        try? current?.handle.close()
        current = nil
    }

    /// `filename*=UTF-8''…` (RFC 5987) or `filename="…"`; only the last path component is kept
    /// (some browsers send the client's whole path).
    static func fileName(_ disposition: String) -> String? {
        var plain: String?
        var extended: String?
        for parameter in disposition.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingCharacters(in: .whitespaces).lowercased()
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if key == "filename*", let quote = value.range(of: "''") {
                extended = String(value[quote.upperBound...]).removingPercentEncoding
            } else if key == "filename" {
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                plain = value.replacingOccurrences(of: "%22", with: "\"").replacingOccurrences(of: "\\\"", with: "\"")
            }
        }
        guard let name = extended ?? plain else { return nil }
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        return String(last.unicodeScalars.filter { $0 != "\0" }.prefix(255).map(Character.init))
    }
}
