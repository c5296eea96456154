import AnnotateCore
import Foundation

/// The offline annotator: describes what can be measured — orientation and size, dominant colours
/// by name, brightness, EXIF camera and date — with no network and no key. Deterministic: the
/// same bytes always give the same caption and tags. It is a measurement, never presented as AI.
public struct MetadataAnnotator: Annotator {
    /// Recorded as the model; bump the version when the description changes, so `--stale` can find old ones.
    public let model = "metadata-v1"
    /// No prompt is involved.
    public let promptHash: String? = nil
    /// Measures the original itself, not a preview.
    public let previewSide: Int? = nil

    /// Nothing to count: it bills nothing.
    public func countInputTokens(for image: AnnotationInput) async throws -> Int? { nil }

    /// None: it runs here, at once.
    public let batchMode: (any BatchAnnotator)? = nil

    /// Nothing: it runs here and bills nothing.
    public func estimatedInputTokens(width: Int, height: Int) -> Int? { nil }

    /// Side of the rendition that colours are measured on: enough for stable shares, cheap to decode.
    private static let sampleSide = 64
    private static let exifFields = ["exif-ifd0-Make", "exif-ifd0-Model", "exif-ifd2-DateTimeOriginal", "exif-ifd0-DateTime"]

    /// Starts libvips.
    public init() throws {
        try Vips.start()
    }

    /// Describes the image from its pixels and EXIF.
    public func annotate(_ image: AnnotationInput) async throws -> Annotation {
        let data = image.data
        do {
            let (header, exif, pixels) = try await runBlocking {
                let (header, exif) = try Vips.metadata(data, fields: Self.exifFields)
                return (header, exif, try Vips.smallRGB(data, maxSide: Self.sampleSide))
            }
            return describe(header: header, exif: exif, pixels: pixels)
        } catch let error as VipsError {
            throw AnnotationError.permanent("cannot decode the image: \(error.message)")
        }
    }

    func describe(header: ImageHeader, exif: [String: String], pixels: RGBPixels) -> Annotation {
        let (width, height) = header.displaySize
        let shape: String
        let ratio = Double(width) / Double(max(1, height))
        if abs(ratio - 1) < 0.05 {
            shape = "square"
        } else {
            shape = ratio > 1 ? "landscape" : "portrait"
        }
        let colours = Self.dominantColours(pixels)
        let brightness = Self.brightness(pixels)
        let camera = Self.camera(exif)
        let date = Self.date(exif)

        var caption = "\(shape.capitalized) image, \(width)×\(height) pixels"
        if !colours.isEmpty {
            caption += ", mostly \(Self.list(colours))"
        }
        caption += "; \(brightness)"
        if let camera { caption += "; taken with a \(camera)" }
        if let date { caption += (camera == nil ? "; taken on " : " on ") + date }
        caption += "."

        var tags = [shape] + colours + [brightness]
        let megapixels = Double(width * height) / 1_000_000
        tags.append(megapixels >= 1 ? "\(Int(megapixels.rounded()))mp" : "small")
        if let camera { tags.append(camera.lowercased()) }
        if let date { tags.append(String(date.prefix(4))) }
        return Annotation(caption: caption, tags: tags, model: model)
    }

    /// Up to three colour names that each cover at least 12% of the picture, largest first.
    static func dominantColours(_ pixels: RGBPixels) -> [String] {
        var counts: [String: Int] = [:]
        let total = pixels.width * pixels.height
        guard total > 0 else { return [] }
        for i in stride(from: 0, to: total * 3, by: 3) {
            counts[ColourNames.name(red: pixels.bytes[i], green: pixels.bytes[i + 1], blue: pixels.bytes[i + 2]), default: 0] += 1
        }
        return
            counts
            .filter { Double($0.value) / Double(total) >= 0.12 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .prefix(3)
            .map(\.key)
    }

    /// `dark`, `dim`, `bright` or `evenly lit` from mean luma (Rec. 709 weights).
    static func brightness(_ pixels: RGBPixels) -> String {
        let total = pixels.width * pixels.height
        guard total > 0 else { return "evenly lit" }
        var sum = 0.0
        for i in stride(from: 0, to: total * 3, by: 3) {
            sum += 0.2126 * Double(pixels.bytes[i]) + 0.7152 * Double(pixels.bytes[i + 1]) + 0.0722 * Double(pixels.bytes[i + 2])
        }
        let mean = sum / Double(total) / 255
        switch mean {
        case ..<0.22: return "dark"
        case ..<0.38: return "dim"
        case 0.68...: return "bright"
        default: return "evenly lit"
        }
    }

    /// "Canon EOS 5D" from Make + Model, without repeating the make.
    static func camera(_ exif: [String: String]) -> String? {
        let make = exif["exif-ifd0-Make"]?.trimmingCharacters(in: .whitespaces)
        let model = exif["exif-ifd0-Model"]?.trimmingCharacters(in: .whitespaces)
        switch (make, model) {
        case (let make?, let model?):
            return model.lowercased().hasPrefix(make.lowercased()) ? model : "\(make) \(model)"
        case (nil, let model?): return model
        case (let make?, nil): return make
        default: return nil
        }
    }

    /// `YYYY-MM-DD` from the EXIF date (`2024:03:01 10:00:00`).
    static func date(_ exif: [String: String]) -> String? {
        guard let raw = exif["exif-ifd2-DateTimeOriginal"] ?? exif["exif-ifd0-DateTime"] else { return nil }
        let parts = raw.prefix(10).split(separator: ":")
        guard parts.count == 3, parts.allSatisfy({ Int($0) != nil }), parts[0] != "0000" else { return nil }
        return parts.joined(separator: "-")
    }

    private static func list(_ words: [String]) -> String {
        switch words.count {
        case 0: ""
        case 1: words[0]
        case 2: "\(words[0]) and \(words[1])"
        default: words.dropLast().joined(separator: ", ") + " and " + words.last!
        }
    }
}
