import Foundation
import Logging
import Testing

@testable import AnnotateKit

/// Paths and files the tests share.
enum Fixtures {
    /// The repository root (this file is Tests/AnnotateKitTests/Support/Fixtures.swift).
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The bundled sample photos.
    static let samples = repository.appendingPathComponent("demo")

    /// The 12 sample photo names with their expected 128×128 fit (display orientation, ±1 px for libvips' rounding).
    static let expectedThumbnailSizes: [String: (Int, Int)] = [
        "dogs-window.jpg": (85, 128), "living-room-wine.jpg": (85, 128), "astronaut.jpg": (128, 128),
        "cat-chelsea.png": (128, 85), "coffee-cup.webp": (128, 85), "dandelions.jpg": (128, 72),
        "fig-bowl.jpg": (128, 87), "mountains-picos.jpg": (128, 96), "paint-brushes.jpg": (128, 101),
        "forest-stream.jpg": (128, 85), "rocket-launch-exif6.jpg": (128, 85), "sunset-exif8.jpg": (128, 85),
    ]

    static func sample(_ name: String) throws -> Data {
        try Data(contentsOf: samples.appendingPathComponent(name))
    }

    /// A fresh directory removed when the test's scope ends is not available in Swift Testing,
    /// so directories live under one per-process root that the OS cleans from /tmp.
    static func temporaryDirectory(_ label: String = "t") throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("annotate-tests-\(ProcessInfo.processInfo.processIdentifier)")
            .appendingPathComponent("\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A PNG whose header declares 60000×60000 pixels (3.6 GP) but holds almost no data.
    static func pngBomb(width: UInt32 = 60000, height: UInt32 = 60000) -> Data {
        png(width: width, height: height, colourType: 2, scanlines: [UInt8](repeating: 0, count: 5))
    }

    /// A small RGBA PNG filled with one colour.
    static func rgbaPNG(width: Int, height: Int, rgba: [UInt8]) -> Data {
        let row = [0] + Array([[UInt8]](repeating: rgba, count: width).joined())
        return png(width: UInt32(width), height: UInt32(height), colourType: 6, scanlines: Array([[UInt8]](repeating: row, count: height).joined()))
    }

    /// A PNG from raw scanlines in a stored (uncompressed) zlib stream; `scanlines` ≤ 65535 bytes.
    static func png(width: UInt32, height: UInt32, colourType: UInt8, bitDepth: UInt8 = 8, scanlines: [UInt8]) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            return bigEndian(UInt32(body.count)) + typed + bigEndian(crc32(typed))
        }
        let ihdr = bigEndian(width) + bigEndian(height) + [bitDepth, colourType, 0, 0, 0]
        let length = UInt16(scanlines.count)
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in scanlines {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        let idat: [UInt8] = [0x78, 0x01, 0x01] + littleEndian16(length) + littleEndian16(~length) + scanlines + bigEndian(b << 16 | a)
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", ihdr) + chunk("IDAT", idat) + chunk("IEND", []))
    }

    /// A JPEG cut off after `bytes` bytes: its header is intact, its pixel data is not.
    static func truncatedJPEG(bytes: Int = 20000) throws -> Data {
        try sample("dandelions.jpg").prefix(bytes)
    }

    /// Distinct JPEGs with the same pixels: a sample with a different trailer after its end marker.
    static func distinctCopies(of name: String, count: Int, into directory: URL) throws -> [URL] {
        let data = try sample(name)
        return try (0..<count).map { i in
            let url = directory.appendingPathComponent(String(format: "copy-%04d.jpg", i))
            try (data + Data("copy \(i)".utf8)).write(to: url)
            return url
        }
    }

    /// A JPEG with an EXIF block naming a camera and a date (built by hand: the samples have none).
    static func jpegWithEXIF(make: String, model: String, date: String) throws -> Data {
        let jpeg = try sample("astronaut.jpg")
        var entries: [(tag: UInt16, value: [UInt8])] = [
            (0x010F, Array(make.utf8) + [0]), (0x0110, Array(model.utf8) + [0]), (0x0132, Array(date.utf8) + [0]),
        ]
        entries.sort { $0.tag < $1.tag }
        // TIFF header (little endian) + one IFD with ASCII entries whose values follow the IFD.
        var tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00] + littleEndian32(8)
        var values: [UInt8] = []
        let valuesStart = 8 + 2 + entries.count * 12 + 4
        var ifd: [UInt8] = littleEndian16(UInt16(entries.count))
        for entry in entries {
            ifd += littleEndian16(entry.tag) + littleEndian16(2) + littleEndian32(UInt32(entry.value.count))
            ifd += littleEndian32(UInt32(valuesStart + values.count))
            values += entry.value
        }
        ifd += littleEndian32(0)
        tiff += ifd + values
        let app1Body = Array("Exif".utf8) + [0, 0] + tiff
        let app1: [UInt8] = [0xFF, 0xE1] + bigEndian16(UInt16(app1Body.count + 2)) + app1Body
        return Data([0xFF, 0xD8] + app1) + jpeg.dropFirst(2)
    }

    static func bigEndian(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)] }
    static func bigEndian16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xFF)] }
    static func littleEndian16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    static func littleEndian32(_ v: UInt32) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }

    private static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

extension Logger {
    /// A logger that drops everything, so test output shows only results.
    static let quiet = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
}
