import CVips
import Foundation

/// What libvips reported when an operation failed.
public struct VipsError: Error, CustomStringConvertible, Sendable {
    /// libvips' own message, trimmed to its first meaningful lines.
    public let message: String

    /// Takes (and clears) the process-wide libvips error buffer. The buffer is shared by every
    /// thread, so a concurrent failure may already have taken our text: then the message says
    /// what such a failure means, since these calls fail only when bytes cannot be decoded.
    static func take() -> VipsError {
        let raw = cvips_take_error()
        defer { cvips_free(raw) }
        var lines: [String] = []
        for line in String(cString: raw!).split(separator: "\n") {
            let text = line.trimmingCharacters(in: .whitespaces)
            if !text.isEmpty && !lines.contains(text) { lines.append(text) }
        }
        let text = lines.prefix(3).joined(separator: "; ")
        return VipsError(message: text.isEmpty ? "the image data is corrupt or truncated" : text)
    }

    public var description: String { message }
}

/// Entry points into libvips through the CVips shim.
public enum Vips {
    /// Starts libvips once per process; later calls are free.
    public static func start() throws {
        if cvips_init() != 0 { throw VipsError.take() }
    }

    /// Largest preview JPEG: base64 makes it 4/3 larger, so a request stays under 150 KB.
    public static let previewBudget = 108_000

    /// The linked libvips version, e.g. `8.14.1`.
    public static var version: String {
        String(cString: cvips_version())
    }

    /// Whether this libvips can load a format, by its loader's name (e.g. `heifload_buffer`).
    public enum LoaderState: Sendable { case available, blocked, missing }

    public static func loaderState(_ name: String) throws -> LoaderState {
        try start()
        switch cvips_loader_state(name) {
        case 1: return .available
        case 2: return .blocked
        default: return .missing
        }
    }

    /// Reads the header only: format, size, pages, orientation. Nothing is decoded, so this is
    /// safe and fast on decompression bombs.
    public static func probe(_ data: Data) throws -> ImageHeader {
        try start()
        return try data.withUnsafeBytes { raw -> ImageHeader in
            guard let image = VipsImage(header: raw) else { throw VipsError.take() }
            return image.header
        }
    }

    /// Reads the header and a few metadata fields (EXIF) by name.
    public static func metadata(_ data: Data, fields: [String]) throws -> (ImageHeader, [String: String]) {
        try start()
        return try data.withUnsafeBytes { raw in
            guard let image = VipsImage(header: raw) else { throw VipsError.take() }
            var values: [String: String] = [:]
            for field in fields {
                if let value = image.string(field) { values[field] = value }
            }
            return (image.header, values)
        }
    }

    /// Decodes once (shrink-on-load, auto-rotated) and encodes a thumbnail to `spec` and/or a JPEG
    /// preview whose long side is at most `previewSide`.
    /// The preview's quality is lowered until it fits `previewMaxBytes` (a request-size budget).
    static func render(_ data: Data, spec: ThumbnailSpec?, previewSide: Int?, previewQuality: Int = 80,
                       previewMaxBytes: Int = Vips.previewBudget) throws -> Rendering {
        try start()
        var request = cvips_render_request()
        if let spec {
            request.thumbnail_width = Int32(spec.width)
            request.thumbnail_height = Int32(spec.height)
            request.crop = spec.crop.cValue
            request.format = spec.format.cValue
            request.quality = Int32(spec.quality)
        }
        request.preview_side = Int32(previewSide ?? 0)
        request.preview_quality = Int32(previewQuality)
        request.preview_max_bytes = previewMaxBytes
        var thumbnail = cvips_encoded()
        var preview = cvips_encoded()
        let status = data.withUnsafeBytes { raw in
            cvips_render(raw.baseAddress, raw.count, &request, &thumbnail, &preview)
        }
        guard status == 0 else { throw VipsError.take() }
        defer {
            cvips_free(thumbnail.data)
            cvips_free(preview.data)
        }
        var rendering = Rendering()
        if let spec, let bytes = thumbnail.data {
            rendering.thumbnail = Thumbnail(data: Data(bytes: bytes, count: thumbnail.length), width: Int(thumbnail.width),
                                            height: Int(thumbnail.height), format: spec.format)
        }
        if let bytes = preview.data {
            rendering.preview = Data(bytes: bytes, count: preview.length)
        }
        return rendering
    }

    /// Decodes a small upright 8-bit sRGB rendition for measuring colours and brightness.
    static func smallRGB(_ data: Data, maxSide: Int) throws -> RGBPixels {
        try start()
        var out = cvips_pixels()
        let status = data.withUnsafeBytes { raw in
            cvips_small_rgb(raw.baseAddress, raw.count, Int32(maxSide), &out)
        }
        guard status == 0, let bytes = out.data else { throw VipsError.take() }
        defer { cvips_free(bytes) }
        let count = Int(out.width) * Int(out.height) * 3
        return RGBPixels(width: Int(out.width), height: Int(out.height), bytes: [UInt8](UnsafeBufferPointer(start: bytes, count: count)))
    }
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

    /// Size as displayed: orientations 5–8 swap width and height.
    public var displaySize: (width: Int, height: Int) {
        (5...8).contains(orientation) ? (height, width) : (width, height)
    }

    /// Pixels that a full decode would produce (all pages).
    public var pixelCount: Int64 {
        Int64(width) * Int64(height) * Int64(max(1, pages))
    }
}

/// 8-bit RGB pixels, row-major.
struct RGBPixels: Sendable {
    var width: Int
    var height: Int
    var bytes: [UInt8]
}

extension ThumbnailFormat {
    var cValue: Int32 {
        switch self {
        case .jpeg: Int32(CVIPS_FORMAT_JPEG.rawValue)
        case .webp: Int32(CVIPS_FORMAT_WEBP.rawValue)
        case .png: Int32(CVIPS_FORMAT_PNG.rawValue)
        }
    }
}

extension CropMode {
    var cValue: Int32 {
        switch self {
        case .none: Int32(CVIPS_CROP_NONE.rawValue)
        case .centre: Int32(CVIPS_CROP_CENTRE.rawValue)
        case .attention: Int32(CVIPS_CROP_ATTENTION.rawValue)
        }
    }
}
