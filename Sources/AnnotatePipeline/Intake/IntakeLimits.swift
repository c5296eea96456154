/// Size and pixel limits checked before anything is decoded.
public struct IntakeLimits: Sendable, Equatable {
    /// The largest file accepted (`--max-bytes`).
    public var maxBytes: Int64
    /// The most pixels a header may declare, all pages together (`--max-pixels`).
    public var maxPixels: Int64

    /// 100 MB and 100 megapixels.
    public static let defaults = IntakeLimits(maxBytes: 100 << 20, maxPixels: 100_000_000)

    /// Limits of `maxBytes` and `maxPixels`.
    public init(maxBytes: Int64, maxPixels: Int64) {
        self.maxBytes = maxBytes
        self.maxPixels = maxPixels
    }
}
