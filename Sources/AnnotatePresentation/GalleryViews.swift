import AnnotateCore
import Foundation
import Mustache

/// One image as the gallery templates show it; URLs are supplied by the caller (relative files
/// for the static export, routes for `serve`).
public struct GalleryImageView: Sendable, Equatable, MustacheParent {
    /// The record's id.
    public var id: Int64
    /// The file name as uploaded.
    public var filename: String
    /// The caption, once annotated.
    public var caption: String?
    /// The tags.
    public var tags: [String]
    /// Whether there are tags (for the templates).
    public var hasTags: Bool
    /// The image's alt text: its caption, else its file name.
    public var alt: String
    /// The annotation task's state.
    public var annotationStatus: String
    /// Why the annotation failed.
    public var annotationError: String?
    /// The thumbnail task's state.
    public var thumbnailStatus: String
    /// Why the thumbnail failed.
    public var thumbnailError: String?
    /// The model that annotated it.
    public var model: String?
    /// `width×height`, when known.
    public var dimensions: String?
    /// The media type.
    public var contentType: String?
    /// The hex SHA-256 of the bytes.
    public var sha256: String?
    /// When it was uploaded, as shown.
    public var uploadedAt: String
    /// The image's own page.
    public var pageURL: String
    /// The thumbnail, once made.
    public var thumbnailURL: String?
    /// The original.
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

    /// The template's fields by name. Mustache would otherwise find them through Mirror, which
    /// costs more than the rest of a 50-card page put together.
    public func child(named name: String) -> Any? {
        switch name {
        case "id": id
        case "filename": filename
        case "caption": caption
        case "tags": tags
        case "hasTags": hasTags
        case "alt": alt
        case "annotationStatus": annotationStatus
        case "annotationError": annotationError
        case "thumbnailStatus": thumbnailStatus
        case "thumbnailError": thumbnailError
        case "model": model
        case "dimensions": dimensions
        case "contentType": contentType
        case "sha256": sha256
        case "uploadedAt": uploadedAt
        case "pageURL": pageURL
        case "thumbnailURL": thumbnailURL
        case "originalURL": originalURL
        default: nil
        }
    }

    /// `1.5 MB` or `52 KB` (by hand: String(format:) is slow, and every gallery card shows one).
    static func bytes(_ n: Int64) -> String {
        if n >= 1 << 20 {
            let tenths = (n * 10 + (1 << 19)) >> 20
            return "\(tenths / 10).\(tenths % 10) MB"
        }
        return "\((n + 512) >> 10) KB"
    }
}

/// Navigation for one index page.
public struct GalleryPageLinks: Sendable {
    /// e.g. "page 2 of 7" (an export knows its pages; serve's keyset pages do not count them).
    public var label: String?
    /// The newer page, if any.
    public var previousURL: String?
    /// The older page, if any.
    public var nextURL: String?

    /// Links with a free-form label.
    public init(label: String?, previousURL: String?, nextURL: String?) {
        self.label = label
        self.previousURL = previousURL
        self.nextURL = nextURL
    }

    /// Links labelled `page N of M` (none for a single page).
    public init(pageNumber: Int, pageCount: Int, previousURL: String?, nextURL: String?) {
        self.init(label: pageCount > 1 ? "page \(pageNumber) of \(pageCount)" : nil, previousURL: previousURL, nextURL: nextURL)
    }

    var hasPages: Bool { label != nil || previousURL != nil || nextURL != nil }
}

/// A link in the page header.
public struct NavigationLink: Sendable {
    /// The link's text.
    public var label: String
    /// Where it goes.
    public var url: String

    /// A link.
    public init(label: String, url: String) {
        self.label = label
        self.url = url
    }
}

/// One file's line on the page that answers an upload.
public struct UploadResultView: Sendable, MustacheParent {
    /// The file name as sent.
    public var file: String
    /// `uploaded`, `duplicate`, `rejected` or `skipped`.
    public var status: String
    /// Why it was rejected.
    public var reason: String?
    /// The image's page, when it has a record.
    public var pageURL: String?

    /// A line.
    public init(file: String, status: String, reason: String?, pageURL: String?) {
        self.file = file
        self.status = status
        self.reason = reason
        self.pageURL = pageURL
    }

    /// The templates' fields, by name (no reflection).
    public func child(named name: String) -> Any? {
        switch name {
        case "file": file
        case "status": status
        case "reason": reason
        case "pageURL": pageURL
        default: nil
        }
    }
}
