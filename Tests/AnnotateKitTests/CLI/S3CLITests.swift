import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

extension S3ServerSuites {
    /// The binary against a real S3-compatible server: originals and thumbnails in two buckets,
    /// presigned exports, a wrong secret, and the server stopped in the middle of an upload batch.
    @Suite struct S3CLITests {
        let binary: Binary
        let originals: String
        let thumbnails: String

        init() async throws {
            originals = try await TestS3.freshBucket()
            thumbnails = try await TestS3.freshBucket()
            var binary = Binary(home: try Fixtures.temporaryDirectory("s3-cli"))
            binary.environment = try TestS3.server().environment
            binary.environment["ANNOTATE_STORE"] = "s3://\(originals)"
            // The original deployment's name for the thumbnail bucket.
            binary.environment["THUMBNAIL_BUCKET_NAME"] = thumbnails
            self.binary = binary
        }

        @Test func uploadProcessStatusAndExportWithTwoBuckets() async throws {
            let upload = try binary.run(["upload", "--json", Fixtures.samples.path])
            #expect(upload.status == 0, "\(upload.stderr)")
            #expect(try upload.json().filter { $0["status"] as? String == "uploaded" }.count == 12)
            let process = try binary.run(["process"])
            #expect(process.status == 0, "\(process.stderr)")
            let summary = try #require(try binary.run(["status", "--json"]).json().first)
            #expect((summary["thumbnail"] as? [String: Int])?["completed"] == 12)

            let originalKeys = try await TestS3.store(bucket: originals).list(prefix: "")
            let thumbnailKeys = try await TestS3.store(bucket: thumbnails).list(prefix: "")
            #expect(originalKeys.count == 12 && originalKeys.allSatisfy { $0.hasPrefix("uploads/") })
            #expect(thumbnailKeys.count == 12 && thumbnailKeys.allSatisfy { $0.hasPrefix("thumbnails/") })

            // A presigned export: links a plain HTTP client can fetch, nothing copied.
            let out = try Fixtures.temporaryDirectory("presigned")
            let export = try binary.run(["gallery-export", "--format", "json", "--links", "presign", "--expires", "1h", out.path])
            #expect(export.status == 0, "\(export.stderr)")
            let document = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("gallery.json"))) as? [String: Any]
            let images = try #require(document?["images"] as? [[String: Any]])
            let link = try #require(images.first?["thumbnail_file"] as? String)
            let endpoint = try TestS3.server().endpoint.absoluteString
            #expect(link.hasPrefix(endpoint) && link.contains("X-Amz-Signature="))
            let (bytes, response) = try await URLSession.shared.data(from: try #require(URL(string: link)))
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(bytes.starts(with: [0xFF, 0xD8]))
            #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("thumbnails").path))
            let secret = try TestS3.server().secretKey
            #expect(!export.stdout.contains(secret) && !export.stderr.contains(secret))

            // The offline export copies from both buckets.
            let copied = try Fixtures.temporaryDirectory("copied")
            #expect(try binary.run(["gallery-export", copied.path]).status == 0)
            #expect(FileManager.default.fileExists(atPath: copied.appendingPathComponent("thumbnails/1.jpg").path))
        }

        @Test func aWrongSecretStopsBeforeAnyWorkAndLeavesNoRecord() throws {
            var wrong = binary
            wrong.environment["AWS_SECRET_ACCESS_KEY"] = "Zq9-wrong-secret"
            let result = try wrong.run(["upload", Fixtures.samples.appendingPathComponent("astronaut.jpg").path])
            #expect(result.status == 69)
            #expect(result.stderr.contains("SignatureDoesNotMatch") && result.stderr.contains(originals))
            #expect(!result.stderr.contains("Zq9-wrong-secret") && !result.stdout.contains("Zq9-wrong-secret"))
            let summary = try #require(try binary.run(["status", "--json"]).json().first)
            #expect(summary["total"] as? Int == 0)
        }

        @Test func theServerStoppingMidBatchStopsTheUploadWith69AndLosesNothing() async throws {
            let copies = try Fixtures.distinctCopies(of: "sunset-exif8.jpg", count: 80, into: try Fixtures.temporaryDirectory("s3-kill"))
            let upload = binary.start(["upload", "--json", "--jobs", "2"] + copies.map(\.path))
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, upload.process.isRunning,
                ((try? String(contentsOf: upload.stdout, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 15
            {
                usleep(10_000)
            }
            try TestS3.services("stop-s3")
            defer { try? TestS3.services("start-s3") }
            let result = upload.finish()
            // The store's outage is not the files' fault: the batch stops (69) instead of rejecting each.
            #expect(result.status == 69, "\(result.stderr)")
            #expect(result.stderr.contains("127.0.0.1:8333"), "\(result.stderr)")
            let lines = try result.json()
            let uploaded = lines.filter { $0["status"] as? String == "uploaded" }.count
            #expect(uploaded >= 15 && uploaded < 80, "the stop must land mid-batch")
            #expect(lines.allSatisfy { $0["status"] as? String == "uploaded" }, "no file is blamed for the outage")
            try TestS3.services("start-s3")

            // Every record has its object; a rerun uploads what failed and the batch completes.
            let store = try TestS3.store(bucket: originals)
            let records = try binary.run(["status", "--json"] + (1...80).map(String.init)).json()
            for record in records {
                let key = try ObjectKey(try #require(record["s3_key_original"] as? String))
                #expect(try await store.exists(key), "record \(record["id"] ?? "?") without its object")
            }
            let rerun = try binary.run(["upload", "--json"] + copies.map(\.path))
            #expect(rerun.status == 0, "\(rerun.stderr)")
            #expect(try rerun.json().filter { $0["status"] as? String == "uploaded" }.count == 80 - uploaded)
            #expect(try binary.run(["process", "--only", "thumbnail"]).status == 0)
            let summary = try #require(try binary.run(["status", "--json"]).json().first)
            #expect(summary["total"] as? Int == 80)
            #expect((summary["thumbnail"] as? [String: Int])?["completed"] == 80)
        }

        @Test func theServerRestartingMidProcessLosesNothing() async throws {
            let copies = try Fixtures.distinctCopies(of: "rocket-launch-exif6.jpg", count: 40, into: try Fixtures.temporaryDirectory("s3-process"))
            #expect(try binary.run(["upload", "--jobs", "4"] + copies.map(\.path)).status == 0)
            let worker = binary.start(["process", "--json", "--jobs", "1", "--annotation-jobs", "1"])
            let deadline = Date().addingTimeInterval(60)
            while Date() < deadline, worker.process.isRunning,
                ((try? String(contentsOf: worker.stdout, encoding: .utf8))?.split(separator: "\n").count ?? 0) < 10
            {
                usleep(10_000)
            }
            #expect(worker.process.isRunning, "the outage must land mid-run")
            try TestS3.services("stop-s3")
            usleep(1_500_000)
            try TestS3.services("start-s3")
            let result = worker.finish()
            #expect(result.status == 0 || result.status == 1, "\(result.stderr)")
            // Whatever failed for the outage waits for a retry or is failed as transient; a rerun completes it.
            #expect(try binary.run(["process", "--retry-failed"]).status == 0)
            let summary = try #require(try binary.run(["status", "--json"]).json().first)
            #expect((summary["thumbnail"] as? [String: Int])?["completed"] == 40)
            #expect((summary["annotation"] as? [String: Int])?["completed"] == 40)
            #expect(try await TestS3.store(bucket: thumbnails).list(prefix: "thumbnails/").count == 40)
        }

        @Test func eventsRegisterObjectsPutStraightIntoTheBucketAndRunThemOnce() async throws {
            // Objects another system wrote, with a space and a plus in the key.
            let store = try TestS3.store(bucket: originals)
            try await store.put(try Fixtures.sample("coffee-cup.webp"), at: try ObjectKey("uploads/from camera+1.webp"), contentType: "image/webp")
            try await store.put(try Fixtures.sample("dogs-window.jpg"), at: try ObjectKey("uploads/dogs.jpg"), contentType: "image/jpeg")
            let records = """
                {"Records": [{"eventVersion": "2.1", "eventName": "ObjectCreated:Put",
                  "s3": {"bucket": {"name": "\(originals)"}, "object": {"key": "uploads/from+camera%2B1.webp", "size": 47714}}}]}
                """
            let eventFile = try Fixtures.temporaryDirectory("event").appendingPathComponent("event.json")
            try records.write(to: eventFile, atomically: true, encoding: .utf8)
            let first = try binary.run(["process", "--json", "--event", eventFile.path])
            #expect(first.status == 0, "\(first.stderr)")
            let lines = try first.json()
            #expect(lines.first?["status"] as? String == "uploaded")
            #expect(lines.filter { $0["task"] != nil }.count == 2)
            // Delivered again: the record is found and nothing runs twice.
            let again = try binary.run(["process", "--json", "--event", eventFile.path])
            #expect(try again.json().first?["status"] as? String == "duplicate")
            #expect(try again.json().filter { $0["task"] != nil }.isEmpty)

            // EventBridge on stdin; and an event about another bucket is refused by name.
            let bridge =
                #"{"detail-type": "Object Created", "source": "aws.s3", "detail": {"bucket": {"name": "\#(originals)"}, "object": {"key": "uploads/dogs.jpg"}}}"#
            let fromStdin = try binary.run(["process", "--json", "--event", "-"], stdin: bridge)
            let stdinTasks = try fromStdin.json().filter { $0["task"] != nil }.count
            #expect(fromStdin.status == 0 && stdinTasks == 2)
            let elsewhere = bridge.replacingOccurrences(of: originals, with: "someone-elses-bucket")
            let refused = try binary.run(["process", "--json", "--event", "-"], stdin: elsewhere)
            #expect(refused.status == 1)
            let reason = try refused.json().first?["reason"] as? String ?? ""
            #expect(reason.contains("someone-elses-bucket"))

            // The Lambda SQS trigger's batch: the S3 notification is the message body, as a string.
            try await store.put(try Fixtures.sample("fig-bowl.jpg"), at: try ObjectKey("uploads/figs.jpg"), contentType: "image/jpeg")
            let inner =
                #"{"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "\#(originals)"}, "object": {"key": "uploads/figs.jpg"}}}]}"#
            let batch = try JSONSerialization.data(withJSONObject: ["Records": [["messageId": "m-1", "body": inner, "eventSource": "aws:sqs"]]])
            let queued = try binary.run(["process", "--json", "--event", "-"], stdin: String(decoding: batch, as: UTF8.self))
            #expect(queued.status == 0, "\(queued.stderr)")
            #expect(try queued.json().filter { $0["task"] != nil }.count == 2, "\(queued.stdout)")
            // A document in which nothing names an object is not what it claims: 65, never a silent 0.
            let unknown = try binary.run(["process", "--event", "-"], stdin: #"{"Messages": [], "ResponseMetadata": {}}"#)
            #expect(unknown.status == 65 && unknown.stderr.contains("\"Messages\""), "\(unknown.stderr)")

            let summary = try #require(try binary.run(["status", "--json"]).json().first)
            #expect(summary["total"] as? Int == 3)
            #expect(try binary.run(["status", "--json", "1"]).json().first?["s3_key_original"] as? String == "uploads/from camera+1.webp")
        }
    }
}

extension S3ServerSuites {
    /// `annotate doctor` on a host with a real S3 server and the fake Gemini: each check on its own.
    @Suite struct DoctorCLITests {
        func checks(_ result: Binary.Result) throws -> [String: [String: Any]] {
            Dictionary(uniqueKeysWithValues: try result.json().map { ($0["check"] as? String ?? "", $0) })
        }

        @Test func everyCheckPassesOnAHealthyHost() async throws {
            let fake = try FakeGemini()
            var binary = Binary(home: try Fixtures.temporaryDirectory("doctor"))
            binary.environment = try TestS3.server().environment.merging([
                "ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL,
                "ANNOTATE_STORE": "s3://\(try await TestS3.freshBucket())",
            ]) { $1 }
            let result = try binary.run(["doctor", "--json"])
            #expect(result.status == 0, "\(result.stdout)")
            let byName = try checks(result)
            #expect(Set(byName.keys) == ["configuration", "database", "store", "annotator", "image formats"])
            #expect(byName.values.allSatisfy { $0["passed"] as? Bool == true })
            #expect((byName["image formats"]?["detail"] as? String ?? "").contains("refuses SVG"))
            // The probe object is gone again.
            let bucket = String((binary.environment["ANNOTATE_STORE"] ?? "").dropFirst(5))
            #expect(try await TestS3.store(bucket: bucket).list(prefix: "doctor/").isEmpty)
        }

        @Test func failuresAreNamedWithWhatToDoAndNeverShowSecrets() async throws {
            let fake = try FakeGemini()
            var binary = Binary(home: try Fixtures.temporaryDirectory("doctor-bad"))
            binary.environment = try TestS3.server().environment.merging([
                "ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": "Zq9-not-the-gemini-key", "GEMINI_BASE_URL": fake.baseURL,
                "AWS_SECRET_ACCESS_KEY": "Zq9-not-the-s3-secret", "ANNOTATE_STORE": "s3://\(try await TestS3.freshBucket())",
                "ANNOTATE_DB": "mysql://annotate:Zq9-wrong-db-pw@127.0.0.1:1/nothing",
            ]) { $1 }
            let result = try binary.run(["doctor", "--json"])
            #expect(result.status == 1)
            let byName = try checks(result)
            #expect(byName["configuration"]?["passed"] as? Bool == true)
            for name in ["database", "store", "annotator"] {
                #expect(byName[name]?["passed"] as? Bool == false, "\(name)")
                #expect(byName[name]?["advice"] as? String != nil)
            }
            #expect((byName["store"]?["detail"] as? String ?? "").contains("SignatureDoesNotMatch"))
            #expect((byName["annotator"]?["detail"] as? String ?? "").contains("API key not valid"))
            #expect(!result.stdout.contains("Zq9-") && !result.stderr.contains("Zq9-"))

            var retired = binary
            retired.environment = [
                "ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL,
                "GEMINI_MODEL_NAME": "gemini-1.5-flash",
            ]
            let model = try checks(try retired.run(["doctor", "--json"]))["annotator"]
            #expect(model?["passed"] as? Bool == false)
            #expect((model?["advice"] as? String ?? "").contains("GEMINI_MODEL_NAME"))

            let unusable = try binary.run(["doctor", "--thumbnail-size", "huge"])
            #expect(unusable.status == 1 && unusable.stdout.contains("FAIL  configuration"))
        }
    }
}
