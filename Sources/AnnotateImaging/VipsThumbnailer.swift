import AnnotateCore
import Foundation

/// Thumbnails with libvips: shrink-on-load, EXIF auto-rotation, never enlarging.
public struct VipsThumbnailer: Thumbnailer {
    /// Box, format, crop and quality.
    public let spec: ThumbnailSpec

    /// A thumbnailer for `spec`; starts libvips.
    public init(spec: ThumbnailSpec) throws {
        self.spec = spec
        try Vips.start()
    }

    /// The extension of the configured format.
    public var fileExtension: String { spec.format.fileExtension }

    /// One shrink-on-load decode, then the thumbnail and/or the preview.
    public func render(_ original: Data, thumbnail: Bool, previewSide: Int?) async throws -> Rendering {
        let spec = thumbnail ? spec : nil
        do {
            return try await runBlocking { try Vips.render(original, spec: spec, previewSide: previewSide) }
        } catch let error as VipsError {
            throw ThumbnailError(reason: error.message)
        }
    }
}
