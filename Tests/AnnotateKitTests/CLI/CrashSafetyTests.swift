import Foundation
import Testing

@testable import AnnotateKit

#if canImport(Glibc)
import Glibc
#endif

extension MariaDBServerSuites {
    /// SIGKILL at random moments of `upload` and `process`, again and again, on each backend:
    /// after each kill a rerun leaves everything consistent — every image completed (or failed with
    /// a reason), every record with its object, every original with its record, nothing stuck in
    /// `processing`, one thumbnail per image.
    @Suite struct CrashSafetyTests {
        static let rounds = 20

        @Test(arguments: Backend.allCases) func killedRunsAlwaysLeaveAConsistentState(_ backend: Backend) async throws {
            let database = try backend.makeDatabase()
            var binary = Binary(home: try Fixtures.temporaryDirectory("crash-\(backend.rawValue)"))
            binary.environment["ANNOTATE_DB"] = database.url
            let objects = binary.home.appendingPathComponent("objects")
            var generator = SystemRandomNumberGenerator()
            var total = 0
            for round in 0..<Self.rounds {
                let folder = try Fixtures.temporaryDirectory("crash-round")
                let batch = try (0..<8).map { n in
                    let url = folder.appendingPathComponent("r\(round)-\(n).jpg")
                    try (Fixtures.sample(n % 2 == 0 ? "rocket-launch-exif6.jpg" : "sunset-exif8.jpg") + Data("round \(round) copy \(n)".utf8)).write(
                        to: url)
                    return url.path
                }
                total += batch.count
                // Kill an upload somewhere in its life, then run it again to the end.
                let upload = binary.start(["upload", "--jobs", "2", "--lease", "2s"] + batch)
                usleep(UInt32.random(in: 20_000...400_000, using: &generator))
                kill(upload.process.processIdentifier, SIGKILL)
                _ = upload.finish()
                let reupload = try binary.run(["upload"] + batch)
                #expect(reupload.status == 0, "round \(round): \(reupload.stderr)")
                // Kill a process run likewise; the rerun takes over its tasks once the lease ends.
                let process = binary.start(["process", "--lease", "1s", "--jobs", "2"])
                usleep(UInt32.random(in: 20_000...600_000, using: &generator))
                kill(process.process.processIdentifier, SIGKILL)
                _ = process.finish()
                usleep(1_100_000)
                let rerun = try binary.run(["process", "--lease", "1s"])
                #expect(rerun.status == 0, "round \(round): \(rerun.stderr)")
            }

            let store = try database.open()
            let records = try await store.allRecords(filter: .all)
            #expect(records.count == total)
            for record in records {
                #expect(
                    record.annotationStatus == .completed && record.thumbnailStatus == .completed,
                    "#\(record.id): \(record.annotationStatus) \(record.annotationError ?? "") / \(record.thumbnailStatus) \(record.thumbnailError ?? "")"
                )
                #expect(
                    FileManager.default.fileExists(atPath: objects.appendingPathComponent(record.originalKey).path),
                    "#\(record.id) without its object")
            }
            let originals = try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent("uploads").path)
            let thumbnails = try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent("thumbnails").path)
            #expect(Set(originals.map { "uploads/\($0)" }) == Set(records.map(\.originalKey)), "an original without a record")
            #expect(thumbnails.count == records.count, "one thumbnail per image")
            #expect(
                try FileManager.default.contentsOfDirectory(atPath: objects.appendingPathComponent(".incoming").path).isEmpty,
                "the killed writers' temporary files are gone")
        }
    }
}
