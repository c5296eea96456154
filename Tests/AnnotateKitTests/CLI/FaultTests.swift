import Foundation
import Testing

@testable import AnnotateKit

#if canImport(Glibc)
import Glibc
#endif

/// Faults from outside: a full disk under the file store, and an annotation API in a 429 storm.
/// Clear errors, nothing lost, and a rerun completes.
@Suite struct FaultTests {
    /// A full disk needs a small file system of its own: a tmpfs, which only root may mount (CI runs as root).
    @Test(.enabled(if: getuid() == 0, "mounting a small tmpfs needs root"))
    func aFullDiskFailsFilesClearlyAndARerunCompletes() throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("full-disk"))
        let objects = binary.home.appendingPathComponent("objects")
        try FileManager.default.createDirectory(at: objects, withIntermediateDirectories: true)
        try mount(objects.path, size: "1m")
        defer { _ = umount2(objects.path, Int32(MNT_DETACH)) }

        let copies = try Fixtures.distinctCopies(of: "paint-brushes.jpg", count: 12, into: try Fixtures.temporaryDirectory("full-copies"))
        let upload = try binary.run(["upload", "--json", "--jobs", "1"] + copies.map(\.path))
        #expect(upload.status == 1)
        let lines = try upload.json()
        let rejected = lines.filter { $0["status"] as? String == "rejected" }
        let uploaded = lines.filter { $0["status"] as? String == "uploaded" }
        #expect(!rejected.isEmpty && !uploaded.isEmpty, "the disk must fill mid-batch")
        #expect(rejected.allSatisfy { ($0["reason"] as? String ?? "").contains("No space left on device") }, "\(rejected)")
        // Records only for objects that were written whole.
        let records = try binary.run(["status", "--json"] + (1...12).map(String.init)).json()
        #expect(records.count == uploaded.count)
        for record in records {
            let path = objects.appendingPathComponent(record["s3_key_original"] as? String ?? "").path
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count > 200_000)
        }
        // Thumbnails cannot be written either: transient, so they wait for another attempt.
        _ = try binary.run(["process", "--only", "thumbnail", "--max-attempts", "1"])

        try mount(objects.path, size: "64m", remount: true)
        #expect(try binary.run(["upload"] + copies.map(\.path)).status == 0)
        #expect(try binary.run(["process", "--retry-failed"]).status == 0)
        let summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect((summary["thumbnail"] as? [String: Int])?["completed"] == 12)
        #expect(try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent(".incoming").path).isEmpty)
    }

    func mount(_ path: String, size: String, remount: Bool = false) throws {
        let flags = remount ? UInt(MS_REMOUNT) : 0
        guard Glibc.mount("tmpfs", path, "tmpfs", flags, "size=\(size)") == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EPERM)
        }
    }

    @Test func aRateLimitStormIsWaitedOutAndEveryImageCompletes() throws {
        let storm = Array(repeating: FakeGemini.Behavior.rateLimited(retryDelay: "0.3s", daily: false), count: 9)
        let fake = try FakeGemini(script: storm)
        var binary = Binary(home: try Fixtures.temporaryDirectory("storm"))
        binary.environment = ["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]
        let copies = try Fixtures.distinctCopies(of: "astronaut.jpg", count: 3, into: try Fixtures.temporaryDirectory("storm-copies"))
        #expect(try binary.run(["upload"] + copies.map(\.path)).status == 0)
        let run = try binary.run(["process", "--json", "--annotation-jobs", "3", "--max-attempts", "5"])
        #expect(run.status == 0, "\(run.stderr)")
        let summary = try #require(try run.json().last?["summary"] as? [String: Any])
        #expect(summary["failed"] as? Int == 0)
        #expect(summary["retried"] as? Int == 9)
        #expect(fake.requests == 12)
    }
}
