import AnnotateCore
import AnnotatePresentation
import Foundation
import Logging

/// `gallery-export`: a static site, `gallery.json` or `gallery.csv` from the records, with
/// thumbnails and originals copied beside them so the result opens from `file://` offline.
public struct GalleryExporter: Sendable {
    /// What `--format` writes.
    public enum Format: String, Sendable, CaseIterable { case html, json, csv }

    /// How the export points at the images.
    public enum Links: Sendable, Equatable {
        /// Copies them in, so the export works offline from `file://`.
        case copy
        /// Presigned S3 URLs valid for this long (S3 stores only; nothing is copied).
        case presign(expires: Duration)
    }

    let metadata: any MetadataStore
    let originals: any ObjectStore
    let thumbnails: any ObjectStore
    let logger: Logger
    /// What `gallery.json`'s `cost_usd` is reckoned at.
    let prices: PriceTable
    /// Cards per index page.
    var pageSize = 60

    /// An exporter reading records from `metadata` and images from the stores.
    public init(metadata: any MetadataStore, originals: any ObjectStore, thumbnails: any ObjectStore, prices: PriceTable, logger: Logger) {
        self.prices = prices
        self.metadata = metadata
        self.originals = originals
        self.thumbnails = thumbnails
        self.logger = logger
    }

    /// What an export wrote.
    public struct Result: Sendable {
        /// `index.html`, `gallery.json` or `gallery.csv`.
        public var mainFile: URL
        /// Images exported.
        public var images: Int
        /// Objects that records name but the store does not have (shown as missing, not fatal).
        public var missingObjects: [String]
    }

    /// Writes the export into `directory` (created if needed).
    public func export(to directory: URL, format: Format, links: Links = .copy) async throws -> Result {
        if case .presign = links {
            for store in [originals, thumbnails] where !store.canPresign {
                throw ExportError.presignNeedsS3(store: store.displayName)
            }
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let records = try await metadata.allRecords(filter: .all)
        var missing: [String] = []
        var files: [Int64: (thumbnail: String?, original: String?)] = [:]
        for record in records {
            switch links {
            case .copy:
                let thumbnail = try await copy(
                    record.thumbnailKey, from: thumbnails, to: directory, folder: "thumbnails",
                    id: record.id, missing: &missing)
                let original = try await copy(
                    record.originalKey, from: originals, to: directory, folder: "originals",
                    id: record.id, missing: &missing)
                files[record.id] = (thumbnail, original)
            case .presign(let expires):
                files[record.id] = (
                    try await presign(record.thumbnailKey, in: thumbnails, expires: expires),
                    try await presign(record.originalKey, in: originals, expires: expires)
                )
            }
        }
        let main: URL
        switch format {
        case .html:
            main = try writeHTML(records, files: files, to: directory)
        case .json:
            main = directory.appendingPathComponent("gallery.json")
            let document = GalleryJSON(
                images: records.map {
                    ExportedRecord(record: $0, prices: prices, thumbnailFile: files[$0.id]?.thumbnail, originalFile: files[$0.id]?.original)
                })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            try encoder.encode(document).write(to: main, options: .atomic)
        case .csv:
            main = directory.appendingPathComponent("gallery.csv")
            try csv(records, files: files).write(to: main, atomically: true, encoding: .utf8)
        }
        return Result(mainFile: main, images: records.count, missingObjects: missing)
    }

    /// A presigned URL for one object, or nil when the record names none.
    private func presign(_ key: String?, in store: any ObjectStore, expires: Duration) async throws -> String? {
        guard let key, let objectKey = try? ObjectKey(key) else { return nil }
        return try await store.presignedURL(for: objectKey, expires: expires)?.absoluteString
    }

    /// Copies one object to `folder/<id>.<ext>`; returns the relative path, or nil when there is none.
    private func copy(
        _ key: String?, from store: any ObjectStore, to directory: URL, folder: String, id: Int64,
        missing: inout [String]
    ) async throws -> String? {
        guard let key, let objectKey = try? ObjectKey(key) else { return nil }
        let data: Data
        do {
            data = try await store.get(objectKey)
        } catch let error as ObjectStoreError where !error.isTransient {
            missing.append(key)
            logger.warning("object missing from the store", metadata: ["object.key": "\(key)"])
            return nil
        }
        let ext = ImageFormat(sniffing: data).map { $0 == .jpeg ? "jpg" : $0.rawValue } ?? "bin"
        let relative = "\(folder)/\(id).\(ext)"
        let target = directory.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: target, options: .atomic)
        return relative
    }

    private func writeHTML(_ records: [ImageRecord], files: [Int64: (thumbnail: String?, original: String?)], to directory: URL) throws -> URL {
        let renderer = try GalleryRenderer()
        let pages = stride(from: 0, to: max(records.count, 1), by: pageSize).map { Array(records[$0..<min($0 + pageSize, records.count)]) }
        func pageFile(_ n: Int) -> String { n == 1 ? "index.html" : "page-\(n).html" }
        let subtitle = "\(records.count) image\(records.count == 1 ? "" : "s")"
        for (index, page) in pages.enumerated() {
            let number = index + 1
            let views = page.map { record in
                GalleryImageView(
                    record, pageURL: "images/\(record.id).html",
                    thumbnailURL: files[record.id]?.thumbnail, originalURL: files[record.id]?.original)
            }
            let links = GalleryPageLinks(
                pageNumber: number, pageCount: pages.count,
                previousURL: number > 1 ? pageFile(number - 1) : nil,
                nextURL: number < pages.count ? pageFile(number + 1) : nil)
            try renderer.index(views, links: links, homeURL: "index.html", subtitle: subtitle)
                .write(to: directory.appendingPathComponent(pageFile(number)), atomically: true, encoding: .utf8)
        }
        let imagesDirectory = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: imagesDirectory, withIntermediateDirectories: true)
        for record in records {
            let view = GalleryImageView(
                record, pageURL: "\(record.id).html",
                thumbnailURL: files[record.id]?.thumbnail.map(Self.fromImagePage),
                originalURL: files[record.id]?.original.map(Self.fromImagePage))
            try renderer.image(view, homeURL: "../index.html")
                .write(to: imagesDirectory.appendingPathComponent("\(record.id).html"), atomically: true, encoding: .utf8)
        }
        return directory.appendingPathComponent("index.html")
    }

    /// A link as seen from `images/<id>.html`: relative paths go up a level, URLs stay.
    private static func fromImagePage(_ link: String) -> String {
        link.hasPrefix("https://") || link.hasPrefix("http://") ? link : "../" + link
    }

    private func csv(_ records: [ImageRecord], files: [Int64: (thumbnail: String?, original: String?)]) -> String {
        var writer = CSVWriter()
        writer.row([
            "id", "filename", "sha256", "content_type", "size", "width", "height", "annotation", "tags", "model",
            "annotation_status", "annotation_error", "thumbnail_status", "thumbnail_error",
            "s3_key_original", "s3_key_thumbnail", "uploaded_at", "updated_at", "thumbnail_file", "original_file",
        ])
        for r in records {
            writer.row([
                String(r.id), r.filename, r.sha256 ?? "", r.contentType ?? "", r.size.map(String.init) ?? "",
                r.width.map(String.init) ?? "", r.height.map(String.init) ?? "", r.annotation ?? "",
                r.tags.joined(separator: "; "), r.model ?? "", r.annotationStatus.rawValue, r.annotationError ?? "",
                r.thumbnailStatus.rawValue, r.thumbnailError ?? "", r.originalKey, r.thumbnailKey ?? "",
                Timestamp.iso8601(r.uploadedAt), Timestamp.iso8601(r.updatedAt),
                files[r.id]?.thumbnail ?? "", files[r.id]?.original ?? "",
            ])
        }
        return writer.text
    }
}

/// `gallery.json`: the records in the contract's shape plus the exported files' paths.
private struct GalleryJSON: Encodable {
    let images: [ExportedRecord]
}

private struct ExportedRecord: Encodable {
    let record: ImageRecord
    let prices: PriceTable
    let thumbnailFile: String?
    let originalFile: String?

    enum Keys: String, CodingKey { case thumbnail_file, original_file }

    func encode(to encoder: any Encoder) throws {
        try RecordJSON(record, prices: prices).encode(to: encoder)
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode(thumbnailFile, forKey: .thumbnail_file)
        try c.encode(originalFile, forKey: .original_file)
    }
}

/// Export failures that are the user's to fix.
public enum ExportError: Error, CustomStringConvertible, ExitStatusProviding {
    case presignNeedsS3(store: String)

    /// What to use instead.
    public var description: String {
        switch self {
        case .presignNeedsS3(let store):
            "--links presign needs S3 stores, and \(store) is not one; use --links copy"
        }
    }

    /// 64: the options do not fit the stores.
    public var exitStatus: ExitStatus { .usage }
}
