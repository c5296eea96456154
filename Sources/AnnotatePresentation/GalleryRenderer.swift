import AnnotateCore
import Foundation
import Mustache

/// Renders gallery pages from views.
public struct GalleryRenderer: Sendable {
    private let library: MustacheLibrary
    /// The title every page carries.
    public var siteTitle = "annotate gallery"
    /// Header links (serve's Upload and Gallery); an export has none.
    public var navigation: [NavigationLink] = []
    /// A script every page loads (serve's status polling); an export has none.
    public var scriptURL: String?
    /// Where the style sheet is served (serve); nil puts it inline (an export).
    public var styleURL: String?

    /// Compiles the templates.
    public init() throws {
        var library = MustacheLibrary()
        try library.register(GalleryTemplates.page, named: "page")
        try library.register(GalleryTemplates.card, named: "card")
        try library.register(GalleryTemplates.index, named: "index")
        try library.register(GalleryTemplates.image, named: "image")
        try library.register(GalleryTemplates.upload, named: "upload")
        try library.register(GalleryTemplates.failure, named: "failure")
        self.library = library
    }

    /// One image's card.
    public func card(_ image: GalleryImageView) -> String {
        library.render(image, withTemplate: "card") ?? ""
    }

    /// An index page of cards.
    public func index(_ images: [GalleryImageView], links: GalleryPageLinks, homeURL: String, subtitle: String) -> String {
        index(cards: images.map(card), links: links, homeURL: homeURL, subtitle: subtitle)
    }

    /// An index page of cards already rendered by `card(_:)`.
    public func index(cards: [String], links: GalleryPageLinks, homeURL: String, subtitle: String) -> String {
        indexParts(cards: cards, links: links, homeURL: homeURL, subtitle: subtitle).joined()
    }

    /// The same page as consecutive parts, for a server to write out without joining them first
    /// (a gallery page is 40 KB, and every copy of it shows in the throughput).
    public func indexParts(cards: [String], links: GalleryPageLinks, homeURL: String, subtitle: String) -> [String] {
        var context: [String: Any] = ["cards": Self.bodyMarker, "hasImages": !cards.isEmpty, "hasPages": links.hasPages]
        // Only values that are there: an Optional inside Any would render as "nil".
        context["pageLabel"] = links.label
        context["previousURL"] = links.previousURL
        context["nextURL"] = links.nextURL
        let (before, after) = indexFrames.frame(for: [links.label ?? "", links.previousURL ?? "", links.nextURL ?? "", cards.isEmpty ? "0" : "1"]) {
            Self.split(library.render(context, withTemplate: "index") ?? "")
        }
        let (top, bottom) = pageFrame(title: siteTitle, homeURL: homeURL, subtitle: subtitle)
        var parts = [top, before]
        parts.reserveCapacity(cards.count * 2 + 4)
        for card in cards { parts += [card, "\n"] }
        return parts + [after, bottom]
    }

    /// One image's page.
    public func image(_ image: GalleryImageView, homeURL: String) -> String {
        let body = library.render(["image": image], withTemplate: "image") ?? ""
        return page(title: "\(image.filename) · \(siteTitle)", body: body, homeURL: homeURL, subtitle: "image \(image.id)")
    }

    /// The upload form, with the outcome of the last upload when there is one.
    public func upload(
        actionURL: String, limit: String, processing: Bool, notice: String?, results: [UploadResultView],
        homeURL: String
    ) -> String {
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

    /// The page frame around `body`. The frame is rendered once per title, subtitle and home
    /// link and kept: templates copy every string they insert, and a gallery page's cards are
    /// most of its 40 KB.
    private func page(title: String, body: String, homeURL: String, subtitle: String) -> String {
        let (before, after) = pageFrame(title: title, homeURL: homeURL, subtitle: subtitle)
        return before + body + after
    }

    /// The page around a body, as the text before and after it. Rendered once per title,
    /// subtitle and home link and kept: the frame is the same for every gallery page.
    private func pageFrame(title: String, homeURL: String, subtitle: String) -> (String, String) {
        let key = [title, subtitle, homeURL, siteTitle, scriptURL ?? "", styleURL ?? ""] + navigation.flatMap { [$0.label, $0.url] }
        return frames.frame(for: key) {
            var context: [String: Any] = [
                "title": title, "siteTitle": siteTitle, "subtitle": subtitle, "homeURL": homeURL, "body": Self.bodyMarker,
                "style": GalleryTemplates.style, "footer": "Made with annotate.", "navigation": !navigation.isEmpty, "links": navigation,
            ]
            context["scriptURL"] = scriptURL
            context["styleURL"] = styleURL
            return Self.split(library.render(context, withTemplate: "page") ?? "")
        }
    }

    /// Stands for the body while a frame is rendered. Control characters are not escaped by
    /// templates, so a file name could hold this text: the body's place is its last occurrence,
    /// which follows every user-supplied string in each frame.
    static let bodyMarker = "\u{1}annotate-body\u{1}"

    /// The text before and after the last body marker (the whole frame and nothing when none).
    static func split(_ frame: String) -> (String, String) {
        let text = Array(frame.utf8), marker = Array(bodyMarker.utf8)
        var start = text.count - marker.count
        while start >= 0 {
            if text[start] == marker[0] && Array(text[start..<start + marker.count]) == marker {
                return (String(decoding: text[..<start], as: UTF8.self), String(decoding: text[(start + marker.count)...], as: UTF8.self))
            }
            start -= 1
        }
        return (frame, "")
    }

    private let frames = FrameCache()
    private let indexFrames = FrameCache()
}

/// Rendered page frames (the text before and after the body) by their variable parts, a few
/// dozen at most (cleared when full).
private final class FrameCache: @unchecked Sendable {
    private let lock = NSLock()
    private var frames: [[String]: (String, String)] = [:]

    func frame(for key: [String], render: () -> (String, String)) -> (String, String) {
        if let frame = lock.withLock({ frames[key] }) { return frame }
        let frame = render()
        lock.withLock {
            if frames.count >= 256 { frames.removeAll() }
            frames[key] = frame
        }
        return frame
    }
}
