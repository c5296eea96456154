import Foundation
import Testing

@testable import AnnotateCore

#if canImport(Glibc)
import Glibc
#endif

/// `process --batch` through the built binary against the fake Gemini's Batch and Files API.
@Suite struct BatchCLITests {
    let binary: Binary
    let fake: FakeGemini
    init() throws {
        fake = try FakeGemini()
        var binary = Binary(home: try Fixtures.temporaryDirectory("batch-cli"))
        binary.environment = ["ANNOTATE_ANNOTATOR": "gemini", "GEMINI_API_KEY": fake.key, "GEMINI_BASE_URL": fake.baseURL]
        self.binary = binary
    }

    let samples = ["astronaut.jpg", "fig-bowl.jpg", "dogs-window.jpg", "paint-brushes.jpg"].map {
        Fixtures.samples.appendingPathComponent($0).path
    }

    func annotations() throws -> [[String: Any]] {
        try binary.run(["status", "--json"] + (1...samples.count).map(String.init)).json()
    }

    func summary() throws -> [String: Any] { try #require(try binary.run(["status", "--json"]).json().first) }

    /// One cron line submits, the next collects by key: results come back shuffled and are
    /// recorded at the batch tier (half price), thumbnails are made here in the first run, and
    /// while the job runs its tasks are `processing`, held by it and by nothing else.
    @Test func oneRunSubmitsTheNextCollectsByKey() throws {
        #expect(try binary.run(["upload"] + samples).status == 0)
        let submit = try binary.run(["process", "--batch", "--json"])
        #expect(submit.status == 0, "\(submit.stderr)")
        let lines = try submit.json()
        let job = try #require(lines.first { $0["event"] as? String == "submitted" })
        #expect(job["requests"] as? Int == 4 && (job["name"] as? String)?.hasPrefix("batches/") == true)
        #expect(lines.filter { $0["task"] as? String == "thumbnail" && $0["status"] as? String == "completed" }.count == 4)
        #expect(
            (lines.last?["summary"] as? [String: Any])?["batch"] as? [String: Int] == ["submitted": 1, "requests": 4, "collected": 0, "in_flight": 1])
        #expect(fake.batch.violations.isEmpty, "\(fake.batch.violations)")
        #expect(fake.requests == 0, "no synchronous call")

        var records = try annotations()
        #expect(
            records.allSatisfy { $0["annotation_status"] as? String == "processing" && $0["batch_job"] as? String == job["batch_job"] as? String })
        let inFlight = try #require(try summary()["batch_jobs"] as? [[String: Any]])
        #expect(inFlight.count == 1 && inFlight[0]["requests"] as? Int == 4 && inFlight[0]["batch_job"] as? String == job["batch_job"] as? String)
        #expect(try binary.run(["status"]).stdout.contains("batch jobs in flight:"))
        // `status --wait` waits on the job too (its tasks are processing until collected).
        #expect(try binary.run(["status", "--wait", "--timeout", "0.5"]).status == 75)
        // Another synchronous worker finds nothing to annotate: the job holds the tasks.
        #expect(try binary.run(["process", "--json"]).json().filter { $0["task"] != nil }.isEmpty)

        let collect = try binary.run(["process", "--batch", "--json"])
        #expect(collect.status == 0, "\(collect.stderr)")
        #expect(try collect.json().filter { $0["task"] as? String == "annotation" && $0["status"] as? String == "completed" }.count == 4)
        records = try annotations()
        #expect(records.allSatisfy { $0["annotation_status"] as? String == "completed" && $0["annotation"] as? String == "A batch caption." })
        #expect(records.allSatisfy { $0["service_tier"] as? String == "batch" && $0["cost_usd"] as? Double == 0.000018 && $0["batch_job"] is NSNull })
        let after = try summary()
        #expect((after["batch_jobs"] as? [Any])?.isEmpty == true && after["cost_usd"] as? Double == 0.000072)
        #expect(fake.batch.jobKeys.map { Set($0) } == [Set((1...4).map { "img-\($0)" })])
        #expect(fake.batch.deleted.count == 1, "the input file is deleted once collected")
        #expect(try binary.run(["process", "--batch", "--json"]).json().last?["summary"] != nil, "nothing left: a quiet no-op")
        #expect(fake.batch.created.count == 1)
    }

    /// The results' faults: SUCCEEDED before the output exists (still in flight), a line without
    /// a key (its task, matched by nothing, gets another attempt), a line with an error (another
    /// attempt), and the retries go out in a fresh job that the same cron line then collects.
    @Test func missingKeysAndErrorLinesGetAnotherAttempt() throws {
        #expect(try binary.run(["upload"] + samples).status == 0)
        fake.batch.script([
            .init(pollsBeforeEnd: 1, succeededWithoutOutput: 1, dropFirstKey: true, errorSecondLine: true),
            .init(statusVariant: true),
        ])
        #expect(try binary.run(["process", "--batch", "--only", "annotation"]).status == 0)
        for _ in 0..<2 {
            let early = try binary.run(["process", "--batch", "--only", "annotation", "--json"])
            #expect(try early.status == 0 && early.json().filter { $0["task"] != nil }.isEmpty, "running, then succeeded without output")
        }
        let collect = try binary.run(["process", "--batch", "--only", "annotation", "--json"])
        #expect(collect.status == 0, "\(collect.stderr)")
        let summary = try #require(try collect.json().last?["summary"] as? [String: Any])
        #expect(summary["completed"] as? Int == 2 && summary["retried"] as? Int == 2)
        #expect((summary["batch"] as? [String: Int])?["submitted"] == 1 && (summary["batch"] as? [String: Int])?["requests"] == 2)
        let second = try #require(fake.batch.jobKeys.last)
        #expect(second.count == 2 && Set(second).isDisjoint(with: Set(fake.batch.jobKeys[0]).subtracting(second)))
        #expect(try binary.run(["process", "--batch", "--only", "annotation"]).status == 0)
        let records = try annotations()
        #expect(records.allSatisfy { $0["annotation_status"] as? String == "completed" })
        #expect(Set(records.compactMap { ($0["attempts"] as? [String: Int])?["annotation"] }) == [1, 2])
        // Each task was in exactly one job at a time: four keys in the first, the two retried in the second.
        #expect(fake.batch.jobKeys.map(\.count) == [4, 2])
        #expect(fake.batch.violations.isEmpty, "\(fake.batch.violations)")
    }

    /// A failed, an expired and a cancelled-past-its-deadline job each give their tasks back
    /// with the reason; out of attempts, the task fails with it.
    @Test func failedExpiredAndOverdueJobsGiveTheirTasksBack() throws {
        #expect(try binary.run(["upload", samples[0]]).status == 0)
        fake.batch.script([.init(end: .failed), .init(end: .expired), .init(end: .running)])
        let options = ["--only", "annotation", "--max-attempts", "3", "--batch-deadline", "1s"]
        #expect(try binary.run(["process", "--batch"] + options).status == 0)
        #expect(try binary.run(["process", "--batch"] + options).status == 0)
        var record = try #require(try annotations().first)
        #expect((record["annotation_error"] as? String)?.contains("failed: error 3: Error on line 1") == true, "\(record)")
        Thread.sleep(forTimeInterval: 1)
        #expect(try binary.run(["process", "--batch"] + options).status == 0)
        record = try #require(try annotations().first)
        #expect((record["annotation_error"] as? String)?.contains("expired") == true, "\(record)")
        Thread.sleep(forTimeInterval: 1.2)
        let overdue = try binary.run(["process", "--batch"] + options)
        #expect(overdue.status == 1, "the third attempt's job was cancelled: out of attempts, failed")
        record = try #require(try annotations().first)
        #expect(record["annotation_status"] as? String == "failed")
        #expect((record["annotation_error"] as? String)?.contains("--batch-deadline 1s") == true, "\(record)")
        #expect(fake.batch.created.count == 3 && fake.batch.cancelled == fake.batch.created.suffix(1).map(\.name))
    }

    /// A refused create (429, the enqueued-token limit) keeps nothing: the tasks are pending with
    /// their attempts given back, no job is left, and the run exits 69 naming the API's answer.
    @Test func aRefusedSubmissionLeavesTheTasksAsTheyWere() throws {
        #expect(try binary.run(["upload"] + samples.prefix(2)).status == 0)
        fake.batch.refuseNextCreate = true
        let refused = try binary.run(["process", "--batch", "--only", "annotation"])
        #expect(refused.status == 69 && refused.stderr.contains("Enqueued token limit"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(fake.key))
        let records = try binary.run(["status", "--json", "1", "2"]).json()
        #expect(records.allSatisfy { $0["annotation_status"] as? String == "pending" && ($0["attempts"] as? [String: Int])?["annotation"] == 0 })
        #expect((try summary()["batch_jobs"] as? [Any])?.isEmpty == true)
        #expect(fake.batch.deleted.count == 1, "the uploaded file is deleted")
        // `--batch-size` splits the next submission; --wait collects both before returning.
        let split = try binary.run(["process", "--batch", "--only", "annotation", "--batch-size", "1", "--wait", "--batch-poll", "100ms", "--json"])
        #expect(split.status == 0, "\(split.stderr)")
        #expect(fake.batch.jobKeys == [["img-1"], ["img-2"]])
        #expect(try binary.run(["status", "--json", "1", "2"]).json().allSatisfy { $0["annotation_status"] as? String == "completed" })
        // Mistaken options are usage errors naming the value, before anything runs.
        for (arguments, said) in [(["--batch-size", "0"], "at least 1, not 0"), (["--batch-deadline", "soon"], "not \"soon\"")] {
            let bad = try binary.run(["process", "--batch"] + arguments)
            #expect(bad.status == 64 && bad.stderr.contains(said), "\(bad.stderr)")
        }
        for flag in [["--wait"], ["--batch-size", "5000"], ["--batch-poll", "1s"]] {
            let stray = try binary.run(["process"] + flag)
            #expect(stray.status == 64 && stray.stderr.contains("apply only with --batch"), "\(stray.stderr)")
        }
        // The offline annotator has no batch mode.
        let offline = try binary.run(["process", "--batch", "--annotator", "metadata"])
        #expect(offline.status == 69 && offline.stderr.contains("--batch needs an annotator with a batch API"), "\(offline.stderr)")
    }

    /// Killed (SIGKILL) at random points of submitting and collecting, 20 times over — each round
    /// adds an image, so every run has jobs to collect and tasks to submit — the runs after still
    /// end with every task annotated exactly once, and the fake saw each task in exactly one job.
    @Test func killedAnywhereARerunLosesNothingAndPaysOnce() throws {
        let rounds = 20
        let directory = try Fixtures.temporaryDirectory("batch-kill")
        let original = try Data(contentsOf: URL(fileURLWithPath: samples[0]))
        fake.batch.delay = 0.04
        fake.batch.script((0..<200).map { _ in .init(pollsBeforeEnd: 1) })
        let options = ["process", "--batch", "--only", "annotation", "--batch-size", "1", "--lease", "1s"]
        var generator = SystemRandomNumberGenerator()
        var phases: [String: Int] = [:]
        for round in 1...rounds {
            // Bytes after the JPEG's end make a distinct image of the same picture.
            let image = directory.appendingPathComponent("round-\(round).jpg")
            try (original + Data("round \(round)".utf8)).write(to: image)
            #expect(try binary.run(["upload", image.path]).status == 0)
            let created = fake.batch.created.count
            let running = binary.start(options)
            if round.isMultiple(of: 2) {
                // Every other round is cut off just after a create reached the API (however slow the
                // host): before its name is recorded, or after, while it collects or submits more.
                let deadline = Date().addingTimeInterval(10)
                while fake.batch.created.count == created && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.2, using: &generator))
            } else {
                Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.5, using: &generator))
            }
            kill(running.process.processIdentifier, SIGKILL)
            _ = running.finish()
            for job in try summary()["batch_jobs"] as? [[String: Any]] ?? [] { phases[job["phase"] as? String ?? "?", default: 0] += 1 }
        }
        // The rounds were cut off in both phases: jobs were left half submitted, and submitted.
        #expect(phases["submitting", default: 0] > 0 && phases["submitted", default: 0] > 0, "\(phases)")
        let ids = (1...rounds).map(String.init)
        // What was cut off is reconciled once its hold (the 1 s lease) has lapsed.
        for _ in 0..<30 {
            if try binary.run(["status", "--json"] + ids).json().allSatisfy({ $0["annotation_status"] as? String == "completed" }) { break }
            Thread.sleep(forTimeInterval: 0.5)
            let rerun = try binary.run(options)
            #expect(rerun.status == 0, "\(rerun.stderr)")
        }
        let records = try binary.run(["status", "--json"] + ids).json()
        #expect(records.count == rounds && records.allSatisfy { $0["annotation_status"] as? String == "completed" }, "\(records)")
        let keys = fake.batch.jobKeys.flatMap { $0 }
        #expect(
            keys.count == rounds && Set(keys) == Set((1...rounds).map { "img-\($0)" }), "each task in exactly one created job: \(fake.batch.jobKeys)")
        let usage = try #require(try summary()["cost_by_model"] as? [[String: Any]])
        #expect(usage.map { $0["annotations"] as? Int } == [rounds], "recorded (and paid) once each")
        #expect((try summary()["batch_jobs"] as? [Any])?.isEmpty == true)
        #expect(fake.batch.violations.isEmpty, "\(fake.batch.violations)")
    }

    /// The OpenAI-compatible annotator through the OpenAI Batch API: custom ids, the output and
    /// error files (a request failed inside its body gets another attempt, in a second batch that
    /// the same `--wait` run submits and collects); a server without the API is named.
    @Test func theOpenAIBatchAPIWhereTheServerHasOne() throws {
        let openai = try FakeOpenAI()
        var binary = binary
        binary.environment = ["ANNOTATE_ANNOTATOR": "openai", "OPENAI_BASE_URL": openai.baseURL, "OPENAI_MODEL": "llava-test"]
        #expect(try binary.run(["upload"] + samples.prefix(2)).status == 0)
        let run = try binary.run(["process", "--batch", "--only", "annotation", "--wait", "--batch-poll", "50ms", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let batch = try #require(openai.batch)
        #expect(batch.violations.isEmpty && openai.violations.isEmpty, "\(batch.violations) \(openai.violations)")
        #expect(batch.batchIDs == [["img-1", "img-2"], ["img-2"]])
        let records = try binary.run(["status", "--json", "1", "2"]).json()
        #expect(records.allSatisfy { $0["annotation"] as? String == "A batched local caption." && $0["service_tier"] as? String == "batch" })
        #expect(records.allSatisfy { $0["input_tokens"] as? Int == 80 && $0["output_tokens"] as? Int == 10 })
        #expect(openai.serviceTiers.isEmpty, "no synchronous call")

        let local = try FakeOpenAI(batchAPI: false)
        binary.environment["OPENAI_BASE_URL"] = local.baseURL
        #expect(try binary.run(["upload", samples[2]]).status == 0)
        let refused = try binary.run(["process", "--batch", "--only", "annotation"])
        #expect(refused.status == 69 && refused.stderr.contains("offers no Batch API (POST /v1/files answered 404)"), "\(refused.stderr)")
        #expect(try binary.run(["status", "--json", "3"]).json().first?["annotation_status"] as? String == "pending")
    }
}
