import Foundation

/// Reads what an image's header declares without decoding its pixels: the intake check that
/// refuses decompression bombs before anything is decoded.
public protocol ImageHeaderReader: Sendable {
    /// The header of `data`; throws `ImageDecodeError` when the bytes are not a readable image.
    func header(of data: Data) throws(ImageDecodeError) -> ImageHeader
}

/// Why image bytes could not be read, in the decoder's own words.
public struct ImageDecodeError: Error, CustomStringConvertible, Sendable {
    /// The decoder's message, e.g. `VipsForeignLoad: buffer is not in a known format`.
    public let reason: String

    /// An error with the decoder's reason.
    public init(reason: String) { self.reason = reason }

    /// The decoder's reason.
    public var description: String { reason }
}

/// Width, height and kind of an image as its header declares them.
public struct ImageHeader: Sendable, Equatable {
    /// Stored width in pixels (before EXIF rotation).
    public var width: Int
    /// Stored height in pixels (before EXIF rotation).
    public var height: Int
    /// Frames in an animation or pages in a multi-page file; 1 for still images.
    public var pages: Int
    /// EXIF orientation 1…8.
    public var orientation: Int
    /// The libvips loader that recognised it, e.g. `jpegload_buffer`.
    public var loader: String?

    /// A header as the decoder read it.
    public init(width: Int, height: Int, pages: Int, orientation: Int, loader: String?) {
        self.width = width
        self.height = height
        self.pages = pages
        self.orientation = orientation
        self.loader = loader
    }

    /// Size as displayed: orientations 5–8 swap width and height.
    public var displaySize: (width: Int, height: Int) {
        (5...8).contains(orientation) ? (height, width) : (width, height)
    }

    /// Pixels that a full decode would produce (all pages).
    public var pixelCount: Int64 {
        Int64(width) * Int64(height) * Int64(max(1, pages))
    }
}
