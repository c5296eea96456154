import AnnotatePipeline
import AnnotatePresentation
import Foundation
import HTTPTypes
import Hummingbird

/// `POST /upload`: the form's files are streamed to disk, then each goes through the same
/// checks as `annotate upload` (type from the bytes, header against the pixel limit, hash,
/// duplicate check) into the store and the database; this instance's worker is woken for them.
extension WebApp {
    func addUploadRoute(to router: RouteRegistry<BasicRequestContext>) {
        router.post("/upload") { request, _ in
            try await upload(request)
        }
    }

    func upload(_ request: Request) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int64.init), length > settings.maxUploadBytes {
            throw WebError(
                .contentTooLarge,
                "the upload (\(length >> 20) MB) is over this server's limit of \(settings.maxUploadBytes >> 20) MB (--max-upload-mb)")
        }
        let boundary = try MultipartUploadReader.boundary(contentType: request.headers[.contentType])
        let directory =
            temporaryDirectory
            .appendingPathComponent("annotate-upload-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw WebError(.internalServerError, "the server cannot write temporary upload files")
        }
        defer { try? FileManager.default.removeItem(at: directory) }

        let files = try await MultipartUploadReader(limit: settings.maxUploadBytes, directory: directory)
            .read(request.body, boundary: boundary)
        guard !files.isEmpty else { throw WebError.badRequest("the form holds no files: choose one or more images") }
        var results: [UploadResult] = []
        for file in files {
            results.append(try await uploader.upload(UploadCandidate(path: file.path, origin: .named, name: file.name)))
        }
        if results.contains(where: { $0.status == .uploaded }) { wake.notify() }
        for result in results where result.status == .rejected {
            logger.info("upload rejected", metadata: ["file": "\(result.file)", "reason": "\(result.reason ?? "")"])
        }

        let accepted = results.filter { $0.status == .uploaded || $0.status == .duplicate }
        // Nothing accepted: 415 when every file was not an image at all, else 422.
        let status: HTTPResponse.Status =
            !accepted.isEmpty
            ? .ok
            : results.allSatisfy({ $0.mediaType != nil }) ? .unsupportedMediaType : .unprocessableContent
        if request.wantsJSON {
            return Response.json(UploadAnswer(results: results), status: status)
        }
        if accepted.count == results.count {
            return Response.redirect(to: "/gallery")
        }
        let notice =
            status == .unsupportedMediaType
            ? "Nothing was uploaded: " + results.map { "\($0.file) is \($0.mediaType ?? "not an image"), not an image" }.joined(separator: "; ") + "."
            : "\(accepted.count) of \(results.count) files were accepted."
        return Response.html(
            pages.upload(
                limitBytes: settings.maxUploadBytes, processing: settings.processUploads,
                notice: notice, results: results), status: status)
    }
}

/// `{"results": [{"file", "status", "id", "reason"}]}`, one entry per file, as `upload --json` prints them.
struct UploadAnswer: Encodable {
    let results: [UploadResultJSON]

    init(results: [UploadResult]) {
        self.results = results.map(UploadResultJSON.init)
    }
}
