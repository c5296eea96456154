import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateStorage

#if canImport(Glibc)
import Glibc
#endif

/// `process --queue` against moto's SQS, with S3 notifications and EventBridge delivering the
/// events as they would on AWS, the originals in moto's S3 and the records in SQLite or MariaDB.
/// Serialized: the kill and redelivery timings must not compete with each other for two cores.
@Suite(.serialized) struct QueueCLITests {
    /// A binary whose originals store is a fresh moto bucket; `queue` is the work queue.
    func binary(bucket: String, database: String? = nil) throws -> Binary {
        var binary = Binary(home: try Fixtures.temporaryDirectory("queue"))
        binary.environment = try TestAWS.environment()
        binary.environment["ANNOTATE_STORE"] = "s3://\(bucket)"
        if let database { binary.environment["ANNOTATE_DB"] = database }
        return binary
    }

    func putImages(_ count: Int, into store: S3ObjectStore, prefix: String = "uploads/photo") async throws -> [String] {
        let copies = try Fixtures.distinctCopies(of: "dogs-window.jpg", count: count, into: try Fixtures.temporaryDirectory("queue-images"))
        var keys: [String] = []
        for (index, copy) in copies.enumerated() {
            let key = "\(prefix) \(index).jpg"
            try await store.put(try Data(contentsOf: copy), at: try ObjectKey(key), contentType: "image/jpeg")
            keys.append(key)
        }
        return keys
    }

    func tasks(_ result: Binary.Result) throws -> [[String: Any]] {
        try result.json().filter { $0["task"] != nil }
    }

    func summary(_ result: Binary.Result) throws -> [String: Any] {
        try #require(try result.json().last?["summary"] as? [String: Any])
    }

    @Test func fiftyImagesThroughS3NotificationsEachCompletedOnceOnMariaDB() async throws {
        let (bucket, store) = try await TestAWS.freshBucket()
        let (queue, _) = try await TestAWS.freshQueue()
        try await TestAWS.notify(bucket: bucket, queue: queue)
        _ = try await putImages(50, into: store)
        // A thumbnail written into the same bucket raises no work (the notification's prefix, and the layout).
        try await store.put(try Fixtures.sample("fig-bowl.jpg"), at: try ObjectKey("thumbnails/photo 0.jpg"), contentType: "image/jpeg")
        let database = TestDatabases.url(try TestDatabases.freshMariaDB())
        let binary = try binary(bucket: bucket, database: database)

        let run = try binary.run(["process", "--json", "--queue", queue, "--queue-wait", "2s"], timeout: 300)
        #expect(run.status == 0, "\(run.stderr)")
        let lines = try tasks(run)
        #expect(lines.count == 100 && lines.allSatisfy { $0["status"] as? String == "completed" }, "\(run.stdout)")
        // Each task once: no (id, task) pair twice.
        #expect(Set(lines.map { "\($0["id"] ?? "")/\($0["task"] ?? "")" }).count == 100)
        let messages = try #require(try summary(run)["messages"] as? [String: Int])
        #expect(messages["deleted"] == 51, "50 objects and S3's test event: \(messages)")
        #expect(try await TestAWS.messageCount(queue) == 0)
        let status = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(status["total"] as? Int == 50)
        #expect((status["annotation"] as? [String: Int])?["completed"] == 50 && (status["thumbnail"] as? [String: Int])?["completed"] == 50)
    }

    @Test func anEventBridgeRuleFeedsTheQueueAndADuplicateDeliveryRunsNothingTwice() async throws {
        let (bucket, store) = try await TestAWS.freshBucket()
        let (queue, _) = try await TestAWS.freshQueue()
        try await TestAWS.notifyThroughEventBridge(bucket: bucket, queue: queue)
        let keys = try await putImages(3, into: store)
        try await store.put(try Fixtures.sample("fig-bowl.jpg"), at: try ObjectKey("thumbnails/x.jpg"), contentType: "image/jpeg")
        let binary = try binary(bucket: bucket)

        let first = try binary.run(["process", "--json", "--queue", queue, "--queue-wait", "2s"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try tasks(first).count == 6, "\(first.stdout)")
        #expect(try summary(first)["messages"] as? [String: Int] == ["deleted": 3, "redelivered": 0, "refused": 0])

        // The same event again (SQS delivers at least once): found done, deleted, nothing runs.
        try await TestAWS.sendMessage(queue, TestAWS.objectCreated(bucket: bucket, key: keys[0]))
        let again = try binary.run(["process", "--json", "--queue", queue, "--queue-wait", "1s"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try tasks(again).isEmpty)
        #expect((try summary(again)["messages"] as? [String: Int])?["deleted"] == 1)
        #expect(try await TestAWS.messageCount(queue) == 0)
        #expect(try binary.run(["status", "--json"]).json().first?["total"] as? Int == 3)
    }

    @Test func aWorkerKilledMidBatchLeavesItsMessagesToAnother() async throws {
        let (bucket, store) = try await TestAWS.freshBucket()
        let (queue, _) = try await TestAWS.freshQueue()
        let keys = try await putImages(6, into: store)
        for key in keys { try await TestAWS.sendMessage(queue, TestAWS.objectCreated(bucket: bucket, key: key)) }
        let fake = try FakeGemini(script: Array(repeating: .slow(30), count: 6))
        defer { fake.stop() }
        var slow = try binary(bucket: bucket)
        slow.environment.merge(["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]) { _, new in new }
        // Short leases: the messages' visibility follows --lease, so a vanished worker's work reappears soon.
        let worker = slow.start(["process", "--json", "--queue", queue, "--lease", "3s", "--queue-wait", "1s"])
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, fake.requests < 6 { usleep(50_000) }
        #expect(fake.requests == 6, "the worker must be mid-batch when it is killed")
        kill(worker.process.processIdentifier, SIGKILL)
        _ = worker.finish()

        var other = slow
        other.environment["ANNOTATE_ANNOTATOR"] = "metadata"
        let rerun = try other.run(["process", "--json", "--queue", queue, "--lease", "3s", "--queue-wait", "10s"], timeout: 120)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        let status = try #require(try other.run(["status", "--json"]).json().first)
        #expect((status["annotation"] as? [String: Int])?["completed"] == 6, "\(rerun.stdout)\n\(rerun.stderr)")
        #expect((status["thumbnail"] as? [String: Int])?["completed"] == 6)
        #expect(try await TestAWS.messageCount(queue) == 0)
    }

    @Test func aWatcherKeepsItsMessagesHiddenAndReleasesThemWhenStopped() async throws {
        let (bucket, store) = try await TestAWS.freshBucket()
        let (queue, _) = try await TestAWS.freshQueue()
        let keys = try await putImages(1, into: store)
        try await TestAWS.sendMessage(queue, TestAWS.objectCreated(bucket: bucket, key: keys[0]))
        let fake = try FakeGemini(script: [.slow(60)])
        defer { fake.stop() }
        var binary = try binary(bucket: bucket)
        binary.environment.merge(["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]) { _, new in new }
        let worker = binary.start(["process", "--json", "--queue", queue, "--watch", "--lease", "2s", "--grace", "1s", "--queue-wait", "1s"])
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, fake.requests < 1 { usleep(50_000) }
        // Well past the 2 s visibility it was received with, the message is still hidden: renewed while worked on.
        sleep(4)
        let peek = try await TestAWS.call("sqs", "AmazonSQS.ReceiveMessage", ["QueueUrl": queue, "WaitTimeSeconds": 0, "VisibilityTimeout": 0])
        #expect((peek["Messages"] as? [Any] ?? []).isEmpty, "\(peek)")
        #expect(worker.process.isRunning)

        kill(worker.process.processIdentifier, SIGTERM)
        let result = worker.finish()
        #expect(result.status == 0, "\(result.stderr)")
        // Released: back in the queue at once (visibility 0), for another worker.
        let released = try await TestAWS.call("sqs", "AmazonSQS.ReceiveMessage", ["QueueUrl": queue, "WaitTimeSeconds": 0])
        #expect((released["Messages"] as? [Any] ?? []).count == 1, "\(released)")
        let status = try #require(try binary.run(["status", "--json", "1"]).json().first)
        #expect(status["annotation_status"] as? String == "pending" && status["thumbnail_status"] as? String == "completed")
    }

    @Test func aPoisonMessageReachesTheDeadLetterQueueAndTheRestGoesOn() async throws {
        let (bucket, store) = try await TestAWS.freshBucket()
        let (queue, deadLetters) = try await TestAWS.freshQueue(maxReceiveCount: 2)
        let keys = try await putImages(1, into: store)
        try await TestAWS.sendMessage(queue, "this is not an S3 event")
        try await TestAWS.sendMessage(queue, TestAWS.objectCreated(bucket: bucket, key: keys[0]))
        let binary = try binary(bucket: bucket)

        let run = try binary.run(["process", "--json", "--queue", queue, "--queue-wait", "5s"], timeout: 120)
        // The readable message completed; the unreadable one is reported (exit 1) and was handed
        // back until the queue's redrive policy moved it aside — never deleted by the worker.
        #expect(run.status == 1, "\(run.stderr)")
        #expect(try tasks(run).count == 2)
        #expect(run.stderr.contains("not an S3 event"), "\(run.stderr)")
        // The queue moves it on the receive after its last allowed one: the next pass's.
        let next = try binary.run(["process", "--json", "--queue", queue, "--queue-wait", "1s"])
        #expect(try next.status == 0 && tasks(next).isEmpty, "\(next.stderr)")
        #expect(try await TestAWS.messageCount(queue) == 0)
        #expect(try await TestAWS.messageCount(try #require(deadLetters)) == 1)
    }

    @Test func anUnreachableAnnotationAPIExits69AndTheMessageStaysQueued() async throws {
        let (bucket, store) = try await TestAWS.freshBucket()
        let (queue, _) = try await TestAWS.freshQueue()
        let keys = try await putImages(1, into: store)
        try await TestAWS.sendMessage(queue, TestAWS.objectCreated(bucket: bucket, key: keys[0]))
        var binary = try binary(bucket: bucket)
        binary.environment.merge([
            "ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": "k-123456", "GEMINI_BASE_URL": "http://127.0.0.1:\(unusedLoopbackPort())",
        ]) { _, new in new }
        let run = try binary.run(["process", "--json", "--queue", queue, "--queue-wait", "1s"])
        #expect(run.status == 69 && run.stderr.contains("unreachable"), "\(run.stderr)")
        #expect(try await TestAWS.messageCount(queue) == 1, "the message waits for the API to come back")
        // Nothing left leased: the annotation waits, and the thumbnail either finished or was released with it.
        let record = try #require(try binary.run(["status", "--json", "1"]).json().first)
        #expect(record["annotation_status"] as? String == "pending" && record["thumbnail_status"] as? String != "processing", "\(record)")
    }

    @Test func aMissingQueueIsASettingAndAnUnreachableOneAnOutage() async throws {
        let (bucket, _) = try await TestAWS.freshBucket()
        let binary = try binary(bucket: bucket)
        let endpoint = try TestAWS.endpoint().absoluteString
        let missing = try binary.run(["process", "--queue", "\(endpoint)/123456789012/no-such-queue", "--queue-wait", "1s"])
        #expect(missing.status == 78 && missing.stderr.contains("no such queue"), "\(missing.stderr)")
        var offline = binary
        offline.environment["AWS_ENDPOINT_URL_SQS"] = "http://127.0.0.1:\(unusedLoopbackPort())"
        let unreachable = try offline.run(["process", "--queue", "https://sqs.us-east-1.amazonaws.com/123456789012/q", "--queue-wait", "1s"])
        #expect(unreachable.status == 69 && unreachable.stderr.contains("not reachable"), "\(unreachable.stderr)")
    }
}
