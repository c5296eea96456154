import AnnotateCore
import Foundation

/// Names what bytes that are not a supported image look like, so a refusal can say
/// "application/pdf is not an image" rather than only "not an image".
public enum MediaTypeSniffer {
    /// A MIME type for `bytes`, judged from their start: an image format we read, a few common
    /// others, `text/plain` for UTF-8 text, else `application/octet-stream`.
    public static func mediaType(of bytes: Data) -> String {
        if let format = ImageFormat(sniffing: bytes) { return format.contentType }
        let head = [UInt8](bytes.prefix(512))
        func starts(_ prefix: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + prefix.count && Array(head[offset..<offset + prefix.count]) == prefix
        }
        let signatures: [([UInt8], String)] = [
            (Array("%PDF-".utf8), "application/pdf"),
            ([0x50, 0x4B, 0x03, 0x04], "application/zip"),
            ([0x1F, 0x8B], "application/gzip"),
            ([0x7F, 0x45, 0x4C, 0x46], "application/x-executable"),
            (Array("BM".utf8), "image/bmp"),
            ([0x00, 0x00, 0x01, 0x00], "image/vnd.microsoft.icon"),
            (Array("8BPS".utf8), "image/vnd.adobe.photoshop"),
            ([0x25, 0x21, 0x50, 0x53], "application/postscript"),
            ([0x1A, 0x45, 0xDF, 0xA3], "video/webm"),
            (Array("OggS".utf8), "audio/ogg"),
            (Array("ID3".utf8), "audio/mpeg"),
        ]
        for (signature, type) in signatures where starts(signature) { return type }
        if starts(Array("ftyp".utf8), at: 4) { return "video/mp4" }
        if starts(Array("RIFF".utf8)) { return "application/x-riff" }
        guard let text = String(bytes: head, encoding: .utf8) ?? String(bytes: head.dropLast(3), encoding: .utf8) else {
            return "application/octet-stream"
        }
        let start = text.drop { $0.isWhitespace || $0 == "\u{FEFF}" }.prefix(256).lowercased()
        if start.contains("<svg") { return "image/svg+xml" }
        if start.hasPrefix("<!doctype html") || start.hasPrefix("<html") { return "text/html" }
        if start.hasPrefix("<?xml") { return "application/xml" }
        if start.hasPrefix("{") || start.hasPrefix("[") { return "application/json" }
        return text.contains("\0") ? "application/octet-stream" : "text/plain"
    }
}
