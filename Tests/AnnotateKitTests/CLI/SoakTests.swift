import Foundation
import Testing

@testable import AnnotateKit
@testable import AnnotateMetadata

#if canImport(Glibc)
import Glibc
#endif

/// A long-running watcher fed 20,000 tiny images while it runs (in ten batches): memory stays
/// flat after warm-up and every image is done exactly once. About 3.5 minutes on two cores;
/// ANNOTATE_SOAK_IMAGES=2000 makes a quick run while iterating.
@Suite struct SoakTests {
    static let images = Int(ProcessInfo.processInfo.environment["ANNOTATE_SOAK_IMAGES"] ?? "") ?? 20_000
    static let batches = 10

    /// Resident memory of a running process, from /proc, in MB.
    static func residentMB(_ pid: Int32) -> Double? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "")
        else { return nil }
        return kilobytes / 1024
    }

    @Test func aWatcherFedThousandsOfImagesStaysFlatAndDoesEachOnce() async throws {
        let binary = Binary(home: try Fixtures.temporaryDirectory("soak"))
        let watcher = binary.start(["process", "--watch", "--jobs", "2", "--annotation-jobs", "4"])
        let pid = watcher.process.processIdentifier
        var samples: [Double] = []
        let perBatch = Self.images / Self.batches
        for batch in 0..<Self.batches {
            let folder = try Fixtures.temporaryDirectory("soak-\(batch)")
            for n in 0..<perBatch {
                let value = batch * perBatch + n
                // 2×2 RGBA: the index spread over the pixel bytes makes every file distinct.
                let bytes: [UInt8] = (0..<16).map { (index: Int) -> UInt8 in
                    let nibble = (value >> ((index % 4) * 4)) & 0xF
                    return UInt8(nibble * 16 + index)
                }
                let scanlines = [0] + bytes[0..<8] + [0] + bytes[8..<16]
                try Fixtures.png(width: 2, height: 2, colourType: 6, scanlines: Array(scanlines)).write(
                    to: folder.appendingPathComponent("\(value).png"))
            }
            let upload = try binary.run(["upload", "--jobs", "2", folder.path], timeout: 300)
            #expect(upload.status == 0, "\(upload.stderr)")
            if let rss = Self.residentMB(pid) { samples.append(rss) }
        }
        let deadline = Date().addingTimeInterval(600)
        while Date() < deadline {
            if let rss = Self.residentMB(pid) { samples.append(rss) }
            let summary = try binary.run(["status", "--json"]).json().first
            if (summary?["thumbnail"] as? [String: Int])?["completed"] == Self.images,
                (summary?["annotation"] as? [String: Int])?["completed"] == Self.images
            {
                break
            }
            if let failed = summary?["annotation"] as? [String: Int], (failed["failed"] ?? 0) > 0 { break }
            usleep(500_000)
        }
        kill(pid, SIGTERM)
        let result = watcher.finish()
        #expect(result.status == 0, "\(result.stderr)")

        let store = try SQLiteMetadataStore(path: binary.home.appendingPathComponent("annotate.db").path)
        let records = try await store.allRecords(filter: .all)
        #expect(records.count == Self.images)
        #expect(records.allSatisfy { $0.annotationStatus == .completed && $0.thumbnailStatus == .completed })
        #expect(records.allSatisfy { $0.annotationAttempts == 1 && $0.thumbnailAttempts == 1 }, "every image done once")
        // Flat: after the first quarter of the run, resident memory grows by less than 50 MB.
        let warm = samples[samples.count / 4]
        let peak = samples.max() ?? 0
        #expect(peak - warm < 50, "RSS after warm-up \(warm) MB, peak \(peak) MB; samples \(samples.map { Int($0) })")
    }
}
