import AnnotateCore
import Foundation

/// Image headers through libvips: only the header is parsed, nothing is decoded.
public struct VipsHeaderReader: ImageHeaderReader {
    /// Starts libvips (once per process).
    public init() throws {
        try Vips.start()
    }

    /// The header, read without decoding.
    public func header(of data: Data) throws(ImageDecodeError) -> ImageHeader {
        do {
            return try Vips.probe(data)
        } catch let error as VipsError {
            throw ImageDecodeError(reason: error.message)
        } catch {
            throw ImageDecodeError(reason: "\(error)")
        }
    }
}
