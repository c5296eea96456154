import AnnotateCore

/// What one render decodes and encodes, decided from the header alone: which scale the decoder
/// reaches by itself for the annotator's preview, whether the thumbnail can come from the
/// preview's pixels, and the preview qualities to try. A pure value; `Vips.render` carries it out.
struct RenderPlan: Equatable, Sendable {
    /// How the preview is decoded.
    enum PreviewDecode: Equatable, Sendable {
        /// JPEG's shrink-on-load by 2, 4 or 8 (the DCT scales, no resampling pass).
        case jpeg(shrink: Int)
        /// WebP's scale-on-load by 1/2, 1/4 or 1/8.
        case webp(shrink: Int)
        /// A full decode, then a reduce (formats without shrink-on-load, or nothing to shrink).
        case full
    }

    /// The preview's decode; nil when no preview is wanted.
    var preview: PreviewDecode?
    /// The thumbnail is made from the preview's decoded pixels (it fits inside them), so one
    /// decode serves both.
    var thumbnailFromPreview: Bool
    /// JPEG qualities for the preview, best first: each is tried until one fits the budget.
    var previewQualities: [Int]

    /// The largest shrink-on-load the decoders offer.
    static let maximumShrink = 8
    /// Each quality step down from the first.
    static let qualityStep = 15
    /// Below this a preview is sent as it is, over budget or not: the model needs to see it.
    static let qualityFloor = 30

    /// The plan for an image with `header` (stored size, loader), a thumbnail to `spec`
    /// and/or a preview whose long side is at most `previewSide`.
    init(header: ImageHeader?, thumbnail spec: ThumbnailSpec?, previewSide: Int?, previewQuality: Int) {
        if let previewSide, let header {
            let shrink = Self.loadShrink(longest: max(header.width, header.height), side: previewSide)
            let loader = header.loader ?? ""
            preview =
                shrink == 1
                ? .full
                : loader.hasPrefix("jpegload")
                    ? .jpeg(shrink: shrink)
                    : loader.hasPrefix("webpload")
                        ? .webp(shrink: shrink)
                        : .full
            previewQualities = Self.qualitySteps(from: previewQuality)
        } else {
            preview = nil
            previewQualities = []
        }
        if let spec, let previewSide {
            thumbnailFromPreview = spec.width <= previewSide && spec.height <= previewSide
        } else {
            thumbnailFromPreview = false
        }
    }

    /// The smallest power of two (up to 8) the decoder can shrink by to bring the long side within
    /// `side`: the preview then lands between side/2 and side, which costs the API the same
    /// tokens, and no Lanczos pass is needed (in plain C, without Orc, it was half of `process`'s CPU).
    static func loadShrink(longest: Int, side: Int) -> Int {
        guard side > 0 else { return 1 }
        var shrink = 1
        while shrink < maximumShrink && (longest + shrink - 1) / shrink > side { shrink *= 2 }
        return shrink
    }

    /// `start`, then 15 lower each time, down to the first at or below the floor (80, 65, 50, 35, 20):
    /// noisy photos make large JPEGs, and re-encoding a 768 px image from memory costs milliseconds.
    static func qualitySteps(from start: Int) -> [Int] {
        var steps = [start]
        while let last = steps.last, last > qualityFloor { steps.append(last - qualityStep) }
        return steps
    }
}
