import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import AnnotateKit

/// The whole application on an ephemeral port with its in-process worker: an upload is
/// processed at once (the worker is woken, not polled) and its thumbnail is then served.
@Suite struct WebLiveTests {
    @Test func anUploadIsProcessedInProcessAndServed() async throws {
        let web = try WebFixture(flags: [.port: "0"])
        var options = web.components.pipelineOptions()
        options.jobs = 1
        options.pollInterval = .seconds(30)  // so only the upload's wake-up can explain a quick finish
        let worker = InProcessWorker(pipeline: try web.components.pipeline(), options: options, app: web.app, logger: .quiet)
        let application = web.app.application(services: [worker])
        try await application.test(.live) { client in
            // Let the worker go idle first.
            try await Task.sleep(for: .milliseconds(300))
            let started = ContinuousClock.now
            let answer = try await client.upload([("sunset.jpg", try Fixtures.sample("sunset-exif8.jpg"))])
            #expect(answer.status == .ok)
            var record: [String: Any] = [:]
            while ContinuousClock.now - started < .seconds(20) {
                record = try await client.execute(uri: "/api/images/1", method: .get).json()
                if record["thumbnail_status"] as? String == "completed" && record["annotation_status"] as? String == "completed" { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(record["thumbnail_status"] as? String == "completed", "\(record)")
            #expect(ContinuousClock.now - started < .seconds(10), "the upload woke the worker instead of waiting for a 30 s poll")
            let thumbnail = try await client.execute(uri: "/media/1/thumbnail", method: .get)
            #expect(thumbnail.status == .ok)
            // EXIF orientation 8: the stored thumbnail is upright (landscape 128 wide).
            let header = try Vips.probe(Data(buffer: thumbnail.body))
            #expect(header.width == 128 && header.height < 128)
            let metrics = try await client.execute(uri: "/metrics", method: .get)
            #expect(metrics.text.contains("annotate_annotation_duration_seconds_count 1"), "\(metrics.text)")
        }
    }
}
