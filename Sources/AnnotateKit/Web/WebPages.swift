import Foundation

/// The HTML `serve` answers with: the gallery templates shared with `gallery-export`, given the
/// server's own URLs (routes instead of relative files) and its polling script.
struct WebPages: Sendable {
    private let renderer: GalleryRenderer
    static let scriptURL = "/assets/gallery.js"

    init() throws {
        var renderer = try GalleryRenderer()
        renderer.navigation = [NavigationLink(label: "Upload", url: "/"), NavigationLink(label: "Gallery", url: "/gallery")]
        renderer.scriptURL = Self.scriptURL
        self.renderer = renderer
    }

    /// The view of `record` with the media routes; a thumbnail link only once one exists.
    static func view(_ record: ImageRecord) -> GalleryImageView {
        GalleryImageView(record, pageURL: "/images/\(record.id)",
                         thumbnailURL: record.thumbnailStatus == .completed && record.thumbnailKey != nil ? "/media/\(record.id)/thumbnail" : nil,
                         originalURL: "/media/\(record.id)/original")
    }

    func gallery(_ records: [ImageRecord], filter: String?, nextCursor: Int64?, isFirstPage: Bool, total: Int) -> String {
        let statusQuery = filter.map { "&status=\($0)" } ?? ""
        let links = GalleryPageLinks(
            label: "\(total) image\(total == 1 ? "" : "s")",
            previousURL: isFirstPage ? nil : "/gallery" + (filter.map { "?status=\($0)" } ?? ""),
            nextURL: nextCursor.map { "/gallery?before=\($0)\(statusQuery)" })
        return renderer.index(records.map(Self.view), links: links, homeURL: "/gallery",
                              subtitle: filter.map { "\($0) images" } ?? "newest first")
    }

    func image(_ record: ImageRecord) -> String {
        renderer.image(Self.view(record), homeURL: "/gallery")
    }

    func upload(limitBytes: Int64, processing: Bool, notice: String? = nil, results: [UploadResult] = []) -> String {
        let views = results.map { result in
            UploadResultView(file: result.file, status: result.status.rawValue, reason: result.reason,
                             pageURL: result.id.map { "/images/\($0)" })
        }
        return renderer.upload(actionURL: "/upload", limit: "\(limitBytes >> 20) MB", processing: processing,
                               notice: notice, results: views, homeURL: "/gallery")
    }

    func error(status: String, message: String) -> String {
        renderer.failure(status: status, message: message, homeURL: "/gallery")
    }
}
