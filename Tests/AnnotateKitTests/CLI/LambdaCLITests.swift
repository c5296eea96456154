import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit

/// `annotate lambda` as a function's `bootstrap` under AWS's own emulator: the bundle
/// (scripts/lambda-bundle.sh, as `make lambda-bundle` makes it) runs with LD_LIBRARY_PATH unset,
/// takes EventBridge, S3 and SQS-trigger events, answers SQS batches with only the messages to
/// redeliver, honours the deadline, and reports a bad configuration as an init error.
@Suite(.serialized) struct LambdaCLITests {
    let home: URL
    let binary: Binary

    init() throws {
        home = try Fixtures.temporaryDirectory("lambda")
        binary = Binary(home: home)
    }

    /// The function's environment: the same settings every subcommand reads.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        ["ANNOTATE_HOME": home.path, "ANNOTATE_ANNOTATOR": "metadata"].merging(extra) { _, new in new }
    }

    /// Puts a sample into the folder store under `uploads/`, as another system would.
    func place(_ sample: String, as name: String) throws {
        let directory = home.appendingPathComponent("objects/uploads", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Fixtures.sample(sample).write(to: directory.appendingPathComponent(name))
    }

    func place(data: Data, as name: String) throws {
        let directory = home.appendingPathComponent("objects/uploads", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try data.write(to: directory.appendingPathComponent(name))
    }

    func record(_ id: Int) throws -> [String: Any] {
        try #require(try binary.run(["status", "--json", "\(id)"]).json().first)
    }

    @Test func theBundleNeedsNothingButGlibcFromTheHost() throws {
        let bundle = LambdaEmulator.bundle
        let ldd = Process()
        ldd.executableURL = URL(fileURLWithPath: "/usr/bin/ldd")
        ldd.arguments = [bundle.appendingPathComponent("annotate").path]
        ldd.environment = ["LD_LIBRARY_PATH": bundle.appendingPathComponent("lib").path]
        let pipe = Pipe()
        ldd.standardOutput = pipe
        try ldd.run()
        let lines = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).split(separator: "\n")
        ldd.waitUntilExit()
        #expect(lines.count > 20)
        #expect(!lines.contains { $0.contains("not found") })
        let fromHost = lines.filter { $0.contains("=> /") && !$0.contains(bundle.path) }
        let glibc = ["libc.so", "libm.so", "libpthread.so", "libdl.so", "librt.so", "libresolv.so", "libutil.so"]
        #expect(fromHost.allSatisfy { line in glibc.contains { line.contains($0) } }, "\(fromHost)")
        let bootstrap = try String(contentsOf: bundle.appendingPathComponent("bootstrap"), encoding: .utf8)
        #expect(bootstrap.contains("exec \"$here/annotate\" lambda"))
    }

    @Test func eventBridgeAndS3EventsAreProcessedAndAnsweredWithASummary() async throws {
        try place("dogs-window.jpg", as: "dogs.jpg")
        try place("fig-bowl.jpg", as: "red flower.jpg")
        let function = try LambdaEmulator(bundle: LambdaEmulator.bundle, environment: environment())
        defer { function.stop() }

        let bridge = try await function.invoke(TestAWS.objectCreated(bucket: "any-bucket", key: "uploads/dogs.jpg"))
        #expect(bridge.status == 200, "\(bridge.text)\n\(function.logText)")
        let image = try #require((bridge.body["images"] as? [[String: Any]])?.first, "\(bridge.text)")
        #expect(image["annotation"] as? String == "completed" && image["thumbnail"] as? String == "completed")

        let records =
            #"{"Records": [{"eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/red+flower.jpg"}}}]}"#
        let s3 = try await function.invoke(records)
        #expect((s3.body["images"] as? [[String: Any]])?.first?["key"] as? String == "uploads/red flower.jpg", "\(s3.text)")
        // One line per invocation, with the request id and the outcome, on stderr (CloudWatch).
        #expect(
            function.logText.contains("annotate: lambda request ") && function.logText.contains("1 images, 2 tasks completed"), "\(function.logText)")
        #expect(try record(2)["thumbnail_status"] as? String == "completed")
    }

    @Test func anSQSBatchRedeliversOnlyWhatCanStillSucceed() async throws {
        try place("dogs-window.jpg", as: "good.jpg")
        try place(data: try Fixtures.truncatedJPEG(), as: "broken.jpg")
        let function = try LambdaEmulator(bundle: LambdaEmulator.bundle, environment: environment())
        defer { function.stop() }
        let event = sqsTriggerEvent([
            TestAWS.objectCreated(bucket: "b", key: "uploads/good.jpg"),
            TestAWS.objectCreated(bucket: "b", key: "uploads/broken.jpg"),
            "not an event at all",
            #"{"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "b"}"#,
        ])
        let answer = try await function.invoke(event)
        #expect(answer.status == 200, "\(answer.text)")
        // Only the unreadable message comes back; the broken image failed for good and is recorded so.
        let failures = try #require(answer.body["batchItemFailures"] as? [[String: String]], "\(answer.text)")
        #expect(failures == [["itemIdentifier": "m2"]])
        let statuses = try binary.run(["status", "--json", "1", "2"]).json()
        let broken = try #require(statuses.first { ($0["filename"] as? String) == "broken.jpg" })
        #expect(broken["thumbnail_status"] as? String == "failed")
        let good = try #require(statuses.first { ($0["filename"] as? String) == "good.jpg" })
        #expect(good["annotation_status"] as? String == "completed")
    }

    @Test func anUnreachableAnnotationAPIListsItsMessageForRedelivery() async throws {
        try place("dogs-window.jpg", as: "good.jpg")
        let offline = environment([
            "ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": "k-123456", "GEMINI_BASE_URL": "http://127.0.0.1:\(unusedLoopbackPort())",
        ])
        let function = try LambdaEmulator(bundle: LambdaEmulator.bundle, environment: offline)
        defer { function.stop() }
        let answer = try await function.invoke(sqsTriggerEvent([TestAWS.objectCreated(bucket: "b", key: "uploads/good.jpg")]))
        #expect(answer.body["batchItemFailures"] as? [[String: String]] == [["itemIdentifier": "m0"]], "\(answer.text)\n\(function.logText)")
        let image = try record(1)
        // Nothing left leased: the thumbnail finished, or was released when the run stopped for the API.
        #expect(image["annotation_status"] as? String == "pending" && image["thumbnail_status"] as? String != "processing", "\(image)")
    }

    @Test func theDeadlineReleasesWhatIsRunningAndReportsIt() async throws {
        try place("dogs-window.jpg", as: "slow.jpg")
        let fake = try FakeGemini(script: [.slow(60)])
        defer { fake.stop() }
        let slow = environment(["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL])
        let function = try LambdaEmulator(bundle: LambdaEmulator.bundle, environment: slow, timeout: 5)
        defer { function.stop() }
        let answer = try await function.invoke(sqsTriggerEvent([TestAWS.objectCreated(bucket: "b", key: "uploads/slow.jpg")]))
        // Answered by the function before the platform's 5 s ran out (the emulator would answer
        // "Task timed out after 5.00 seconds" and kill it), whatever the cold start took.
        #expect(answer.body["batchItemFailures"] as? [[String: String]] == [["itemIdentifier": "m0"]], "\(answer.text)\n\(function.logText)")
        #expect(!answer.text.contains("timed out") && !function.logText.contains("Task timed out"))
        #expect(function.logText.contains("stopped by the deadline"))
        // Nothing left leased: the annotation is pending again, for the redelivery.
        let image = try record(1)
        #expect(image["annotation_status"] as? String == "pending", "\(image)")
    }

    @Test func aBadConfigurationIsAnInitErrorTheInvokerSees() async throws {
        let function = try LambdaEmulator(bundle: LambdaEmulator.bundle, environment: environment(["TARGET_WIDTH": "wide"]))
        defer { function.stop() }
        let answer = try await function.invoke(TestAWS.objectCreated(bucket: "b", key: "uploads/x.jpg"))
        #expect(answer.status == 502, "\(answer.text)")
        #expect(answer.body["errorType"] as? String == "Runtime.ConfigInvalid", "\(answer.text)")
        #expect((answer.body["errorMessage"] as? String ?? "").contains("TARGET_WIDTH"), "\(answer.text)")
    }

    @Test func anUnreachableDatabaseIsAnInitErrorWithoutThePassword() async throws {
        let database = "mysql://annotate:s3cret-Pa55@127.0.0.1:\(unusedLoopbackPort())/annotate"
        let function = try LambdaEmulator(bundle: LambdaEmulator.bundle, environment: environment(["ANNOTATE_DB": database]))
        defer { function.stop() }
        let answer = try await function.invoke(TestAWS.objectCreated(bucket: "b", key: "uploads/x.jpg"))
        #expect(answer.status == 502, "\(answer.text)")
        #expect(answer.body["errorType"] as? String == "Runtime.DependencyUnavailable", "\(answer.text)")
        #expect((answer.body["errorMessage"] as? String ?? "").contains("127.0.0.1"), "\(answer.text)")
        #expect(!answer.text.contains("s3cret-Pa55") && !function.logText.contains("s3cret-Pa55"))
    }
}
