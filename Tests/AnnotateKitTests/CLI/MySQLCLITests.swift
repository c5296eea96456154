import Foundation
import Testing

@testable import AnnotateCore
@testable import AnnotateKit
@testable import AnnotateMetadata

#if canImport(Glibc)
import Glibc
#endif

extension MariaDBServerSuites {
    /// The binary on a real MariaDB: many workers on one database, a worker killed and the server
    /// restarted mid-run, a database from the original deployment, and refusals.
    @Suite struct MySQLCLITests {
        let binary: Binary
        let location: MySQLLocation

        init() throws {
            location = try TestDatabases.freshMariaDB()
            var binary = Binary(home: try Fixtures.temporaryDirectory("mysql-cli"))
            binary.environment["ANNOTATE_DB"] = TestDatabases.url(location)
            self.binary = binary
        }

        /// Lines written so far by the running workers.
        func linesSoFar(_ workers: [Binary.Running]) -> Int {
            workers.reduce(0) { total, worker in
                total + ((try? String(contentsOf: worker.stdout, encoding: .utf8))?.split(separator: "\n").count ?? 0)
            }
        }

        func waitFor(lines: Int, from workers: [Binary.Running], timeout: TimeInterval = 120) {
            let deadline = Date().addingTimeInterval(timeout)
            while linesSoFar(workers) < lines && Date() < deadline && workers.contains(where: { $0.process.isRunning }) {
                usleep(20_000)
            }
        }

        @Test func fourWorkersOneKilledAndTheServerRestartedStillRunEveryTaskOnce() throws {
            let copies = try Fixtures.distinctCopies(of: "rocket-launch-exif6.jpg", count: 200, into: try Fixtures.temporaryDirectory("mysql-copies"))
            #expect(try binary.run(["upload", "--jobs", "4"] + copies.map(\.path)).status == 0)
            // The victim's lease is short so its tasks come back soon; the others' outlast the restart
            // (a worker that cannot renew for longer than its lease rightly loses its tasks).
            let arguments = ["process", "--json", "--jobs", "1", "--annotation-jobs", "1", "--lease"]
            let workers = ["3s", "60s", "60s", "60s"].map { binary.start(arguments + [$0]) }

            waitFor(lines: 60, from: workers)
            kill(workers[0].process.processIdentifier, SIGKILL)
            waitFor(lines: 160, from: workers)
            #expect(linesSoFar(workers) < 400, "the restart must land mid-run")
            try TestDatabases.restartServer()
            #expect(workers.dropFirst().contains { $0.process.isRunning }, "workers must outlive the restart")
            let results = workers.map { $0.finish() }
            #expect(results[0].status == SIGKILL)
            for result in results.dropFirst() { #expect(result.status == 0, "\(result.stderr)") }

            // The killed worker's tasks are taken over once its lease has run out.
            usleep(3_200_000)
            let takeover = try binary.run(["process", "--json"])
            #expect(takeover.status == 0, "\(takeover.stderr)")

            let reported = try (results + [takeover]).flatMap { try $0.json() }.filter { $0["summary"] == nil }
                .map { "\($0["id"]!)-\($0["task"]!)" }
            #expect(Set(reported).count == reported.count, "a task was reported done twice")
            let summary = try #require(try binary.run(["status", "--json"]).json().first)
            #expect((summary["annotation"] as? [String: Int]) == ["pending": 0, "processing": 0, "completed": 200, "failed": 0])
            #expect((summary["thumbnail"] as? [String: Int]) == ["pending": 0, "processing": 0, "completed": 200, "failed": 0])
            // Every task ran once, except the few the killed worker held when it died.
            let records = try binary.run(["status", "--json"] + (1...200).map(String.init)).json()
            let attempts = records.compactMap { $0["attempts"] as? [String: Int] }.flatMap { $0.values }
            #expect(attempts.count == 400)
            #expect(attempts.allSatisfy { $0 >= 1 && $0 <= 2 })
            #expect(attempts.filter { $0 == 2 }.count <= 4)
        }

        @Test func aDatabaseFromTheOriginalDeploymentIsReadAndCompleted() throws {
            // The original deployment's table and rows, with their objects already in the store.
            let objects = binary.home.appendingPathComponent("objects/uploads")
            try FileManager.default.createDirectory(at: objects, withIntermediateDirectories: true)
            try Fixtures.sample("fig-bowl.jpg").write(to: objects.appendingPathComponent("fig-bowl.jpg"))
            try Fixtures.sample("coffee-cup.webp").write(to: objects.appendingPathComponent("coffee-cup.webp"))
            try TestDatabases.execute(
                location,
                [
                    Schema.mysql[0].statements[0],
                    """
                    INSERT INTO images (filename, s3_key_original, s3_key_thumbnail, annotation, annotation_status, thumbnail_status)
                        VALUES ('done.jpg', 'uploads/done.jpg', 'thumbnails/done.jpg', 'Done long ago.', 'completed', 'completed')
                    """,
                    "INSERT INTO images (filename, s3_key_original) VALUES ('fig-bowl.jpg', 'uploads/fig-bowl.jpg')",
                    "INSERT INTO images (filename, s3_key_original, annotation_status, thumbnail_status) VALUES ('coffee-cup.webp', 'uploads/coffee-cup.webp', NULL, 'pending')",
                ])
            let before = try #require(try binary.run(["status", "--json"]).json().first)
            #expect(before["total"] as? Int == 3)
            #expect((before["annotation"] as? [String: Int])?["pending"] == 2)
            let process = try binary.run(["process", "--json"])
            #expect(process.status == 0, "\(process.stderr)")
            let records = try binary.run(["status", "--json", "1", "2", "3"]).json()
            #expect(records.map { $0["annotation_status"] as? String } == ["completed", "completed", "completed"])
            #expect(records.map { $0["thumbnail_status"] as? String } == ["completed", "completed", "completed"])
            #expect(records[0]["annotation"] as? String == "Done long ago.")
            #expect(FileManager.default.fileExists(atPath: binary.home.appendingPathComponent("objects/thumbnails/fig-bowl.jpg").path))
        }

        @Test func refusedOrUnreachableDatabasesNameHostAndUserNeverThePassword() throws {
            var wrong = location
            wrong.password = Secret("Zq9-not-the-password")
            let refused = try binary.run(["status", "--db", TestDatabases.url(wrong)])
            #expect(refused.status == 78)
            #expect(refused.stderr.contains("annotate@127.0.0.1:\(location.port)"))
            #expect(!refused.stderr.contains("Zq9-not-the-password") && !refused.stdout.contains("Zq9-not-the-password"))

            // The original deployment's variables, pointing at a port where nothing listens.
            var legacy = Binary(home: binary.home)
            legacy.environment = [
                "DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_NAME": "images", "DB_USER": "webapp", "DB_PASSWORD": "Zq9-legacy-secret",
            ]
            let unreachable = try legacy.run(["upload", try Fixtures.temporaryDirectory("none").path])
            #expect(unreachable.status == 69)
            #expect(unreachable.stderr.contains("mysql://webapp@127.0.0.1:1/images"))
            #expect(!unreachable.stderr.contains("Zq9-legacy-secret"))
        }
    }
}
