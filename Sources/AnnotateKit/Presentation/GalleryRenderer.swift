import Foundation
import Mustache

/// One image as the gallery templates show it; URLs are supplied by the caller (relative files
/// for the static export, routes for `serve`).
public struct GalleryImageView: Sendable {
    public var id: Int64
    public var filename: String
    public var caption: String?
    public var tags: [String]
    /// Stored, not computed: templates read views through Mirror, which sees stored properties only.
    public var hasTags: Bool
    public var alt: String
    public var annotationStatus: String
    public var annotationError: String?
    public var thumbnailStatus: String
    public var thumbnailError: String?
    public var model: String?
    public var dimensions: String?
    public var contentType: String?
    public var sha256: String?
    public var uploadedAt: String
    public var pageURL: String
    public var thumbnailURL: String?
    public var originalURL: String?

    /// The view of `record` with the given URLs.
    public init(_ record: ImageRecord, pageURL: String, thumbnailURL: String?, originalURL: String?) {
        id = record.id
        filename = record.filename
        caption = record.annotation
        tags = record.tags
        hasTags = !record.tags.isEmpty
        alt = record.annotation ?? record.filename
        annotationStatus = record.annotationStatus.rawValue
        annotationError = record.annotationStatus == .completed ? nil : record.annotationError
        thumbnailStatus = record.thumbnailStatus.rawValue
        thumbnailError = record.thumbnailStatus == .completed ? nil : record.thumbnailError
        model = record.model
        if let w = record.width, let h = record.height { dimensions = "\(w) × \(h) pixels" + (record.size.map { ", \(Self.bytes($0))" } ?? "") }
        contentType = record.contentType
        sha256 = record.sha256
        uploadedAt = Timestamp.iso8601(record.uploadedAt)
        self.pageURL = pageURL
        self.thumbnailURL = thumbnailURL
        self.originalURL = originalURL
    }

    static func bytes(_ n: Int64) -> String {
        n >= 1 << 20 ? String(format: "%.1f MB", Double(n) / 1_048_576) : String(format: "%.0f KB", Double(n) / 1024)
    }
}

/// Navigation for one index page.
public struct GalleryPageLinks: Sendable {
    public var pageNumber: Int
    public var pageCount: Int
    public var previousURL: String?
    public var nextURL: String?

    public init(pageNumber: Int, pageCount: Int, previousURL: String?, nextURL: String?) {
        self.pageNumber = pageNumber
        self.pageCount = pageCount
        self.previousURL = previousURL
        self.nextURL = nextURL
    }
}

/// Renders gallery pages from views.
public struct GalleryRenderer: Sendable {
    private let library: MustacheLibrary
    public var siteTitle = "annotate gallery"

    public init() throws {
        var library = MustacheLibrary()
        try library.register(GalleryTemplates.page, named: "page")
        try library.register(GalleryTemplates.index, named: "index")
        try library.register(GalleryTemplates.image, named: "image")
        self.library = library
    }

    /// An index page of cards.
    public func index(_ images: [GalleryImageView], links: GalleryPageLinks, homeURL: String, subtitle: String) -> String {
        let body = library.render([
            "images": images,
            "hasPages": links.pageCount > 1,
            "pageNumber": links.pageNumber,
            "pageCount": links.pageCount,
            "previousURL": links.previousURL as Any,
            "nextURL": links.nextURL as Any,
        ] as [String: Any], withTemplate: "index") ?? ""
        return page(title: siteTitle, body: body, homeURL: homeURL, subtitle: subtitle)
    }

    /// One image's page.
    public func image(_ image: GalleryImageView, homeURL: String) -> String {
        let body = library.render(["image": image], withTemplate: "image") ?? ""
        return page(title: "\(image.filename) · \(siteTitle)", body: body, homeURL: homeURL, subtitle: "image \(image.id)")
    }

    private func page(title: String, body: String, homeURL: String, subtitle: String) -> String {
        library.render([
            "title": title, "siteTitle": siteTitle, "subtitle": subtitle, "homeURL": homeURL, "body": body,
            "footer": "Made with annotate.",
        ], withTemplate: "page") ?? ""
    }
}
