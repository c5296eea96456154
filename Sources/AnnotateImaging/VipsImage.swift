import AnnotateCore
import CVips
import Foundation

/// A libvips image opened header-only; owns its reference and drops it on deinit.
/// The bytes it was opened from must outlive it, so it never escapes the `withUnsafeBytes`
/// scope that created it.
final class VipsImage {
    private let pointer: UnsafeMutableRawPointer

    init?(header bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, bytes.count > 0,
            let pointer = cvips_open_header(base, bytes.count)
        else { return nil }
        self.pointer = pointer
    }

    deinit { cvips_unref(pointer) }

    var header: ImageHeader {
        let loader = cvips_image_loader(pointer)
        defer { cvips_free(loader) }
        return ImageHeader(
            width: Int(cvips_image_width(pointer)),
            height: Int(cvips_image_height(pointer)),
            pages: Int(max(1, cvips_image_pages(pointer))),
            orientation: Int(cvips_image_orientation(pointer)),
            loader: loader.map { String(cString: $0) })
    }

    /// A metadata field as text. EXIF fields come back as `VALUE (DESCRIPTION, FORMAT, …)`;
    /// only the value is kept.
    func string(_ field: String) -> String? {
        guard let raw = cvips_image_string(pointer, field) else { return nil }
        defer { cvips_free(raw) }
        var text = String(cString: raw)
        if field.hasPrefix("exif-"), let open = text.range(of: " (", options: .backwards) {
            text = String(text[..<open.lowerBound])
        }
        text = text.trimmingCharacters(in: .whitespacesAndNewlines.union(.controlCharacters))
        return text.isEmpty ? nil : text
    }
}
