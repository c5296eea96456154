import AnnotateCore
import Crypto
import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// What happened to one file.
public struct UploadResult: Sendable, Equatable {
    /// What became of the file.
    public enum Status: String, Sendable { case uploaded, duplicate, rejected, skipped }
    /// The path as given or met in the walk.
    public var file: String
    /// What became of the file.
    public var status: Status
    /// The new record, or the existing one for a duplicate.
    public var id: Int64?
    /// Why it was rejected or skipped.
    public var reason: String?
    /// What the bytes look like when they are not an image (e.g. `application/pdf`).
    public var mediaType: String?

    /// A result for `file`.
    public init(file: String, status: Status, id: Int64?, reason: String?, mediaType: String? = nil) {
        self.file = file
        self.status = status
        self.id = id
        self.reason = reason
        self.mediaType = mediaType
    }

    static func rejected(_ file: String, _ reason: String) -> UploadResult {
        UploadResult(file: file, status: .rejected, id: nil, reason: reason)
    }
}

/// Brings files into the store and the database: checks size, sniffs the type from the bytes,
/// reads the header (never decoding pixels) against the pixel limit, hashes, deduplicates, stores
/// the bytes, then records them — object first, so no record ever points at a missing object.
public struct Uploader: Sendable {
    let metadata: any MetadataStore
    let store: any ObjectStore
    let limits: IntakeLimits
    let headers: any ImageHeaderReader
    let logger: Logger

    /// An uploader into `store` and `metadata`, checking each image's header with `headers`.
    public init(metadata: any MetadataStore, store: any ObjectStore, limits: IntakeLimits, headers: any ImageHeaderReader, logger: Logger) {
        self.metadata = metadata
        self.store = store
        self.limits = limits
        self.headers = headers
        self.logger = logger
    }

    /// Uploads `candidates` with at most `jobs` at once, calling `progress` as each finishes.
    /// Results come back in the candidates' order. When the store or the database cannot be
    /// reached, the batch stops with that error (exit 69): it is not the files' fault, and the
    /// files not yet done are neither stored nor recorded.
    public func upload(
        _ candidates: [UploadCandidate], jobs: Int,
        progress: @escaping @Sendable (UploadResult) async -> Void
    ) async throws -> [UploadResult] {
        var results = [UploadResult?](repeating: nil, count: candidates.count)
        try await withThrowingTaskGroup(of: (Int, UploadResult).self) { group in
            var next = 0
            func addNext() {
                guard next < candidates.count else { return }
                let index = next
                next += 1
                group.addTask { (index, try await self.upload(candidates[index])) }
            }
            for _ in 0..<max(1, jobs) { addNext() }
            while let (index, result) = try await group.next() {
                results[index] = result
                await progress(result)
                addNext()
            }
        }
        return results.map { $0! }
    }

    /// A failure of a service every file needs (the store or the database unreachable), as
    /// opposed to one of this file.
    static func isOutage(_ error: any Error) -> Bool {
        (error as? any ExitStatusProviding)?.exitStatus == .unavailable
    }

    /// The checks every image passes before it gets a record: the type from its bytes, the header
    /// (never the pixels) against the pixel limit, and its hash.
    private func inspect(_ data: Data) async throws -> (ImageFormat, ImageHeader, String) {
        guard let format = ImageFormat(sniffing: data) else {
            throw IntakeProblem.notAnImage(mediaType: MediaTypeSniffer.mediaType(of: data))
        }
        let header: ImageHeader
        do {
            header = try headers.header(of: data)
        } catch {
            throw IntakeProblem.rejected("unreadable \(format.rawValue) header: \(error.reason)")
        }
        guard header.pixelCount <= limits.maxPixels else {
            throw IntakeProblem.rejected(
                "\(header.width)×\(header.height)\(header.pages > 1 ? "×\(header.pages) pages" : "") = \(header.pixelCount) pixels is over the --max-pixels limit of \(limits.maxPixels)"
            )
        }
        let sha256 = try await runBlocking { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
        return (format, header, sha256)
    }

    /// Records an object that is already in the store (named by an S3 event), checked like an
    /// upload but left where it is, under its own key. Registering it again finds the record.
    /// Throws only when the store or the database cannot be reached.
    public func register(_ key: ObjectKey) async throws -> UploadResult {
        let file = "\(store.displayName)/\(key)"
        do {
            let data = try await store.get(key)
            guard !data.isEmpty else { throw IntakeProblem.rejected("empty object") }
            guard data.count <= limits.maxBytes else {
                throw IntakeProblem.rejected("\(data.count) bytes is over the --max-bytes limit of \(limits.maxBytes)")
            }
            let (format, header, sha256) = try await inspect(data)
            if let existing = try await metadata.record(sha256: sha256) {
                return UploadResult(file: file, status: .duplicate, id: existing.id, reason: nil)
            }
            let (width, height) = header.displaySize
            let image = NewImage(
                filename: key.name, sha256: sha256, contentType: format.contentType, size: Int64(data.count),
                width: width, height: height, originalKey: key.rawValue)
            switch try await metadata.insert(image, at: Date()) {
            case .inserted(let id): return UploadResult(file: file, status: .uploaded, id: id, reason: nil)
            case .duplicate(let id): return UploadResult(file: file, status: .duplicate, id: id, reason: nil)
            }
        } catch let problem as IntakeProblem {
            return UploadResult(file: file, status: .rejected, id: nil, reason: problem.reason, mediaType: problem.mediaType)
        } catch  where !Self.isOutage(error) {
            return .rejected(file, "\(error)")
        }
    }

    /// Uploads one file; every problem of the file becomes a result with a reason. Throws only
    /// when the store or the database cannot be reached (nothing of the file is then recorded).
    public func upload(_ candidate: UploadCandidate) async throws -> UploadResult {
        let file = candidate.name ?? candidate.path
        do {
            return try await uploadChecked(candidate)
        } catch let problem as IntakeProblem {
            let skipped = problem.mediaType != nil && candidate.origin == .walked
            return UploadResult(file: file, status: skipped ? .skipped : .rejected, id: nil, reason: problem.reason, mediaType: problem.mediaType)
        } catch  where !Self.isOutage(error) {
            logger.warning("upload failed", metadata: ["file": "\(file)", "error": "\(error)"])
            return .rejected(file, "\(error)")
        }
    }

    private func uploadChecked(_ candidate: UploadCandidate) async throws -> UploadResult {
        let path = candidate.path
        let file = candidate.name ?? path
        let limits = limits
        let data: Data = try await runBlocking {
            var info = stat()
            guard stat(path, &info) == 0 else { throw IntakeProblem.rejected(String(cString: strerror(errno)).lowercasedFirst) }
            guard info.st_mode & S_IFMT == S_IFREG else { throw IntakeProblem.rejected("not a regular file") }
            let size = Int64(info.st_size)
            guard size > 0 else { throw IntakeProblem.rejected("empty file") }
            guard size <= limits.maxBytes else {
                throw IntakeProblem.rejected("\(size) bytes is over the --max-bytes limit of \(limits.maxBytes)")
            }
            do {
                // A plain read, not a mapping: a file truncated while mapped would kill the
                // process with SIGBUS, and photo folders are often rewritten by sync clients.
                return try Data(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw IntakeProblem.rejected("cannot read: \(FileSystemReason.describe(error))")
            }
        }
        let (format, header, sha256) = try await inspect(data)
        if let existing = try await metadata.record(sha256: sha256) {
            return UploadResult(file: file, status: .duplicate, id: existing.id, reason: nil)
        }
        let name = candidate.name ?? (path as NSString).lastPathComponent
        let key = try ObjectKey.original(sha256: sha256, fileName: name)
        try await store.put(data, at: key, contentType: format.contentType)
        let (width, height) = header.displaySize
        let image = NewImage(
            filename: name, sha256: sha256, contentType: format.contentType, size: Int64(data.count),
            width: width, height: height, originalKey: key.rawValue)
        do {
            switch try await metadata.insert(image, at: Date()) {
            case .inserted(let id):
                logger.info("uploaded", metadata: ["image.id": "\(id)", "object.key": "\(key)"])
                return UploadResult(file: file, status: .uploaded, id: id, reason: nil)
            case .duplicate(let id):
                return UploadResult(file: file, status: .duplicate, id: id, reason: nil)
            }
        } catch {
            // Leave no orphan object behind, unless a concurrent upload of the same bytes recorded it.
            if (try? await metadata.record(sha256: sha256)) == nil {
                try? await store.delete(key)
            }
            throw error
        }
    }
}

/// A per-file reason not to upload.
enum IntakeProblem: Error {
    /// The bytes are not an image at all (skipped in a walk, rejected when named); they look like `mediaType`.
    case notAnImage(mediaType: String)
    /// An image (or a named file) that cannot be accepted.
    case rejected(String)

    var reason: String {
        switch self {
        case .notAnImage(let type): "not an image: its bytes look like \(type)"
        case .rejected(let reason): reason
        }
    }

    var mediaType: String? {
        if case .notAnImage(let type) = self { return type }
        return nil
    }
}
