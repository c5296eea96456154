import Foundation

/// Makes a thumbnail from an original image's bytes, and the downscaled preview an annotator
/// sends, from one decode.
public protocol Thumbnailer: Sendable {
    /// Decodes `original` once and returns a thumbnail (when `thumbnail`) and a JPEG preview whose
    /// long side is at most `previewSide` (when given); throws `ThumbnailError` when it cannot be decoded.
    func render(_ original: Data, thumbnail: Bool, previewSide: Int?) async throws -> Rendering
    /// The file extension thumbnails get (`jpg`, `webp`, `png`).
    var fileExtension: String { get }
}

extension Thumbnailer {
    /// Decodes `original` and returns the encoded thumbnail.
    public func thumbnail(of original: Data) async throws -> Thumbnail {
        guard let thumbnail = try await render(original, thumbnail: true, previewSide: nil).thumbnail else {
            throw ThumbnailError(reason: "no thumbnail was produced")
        }
        return thumbnail
    }
}

/// What one decode produced.
public struct Rendering: Sendable {
    /// The encoded thumbnail, when one was asked for.
    public var thumbnail: Thumbnail?
    /// An upright JPEG for annotators.
    public var preview: Data?

    /// A rendering of whichever parts were asked for.
    public init(thumbnail: Thumbnail? = nil, preview: Data? = nil) {
        self.thumbnail = thumbnail
        self.preview = preview
    }
}

/// Thumbnail output formats.
public enum ThumbnailFormat: String, Sendable, CaseIterable, Codable {
    case jpeg, webp, png

    /// File extension for this format.
    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }
    /// MIME type for this format.
    public var contentType: String { "image/\(rawValue)" }
}

/// How a thumbnail fills its box.
public enum CropMode: String, Sendable, CaseIterable, Codable {
    /// Fit inside the box, keeping the aspect ratio (Pillow's `thumbnail`).
    case none
    /// Fill the box, cropping the centre.
    case centre
    /// Fill the box, cropping around the most interesting region.
    case attention
}

/// The box and encoding of thumbnails.
public struct ThumbnailSpec: Sendable, Equatable {
    /// The box's width in pixels.
    public var width: Int
    /// The box's height in pixels.
    public var height: Int
    /// The encoding.
    public var format: ThumbnailFormat
    /// How the image fills the box.
    public var crop: CropMode
    /// Encoder quality 1–100 (JPEG and WebP).
    public var quality: Int

    /// A spec; quality applies to JPEG and WebP.
    public init(width: Int = 128, height: Int = 128, format: ThumbnailFormat = .jpeg, crop: CropMode = .none, quality: Int = 85) {
        self.width = width
        self.height = height
        self.format = format
        self.crop = crop
        self.quality = quality
    }
}

/// An encoded thumbnail.
public struct Thumbnail: Sendable {
    /// The encoded bytes.
    public var data: Data
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// The encoding of `data`.
    public var format: ThumbnailFormat

    /// A thumbnail of `width`×`height` encoded as `format`.
    public init(data: Data, width: Int, height: Int, format: ThumbnailFormat) {
        self.data = data
        self.width = width
        self.height = height
        self.format = format
    }
}

/// Why a thumbnail could not be made.
public struct ThumbnailError: Error, CustomStringConvertible, Sendable {
    /// The decoder's reason.
    public let reason: String
    /// An error with the decoder's reason.
    public init(reason: String) { self.reason = reason }
    /// `cannot decode the image:` and the reason.
    public var description: String { "cannot decode the image: \(reason)" }
}
