import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateImaging
@testable import AnnotateKit
@testable import AnnotateMetadata
@testable import AnnotatePipeline
@testable import AnnotateStorage

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ImageFormatTests {
    @Test func recognisesEverySampleFromItsBytes() throws {
        #expect(ImageFormat(sniffing: try Fixtures.sample("astronaut.jpg")) == .jpeg)
        #expect(ImageFormat(sniffing: try Fixtures.sample("cat-chelsea.png")) == .png)
        #expect(ImageFormat(sniffing: try Fixtures.sample("coffee-cup.webp")) == .webp)
    }

    @Test func refusesTextEmptyAndLookalikes() {
        #expect(ImageFormat(sniffing: Data("hello, this is a note\n".utf8)) == nil)
        #expect(ImageFormat(sniffing: Data()) == nil)
        #expect(ImageFormat(sniffing: Data([0xFF, 0xD8])) == nil)
        #expect(ImageFormat(sniffing: Data("RIFF\0\0\0\0WAVEfmt ".utf8)) == nil)
        #expect(ImageFormat(sniffing: Data([0, 0, 0, 0x18] + Array("ftypmp42".utf8) + [0, 0, 0, 0])) == nil)
    }

    @Test func recognisesHEIFBrands() {
        #expect(ImageFormat(sniffing: Data([0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0])) == .heif)
        #expect(ImageFormat(sniffing: Data([0, 0, 0, 0x18] + Array("ftypavif".utf8) + [0, 0, 0, 0])) == .avif)
    }
}

@Suite struct FileNameTests {
    @Test(arguments: [
        ("cat.jpg", "cat.jpg"),
        ("My Holiday (1).JPG", "My_Holiday_1_.JPG"),
        ("../../etc/passwd", "passwd"),
        ("<img src=x onerror=alert(1)>.jpg", "img_src_x_onerror_alert_1_.jpg"),
        (".hidden.png", "hidden.png"),
        ("Café ☕ 東京.webp", "Café_東京.webp"),
        ("....", "image"),
        ("", "image"),
        ("a..b.jpg", "a_b.jpg"),
    ])
    func sanitises(input: String, expected: String) {
        #expect(FileName.sanitised(input) == expected)
    }

    @Test func keepsTheExtensionOfLongNames() {
        let name = String(repeating: "x", count: 300) + ".jpeg"
        let result = FileName.sanitised(name)
        #expect(result.count == 120)
        #expect(result.hasSuffix(".jpeg"))
    }
}

@Suite struct PathWalkerTests {
    @Test func walksRecursivelySkippingHiddenAndSpecialFilesAndLoops() throws {
        let root = try Fixtures.temporaryDirectory("walk")
        let manager = FileManager.default
        try manager.createDirectory(at: root.appendingPathComponent("a/b"), withIntermediateDirectories: true)
        try manager.createDirectory(at: root.appendingPathComponent(".hidden-dir"), withIntermediateDirectories: true)
        for path in ["top.jpg", "a/one.jpg", "a/b/two.jpg", ".hidden.jpg", ".hidden-dir/three.jpg"] {
            try Data("x".utf8).write(to: root.appendingPathComponent(path))
        }
        // A loop back to the root, a link to a file, a dangling link, a FIFO that would block a reader.
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("a/b/loop").path, withDestinationPath: root.path)
        try manager.createSymbolicLink(
            atPath: root.appendingPathComponent("link.jpg").path, withDestinationPath: root.appendingPathComponent("top.jpg").path)
        try manager.createSymbolicLink(atPath: root.appendingPathComponent("dangling.jpg").path, withDestinationPath: "/nonexistent/x.jpg")
        #expect(mkfifo(root.appendingPathComponent("fifo.jpg").path, 0o644) == 0)

        let (candidates, problems) = PathWalker.expand([root.path])
        let relative = candidates.map { String($0.path.dropFirst(root.path.count + 1)) }
        #expect(relative == ["a/b/two.jpg", "a/one.jpg", "link.jpg", "top.jpg"])
        #expect(candidates.allSatisfy { $0.origin == .walked })
        #expect(problems.isEmpty)
    }

    @Test func namedPathsAreNamedAndProblemsAreReported() throws {
        let root = try Fixtures.temporaryDirectory("named")
        let file = root.appendingPathComponent("x.jpg")
        try Data("x".utf8).write(to: file)
        let fifo = root.appendingPathComponent("pipe")
        #expect(mkfifo(fifo.path, 0o644) == 0)
        let (candidates, problems) = PathWalker.expand([file.path, root.appendingPathComponent("missing.jpg").path, fifo.path])
        #expect(candidates == [UploadCandidate(path: file.path, origin: .named)])
        #expect(problems.count == 2)
        #expect(problems.allSatisfy { $0.status == .rejected })
        #expect(problems[0].reason == "no such file or directory")
        #expect(problems[1].reason?.contains("not a regular file") == true)
    }
}

@Suite struct UploaderTests {
    func makeUploader(limits: IntakeLimits = .defaults) throws -> (Uploader, SQLiteMetadataStore, FileObjectStore) {
        let directory = try Fixtures.temporaryDirectory("upload")
        let metadata = try SQLiteMetadataStore(path: directory.appendingPathComponent("db.sqlite").path)
        let store = try FileObjectStore(root: directory.appendingPathComponent("objects"))
        return (Uploader(metadata: metadata, store: store, limits: limits, headers: try VipsHeaderReader(), logger: .quiet), metadata, store)
    }

    @Test func uploadsOnceAndRecognisesTheSameBytesAgain() async throws {
        let (uploader, metadata, store) = try makeUploader()
        let path = Fixtures.samples.appendingPathComponent("sunset-exif8.jpg").path
        let first = try await uploader.upload(UploadCandidate(path: path, origin: .named))
        #expect(first.status == .uploaded)
        let again = try await uploader.upload(UploadCandidate(path: path, origin: .walked))
        #expect(again.status == .duplicate)
        #expect(again.id == first.id)
        let record = try #require(try await metadata.record(id: first.id!))
        // Display size: the EXIF orientation 8 file is stored 683×1024 and shown 1024×683.
        #expect(record.width == 1024 && record.height == 683)
        #expect(record.contentType == "image/jpeg")
        #expect(record.originalKey.hasPrefix("uploads/") && record.originalKey.hasSuffix("-sunset-exif8.jpg"))
        #expect(try await store.get(ObjectKey(record.originalKey)) == (try Fixtures.sample("sunset-exif8.jpg")))
        #expect(record.annotationStatus == .pending && record.thumbnailStatus == .pending)
    }

    @Test func rejectsTheBombFromItsHeaderAndLeavesNothing() async throws {
        // Its cost (CPU time, memory) is checked on the binary in CLITests.theBombCostsNothing.
        let (uploader, metadata, store) = try makeUploader()
        let bomb = try Fixtures.temporaryDirectory("bomb").appendingPathComponent("bomb.png")
        try Fixtures.pngBomb().write(to: bomb)
        let result = try await uploader.upload(UploadCandidate(path: bomb.path, origin: .named))
        #expect(result.status == .rejected)
        #expect(result.reason?.contains("60000×60000") == true)
        #expect(result.reason?.contains("--max-pixels") == true)
        #expect(try await metadata.summary().total == 0)
        #expect(!FileManager.default.fileExists(atPath: store.root.appendingPathComponent("uploads").path))
    }

    @Test func sizeLimitIsCheckedBeforeReading() async throws {
        let (uploader, metadata, _) = try makeUploader(limits: IntakeLimits(maxBytes: 1000, maxPixels: 100_000_000))
        let result = try await uploader.upload(UploadCandidate(path: Fixtures.samples.appendingPathComponent("astronaut.jpg").path, origin: .named))
        #expect(result.status == .rejected)
        #expect(result.reason == "53177 bytes is over the --max-bytes limit of 1000")
        #expect(try await metadata.summary().total == 0)
    }

    @Test func nonImagesAreRejectedWhenNamedAndSkippedWhenWalked() async throws {
        let (uploader, metadata, _) = try makeUploader()
        let directory = try Fixtures.temporaryDirectory("bad")
        let text = directory.appendingPathComponent("notes.jpg")
        try Data("not an image".utf8).write(to: text)
        let empty = directory.appendingPathComponent("empty.jpg")
        try Data().write(to: empty)
        let named = try await uploader.upload(UploadCandidate(path: text.path, origin: .named))
        let walked = try await uploader.upload(UploadCandidate(path: text.path, origin: .walked))
        let emptyResult = try await uploader.upload(UploadCandidate(path: empty.path, origin: .named))
        #expect(named.status == .rejected)
        #expect(walked.status == .skipped)
        #expect(named.reason == walked.reason)
        #expect(emptyResult.status == .rejected && emptyResult.reason == "empty file")
        #expect(try await metadata.summary().total == 0)
    }

    @Test func concurrentUploadsOfTheSameBytesMakeOneRecord() async throws {
        let (uploader, metadata, _) = try makeUploader()
        let directory = try Fixtures.temporaryDirectory("same")
        let paths = try (0..<6).map { i -> String in
            let url = directory.appendingPathComponent("same-\(i).jpg")
            try Fixtures.sample("fig-bowl.jpg").write(to: url)
            return url.path
        }
        let results = try await uploader.upload(paths.map { UploadCandidate(path: $0, origin: .named) }, jobs: 6) { _ in }
        #expect(results.filter { $0.status == .uploaded }.count == 1)
        #expect(results.filter { $0.status == .duplicate }.count == 5)
        #expect(Set(results.compactMap(\.id)).count == 1)
        #expect(try await metadata.summary().total == 1)
    }
}
