import AnnotateCore
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

    /// libvips' message.
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

    /// Whether the loader named `name` is available, blocked (untrusted) or missing.
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
    /// preview whose long side is at most `previewSide`, as a `RenderPlan` decides: the preview's
    /// quality is lowered until it fits `previewMaxBytes` (a request-size budget; nil for none), and a thumbnail
    /// that fits inside the preview is made from its pixels.
    static func render(
        _ data: Data, spec: ThumbnailSpec?, previewSide: Int?, previewQuality: Int = 80,
        previewMaxBytes: Int? = Vips.previewBudget
    ) throws -> Rendering {
        try start()
        let header = previewSide == nil ? nil : try probe(data)
        let plan = RenderPlan(header: header, thumbnail: spec, previewSide: previewSide, previewQuality: previewQuality)
        return try data.withUnsafeBytes { raw in
            var rendering = Rendering()
            var decoded: UnsafeMutableRawPointer?
            defer { if let decoded { cvips_unref(decoded) } }
            if let previewSide, let decode = plan.preview {
                let (jpegShrink, webpShrink) =
                    switch decode {
                    case .jpeg(let shrink): (shrink, 1)
                    case .webp(let shrink): (1, shrink)
                    case .full: (1, 1)
                    }
                guard let image = cvips_decode_upright(raw.baseAddress, raw.count, Int32(jpegShrink), Int32(webpShrink), Int32(previewSide))
                else { throw VipsError.take() }
                decoded = image
                for quality in plan.previewQualities {
                    let encoded = try encode(image, format: .jpeg, quality: quality)
                    rendering.preview = encoded.data
                    if encoded.data.count <= previewMaxBytes ?? Int.max { break }
                }
            }
            if let spec {
                let fitted =
                    if plan.thumbnailFromPreview, let decoded {
                        cvips_fit_image(decoded, Int32(spec.width), Int32(spec.height), spec.crop.cValue)
                    } else {
                        cvips_fit_buffer(raw.baseAddress, raw.count, Int32(spec.width), Int32(spec.height), spec.crop.cValue)
                    }
                guard let fitted else { throw VipsError.take() }
                defer { cvips_unref(fitted) }
                let encoded = try encode(fitted, format: spec.format, quality: spec.quality)
                rendering.thumbnail = Thumbnail(data: encoded.data, width: encoded.width, height: encoded.height, format: spec.format)
            }
            return rendering
        }
    }

    /// One encode of a decoded image.
    private static func encode(
        _ image: UnsafeMutableRawPointer, format: ThumbnailFormat, quality: Int
    ) throws
        -> (data: Data, width: Int, height: Int)
    {
        var out = cvips_encoded()
        guard cvips_encode_image(image, format.cValue, Int32(quality), &out) == 0, let bytes = out.data else { throw VipsError.take() }
        defer { cvips_free(bytes) }
        return (Data(bytes: bytes, count: out.length), Int(out.width), Int(out.height))
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
