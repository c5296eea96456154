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
    /// e.g. "page 2 of 7" (an export knows its pages; serve's keyset pages do not count them).
    public var label: String?
    public var previousURL: String?
    public var nextURL: String?

    public init(label: String?, previousURL: String?, nextURL: String?) {
        self.label = label
        self.previousURL = previousURL
        self.nextURL = nextURL
    }

    public init(pageNumber: Int, pageCount: Int, previousURL: String?, nextURL: String?) {
        self.init(label: pageCount > 1 ? "page \(pageNumber) of \(pageCount)" : nil, previousURL: previousURL, nextURL: nextURL)
    }

    var hasPages: Bool { label != nil || previousURL != nil || nextURL != nil }
}

/// A link in the page header.
public struct NavigationLink: Sendable {
    public var label: String
    public var url: String

    public init(label: String, url: String) {
        self.label = label
        self.url = url
    }
}

/// One file's line on the page that answers an upload.
public struct UploadResultView: Sendable {
    public var file: String
    public var status: String
    public var reason: String?
    public var pageURL: String?

    public init(file: String, status: String, reason: String?, pageURL: String?) {
        self.file = file
        self.status = status
        self.reason = reason
        self.pageURL = pageURL
    }
}

/// Renders gallery pages from views.
public struct GalleryRenderer: Sendable {
    private let library: MustacheLibrary
    public var siteTitle = "annotate gallery"
    /// Header links (serve's Upload and Gallery); an export has none.
    public var navigation: [NavigationLink] = []
    /// A script every page loads (serve's status polling); an export has none.
    public var scriptURL: String?

    public init() throws {
        var library = MustacheLibrary()
        try library.register(GalleryTemplates.page, named: "page")
        try library.register(GalleryTemplates.index, named: "index")
        try library.register(GalleryTemplates.image, named: "image")
        try library.register(GalleryTemplates.upload, named: "upload")
        try library.register(GalleryTemplates.failure, named: "failure")
        self.library = library
    }

    /// An index page of cards.
    public func index(_ images: [GalleryImageView], links: GalleryPageLinks, homeURL: String, subtitle: String) -> String {
        var context: [String: Any] = ["images": images, "hasPages": links.hasPages]
        // Only values that are there: an Optional inside Any would render as "nil".
        context["pageLabel"] = links.label
        context["previousURL"] = links.previousURL
        context["nextURL"] = links.nextURL
        let body = library.render(context, withTemplate: "index") ?? ""
        return page(title: siteTitle, body: body, homeURL: homeURL, subtitle: subtitle)
    }

    /// One image's page.
    public func image(_ image: GalleryImageView, homeURL: String) -> String {
        let body = library.render(["image": image], withTemplate: "image") ?? ""
        return page(title: "\(image.filename) · \(siteTitle)", body: body, homeURL: homeURL, subtitle: "image \(image.id)")
    }

    /// The upload form, with the outcome of the last upload when there is one.
    public func upload(actionURL: String, limit: String, processing: Bool, notice: String?, results: [UploadResultView],
                       homeURL: String) -> String {
        var context: [String: Any] = [
            "actionURL": actionURL, "limit": limit, "processing": processing, "hasResults": !results.isEmpty, "results": results,
        ]
        context["notice"] = notice
        let body = library.render(context, withTemplate: "upload") ?? ""
        return page(title: "Upload · \(siteTitle)", body: body, homeURL: homeURL, subtitle: "upload images")
    }

    /// An error page: what went wrong, in words.
    public func failure(status: String, message: String, homeURL: String) -> String {
        let body = library.render(["status": status, "message": message, "homeURL": homeURL], withTemplate: "failure") ?? ""
        return page(title: "\(status) · \(siteTitle)", body: body, homeURL: homeURL, subtitle: status)
    }

    private func page(title: String, body: String, homeURL: String, subtitle: String) -> String {
        var context: [String: Any] = [
            "title": title, "siteTitle": siteTitle, "subtitle": subtitle, "homeURL": homeURL, "body": body,
            "style": GalleryTemplates.style, "footer": "Made with annotate.", "navigation": !navigation.isEmpty, "links": navigation,
        ]
        context["scriptURL"] = scriptURL
        return library.render(context, withTemplate: "page") ?? ""
    }
}
