import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AnnotateImaging
@testable import AnnotateKit
@testable import AnnotatePipeline
@testable import AnnotateWeb

/// The application with its in-process worker running beside it: an upload is processed at once
/// (the upload wakes the worker; it does not wait for a poll) and its thumbnail is then served.
/// (The live tests on ephemeral ports are in ServeCLITests: real `serve` processes, real HTTP.
/// This one stays in-process, where a busy test host cannot trip a client timeout.)
@Suite struct WebLiveTests {
    @Test func anUploadWakesTheInProcessWorkerAndIsServed() async throws {
        let web = try WebFixture()
        var options = web.components.pipelineOptions()
        options.jobs = 1
        // No poll within the test's time: only the upload's wake-up can get the image processed.
        // (No tight time bound either: on a busy test host everything in-process is slow.)
        options.pollInterval = .seconds(3600)
        options.maxPollInterval = .seconds(3600)
        let worker = InProcessWorker(pipeline: try web.components.pipeline(), options: options, app: web.app, logger: .quiet)
        let stop = StopSignal()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run(stoppingOn: stop) }
            try await web.test { client in
                try await Task.sleep(for: .milliseconds(300))  // let the worker go idle first
                let started = ContinuousClock.now
                let answer = try await client.upload([("sunset.jpg", try Fixtures.sample("sunset-exif8.jpg"))])
                #expect(answer.status == .ok)
                var record: [String: Any] = [:]
                while ContinuousClock.now - started < .seconds(600) {
                    record = try await client.execute(uri: "/api/images/1", method: .get).json()
                    if record["thumbnail_status"] as? String == "completed" && record["annotation_status"] as? String == "completed" { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                #expect(record["thumbnail_status"] as? String == "completed", "\(record)")
                #expect(ContinuousClock.now - started < .seconds(600), "the upload woke the worker; no poll was due for an hour")
                let thumbnail = try await client.execute(uri: "/media/1/thumbnail", method: .get)
                #expect(thumbnail.status == .ok)
                // EXIF orientation 8: the stored thumbnail is upright (landscape 128 wide).
                let header = try Vips.probe(Data(buffer: thumbnail.body))
                #expect(header.width == 128 && header.height < 128)
                let metrics = try await client.execute(uri: "/metrics", method: .get)
                #expect(metrics.text.contains("annotate_annotation_duration_seconds_count 1"), "\(metrics.text)")
            }
            stop.request()
            try await group.waitForAll()
        }
    }
}
