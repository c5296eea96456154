import AnnotateCore
import AnnotatePipeline
import AnnotatePresentation
import Foundation

/// The HTML `serve` answers with: the gallery templates shared with `gallery-export`, given the
/// server's own URLs (routes instead of relative files) and its polling script.
struct WebPages: Sendable {
    private let renderer: GalleryRenderer
    private let cards = CardCache()
    static let scriptURL = "/assets/gallery.js"
    static let styleURL = "/assets/gallery.css"

    init() throws {
        var renderer = try GalleryRenderer()
        renderer.navigation = [NavigationLink(label: "Upload", url: "/"), NavigationLink(label: "Gallery", url: "/gallery")]
        renderer.scriptURL = Self.scriptURL
        renderer.styleURL = Self.styleURL
        self.renderer = renderer
    }

    /// The view of `record` with the media routes; a thumbnail link only once one exists.
    static func view(_ record: ImageRecord) -> GalleryImageView {
        GalleryImageView(
            record, pageURL: "/images/\(record.id)",
            thumbnailURL: record.thumbnailStatus == .completed && record.thumbnailKey != nil ? "/media/\(record.id)/thumbnail" : nil,
            originalURL: "/media/\(record.id)/original")
    }

    func gallery(_ records: [ImageRecord], filter: String?, nextCursor: Int64?, isFirstPage: Bool) -> [String] {
        let statusQuery = filter.map { "&status=\($0)" } ?? ""
        let links = GalleryPageLinks(
            label: records.isEmpty && !isFirstPage ? "no older images" : nil,
            previousURL: isFirstPage ? nil : "/gallery" + (filter.map { "?status=\($0)" } ?? ""),
            nextURL: nextCursor.map { "/gallery?before=\($0)\(statusQuery)" })
        let cards = records.map { record in self.cards.html(for: record) { renderer.card(Self.view(record)) } }
        return renderer.indexParts(
            cards: cards, links: links, homeURL: "/gallery",
            subtitle: filter.map { "\($0) images, newest first" } ?? "newest first")
    }

    func image(_ record: ImageRecord) -> String {
        renderer.image(Self.view(record), homeURL: "/gallery")
    }

    func upload(limitBytes: Int64, processing: Bool, notice: String? = nil, results: [UploadResult] = []) -> String {
        let views = results.map { result in
            UploadResultView(
                file: result.file, status: result.status.rawValue, reason: result.reason,
                pageURL: result.id.map { "/images/\($0)" })
        }
        return renderer.upload(
            actionURL: "/upload", limit: "\(limitBytes >> 20) MB", processing: processing,
            notice: notice, results: views, homeURL: "/gallery")
    }

    func error(status: String, message: String) -> String {
        renderer.failure(status: status, message: message, homeURL: "/gallery")
    }
}

/// Rendered cards by image, reused while the record is unchanged: most of a gallery page is
/// cards of finished images, and rendering 50 cards costs more than the rest of the request.
/// The whole record is compared, so a changed record never shows an old card.
final class CardCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [Int64: (record: ImageRecord, html: String)] = [:]
    private let capacity: Int

    init(capacity: Int = 20_000) {
        self.capacity = capacity
    }

    func html(for record: ImageRecord, render: () -> String) -> String {
        if let hit = lock.withLock({ entries[record.id] }), hit.record == record { return hit.html }
        let html = render()
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[record.id] = (record, html)
        }
        return html
    }
}
