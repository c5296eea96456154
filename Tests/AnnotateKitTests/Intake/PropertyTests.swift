import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotatePipeline

/// Property tests over many generated inputs — the bounded fuzzing CI runs: type sniffing, file-name
/// sanitising and S3 event parsing must never crash and must keep their promises, whatever the bytes.
/// The generator is seeded, so a failure prints a case that reproduces.
@Suite struct PropertyTests {
    /// SplitMix64: small, fast and reproducible.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let iterations = 20_000

    /// Pieces names are made of: path tricks, controls, dots, wide and combining characters.
    static let pieces: [String] = [
        "../", "..", ".", "/", "\\", "\0", "\n", "\t", "\u{7F}", " ", "a", "Z", "9", "-", "_", "+", "%",
        "é", "e\u{301}", "東京", "👩‍👩‍👧‍👦", "🏳️‍🌈", "\u{202E}", "\u{200B}", "Ω", ".jpg", ".JPEG", ".tar.gz", "~", "$", "'", "\"",
    ]

    @Test func sanitisedNamesAreAlwaysSafeKeyParts() throws {
        var random = Generator(state: 0xA11CE)
        for _ in 0..<Self.iterations {
            let name = (0..<Int.random(in: 0...250, using: &random)).map { _ in Self.pieces.randomElement(using: &random)! }.joined()
            let clean = FileName.sanitised(name)
            #expect(!clean.isEmpty && !clean.hasPrefix(".") && !clean.contains("/") && !clean.contains("\\"), "\(name.debugDescription)")
            #expect(!clean.contains(".."), "\(name.debugDescription) → \(clean.debugDescription)")
            #expect(
                clean.unicodeScalars.allSatisfy { !$0.properties.isWhitespace && $0.value >= 0x20 && $0.value != 0x7F && $0 != "\u{202E}" },
                "\(name.debugDescription) → \(clean.debugDescription)")
            #expect(clean.count <= 120 && clean.utf8.count <= 480, "\(name.debugDescription) → \(clean.utf8.count) bytes")
            let key = try ObjectKey.original(sha256: String(repeating: "ab", count: 32), fileName: name)
            #expect(key.rawValue.hasPrefix("uploads/abababababababab-"))
        }
    }

    @Test func sniffingNeverCrashesAndOnlyClaimsRealSignatures() throws {
        var random = Generator(state: 0x5EED)
        let samples = try ["astronaut.jpg", "cat-chelsea.png", "coffee-cup.webp"].map { Array(try Fixtures.sample($0).prefix(64)) }
        for _ in 0..<Self.iterations {
            var bytes: [UInt8]
            if Bool.random(using: &random) {
                bytes = (0..<Int.random(in: 0...48, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            } else {
                // A real header with a few bytes flipped, or cut short.
                bytes = samples.randomElement(using: &random)!
                for _ in 0..<Int.random(in: 0...3, using: &random) where !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            }
            switch ImageFormat(sniffing: Data(bytes)) {
            case .jpeg?: #expect(bytes.starts(with: [0xFF, 0xD8, 0xFF]))
            case .png?: #expect(bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            case .webp?: #expect(bytes.starts(with: Array("RIFF".utf8)) && Array(bytes[8..<12]) == Array("WEBP".utf8))
            case .gif?: #expect(bytes.starts(with: Array("GIF8".utf8)))
            case .tiff?: #expect(bytes.starts(with: [0x49, 0x49, 0x2A, 0x00]) || bytes.starts(with: [0x4D, 0x4D, 0x00, 0x2A]))
            case .heif?, .avif?: #expect(bytes.count >= 12 && Array(bytes[4..<8]) == Array("ftyp".utf8))
            case nil: break
            }
        }
    }

    @Test func eventParsingNeverCrashesOnMutatedEvents() {
        var random = Generator(state: 0xE7E7)
        let seeds = [
            #"{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/a+b%20c.jpg", "size": 5}}}]}"#,
            #"{"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {"name": "b"}, "object": {"key": "k.jpg"}}}"#,
            #"{"Type": "Notification", "Message": "{\"Records\": []}"}"#,
        ].map { Array($0.utf8) }
        let alphabet = Array(#"{}[]":,.+%0123456789abcdefObjectCreated Records s3 key \"#.utf8)
        for _ in 0..<Self.iterations {
            var bytes = seeds.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
                let at = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[at] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: at)
                default: bytes.insert(alphabet.randomElement(using: &random)!, at: at)
                }
            }
            do {
                for object in try S3Event.createdObjects(in: Data(bytes)) {
                    #expect(!object.key.isEmpty && !object.bucket.isEmpty, "\(String(decoding: bytes, as: UTF8.self))")
                }
            } catch is S3Event.EventError {
                // Refused with a reason: fine.
            } catch {
                Issue.record("unexpected \(error) for \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }
}
