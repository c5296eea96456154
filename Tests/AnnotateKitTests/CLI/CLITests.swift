import Foundation
import Testing

@testable import AnnotateKit

#if canImport(Glibc)
import Glibc
#endif

/// The CLI as users and scripts meet it: the built binary, its output and exit statuses.
@Suite struct CLITests {
    let binary: Binary
    init() throws { binary = Binary(home: try Fixtures.temporaryDirectory("cli-home")) }

    /// Good photos plus every kind of bad file, some named and some in a folder.
    func badFiles() throws -> (named: [String], folder: URL) {
        let directory = try Fixtures.temporaryDirectory("bad")
        let named = directory.appendingPathComponent("named")
        let folder = directory.appendingPathComponent("folder")
        try FileManager.default.createDirectory(at: named, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: folder.appendingPathComponent(".thumbs"), withIntermediateDirectories: true)
        let files: [(URL, Data)] = [
            (named.appendingPathComponent("empty.jpg"), Data()),
            (named.appendingPathComponent("text.jpg"), Data("just some text\n".utf8)),
            (named.appendingPathComponent("bomb.png"), Fixtures.pngBomb()),
            (folder.appendingPathComponent("notes.txt"), Data("sidecar".utf8)),
            (folder.appendingPathComponent("text.jpg"), Data("also text".utf8)),
            (folder.appendingPathComponent("photo.jpg"), try Fixtures.sample("forest-stream.jpg")),
            (folder.appendingPathComponent(".thumbs/hidden.jpg"), try Fixtures.sample("astronaut.jpg")),
        ]
        for (url, data) in files { try data.write(to: url) }
        return (files.prefix(3).map(\.0.path), folder)
    }

    @Test func helpVersionAndUsageErrors() throws {
        let help = try binary.run(["--help"])
        #expect(help.status == 0)
        for subcommand in ["upload", "process", "status", "gallery-export", "serve", "doctor"] {
            #expect(help.stdout.contains(subcommand))
            let own = try binary.run([subcommand, "--help"])
            #expect(own.status == 0)
            // Every accepted location form, as README lists them, not only the embedded defaults.
            let flat = own.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            for form in ["sqlite:PATH", "mysql://USER:PASS@HOST[:PORT]/DB", "file:DIR", "s3://BUCKET[/PREFIX]"] {
                #expect(flat.contains(form), "\(subcommand) --help lacks \(form)")
            }
        }
        #expect(try binary.run(["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == false)
        #expect(try binary.run(["frobnicate"]).status == 64)
        #expect(try binary.run(["status", "--no-such-flag"]).status == 64)
        #expect(try binary.run(["upload"]).status == 64)
        #expect(try binary.run(["process", "--only", "colour"]).status == 64)
        #expect(try binary.run(["gallery-export", "/tmp/x", "--format", "pdf"]).status == 64)
        #expect(try binary.run(["status", "--timeout", "5"]).status == 64)
    }

    @Test func invalidValuesExit64FromFlagsAnd78FromEnvironmentOrFile() throws {
        let sample = Fixtures.samples.appendingPathComponent("astronaut.jpg").path
        let flag = try binary.run(["process", "--thumbnail-size", "huge"])
        #expect(flag.status == 64)
        #expect(flag.stderr.contains("--thumbnail-size"))
        #expect(try binary.run(["upload", "--jobs", "0", sample]).status == 64)
        #expect(try binary.run(["process", "--lease", "soon"]).status == 64)
        var env = binary
        env.environment = ["TARGET_WIDTH": "wide"]
        let fromEnv = try env.run(["process"])
        #expect(fromEnv.status == 78)
        #expect(fromEnv.stderr.contains("TARGET_WIDTH"))
        let config = try Fixtures.temporaryDirectory("cfg").appendingPathComponent("annotate.toml")
        try "crop = \"sideways\"\n".write(to: config, atomically: true, encoding: .utf8)
        env.environment = ["ANNOTATE_CONFIG": config.path]
        let fromFile = try env.run(["process"])
        #expect(fromFile.status == 78)
        #expect(fromFile.stderr.contains(config.path))
        env.environment = ["ANNOTATE_DB": "oracle://db"]
        #expect(try env.run(["status"]).status == 78)
    }

    /// A store that cannot be opened after an S3 one was configured ends the run cleanly (69,
    /// the reason named): nothing made for the S3 store is left open to trap on the way out.
    @Test func anUnusableFolderBesideAnS3StoreExits69Cleanly() throws {
        var s3 = binary
        s3.environment = ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secretsecret", "AWS_REGION": "us-east-1"]
        let result = try s3.run(["status", "--store", "s3://bucket", "--thumbnail-store", "file:/proc/annotate-none/thumbnails"])
        #expect(result.status == 69, "\(result.stderr)")
        #expect(result.stderr.contains("file:/proc/annotate-none/thumbnails"))
    }

    @Test func aLocationWithoutItsSchemeIsAUsageErrorAndCreatesNothing() throws {
        var inFolder = binary
        let folder = try Fixtures.temporaryDirectory("cwd")
        inFolder.workingDirectory = folder
        for arguments in [["status", "--db", "not a url"], ["status", "--store", "not a url"], ["upload", "--thumbnail-store", "thumbs", "x.jpg"]] {
            let run = try inFolder.run(arguments)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(arguments[2].debugDescription) && run.stderr.contains(" or "), "names the value and the forms: \(run.stderr)")
        }
        inFolder.environment = ["ANNOTATE_DB": "not a url"]
        let fromEnvironment = try inFolder.run(["status"])
        #expect(fromEnvironment.status == 78 && fromEnvironment.stderr.contains("ANNOTATE_DB"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty, "no file named after the value")
    }

    @Test func anUnreachableS3StoreIs69ForEverySubcommandThatNeedsItAndNothingIsRecorded() throws {
        var unreachable = binary
        // Port 1 on loopback: connection refused at once.
        unreachable.environment = [
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "Zq9-never-shown",
            "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:1",
        ]
        let photo = Fixtures.samples.appendingPathComponent("fig-bowl.jpg").path
        let out = try Fixtures.temporaryDirectory("export-unreachable").appendingPathComponent("site").path
        for arguments in [["upload", photo], ["upload", "--json", photo], ["process"], ["gallery-export", out], ["serve", "--port", "0"]] {
            let run = try unreachable.run(arguments + ["--store", "s3://unreachable-bucket/p"], timeout: 60)
            #expect(run.status == 69, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains("127.0.0.1:1") && run.stderr.contains("connection refused"), "\(arguments): \(run.stderr)")
            #expect(!run.stderr.contains("Zq9-") && !run.stdout.contains("Zq9-"))
        }
        let summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(summary["total"] as? Int == 0, "nothing recorded")
    }

    @Test func anUnusableDatabaseOrStoreExits69NamingIt() throws {
        let database = try binary.run(["status", "--db", "sqlite:/proc/annotate-nope/annotate.db"])
        #expect(database.status == 69)
        #expect(database.stderr.contains("/proc/annotate-nope/annotate.db"))
        let store = try binary.run(["status", "--store", "file:/proc/annotate-nope"])
        #expect(store.status == 69)
        #expect(store.stderr.contains("/proc/annotate-nope"))
    }

    @Test func uploadReportsEveryFileAndRecordsOnlyGoodOnes() throws {
        let (named, folder) = try badFiles()
        let good = Fixtures.samples.appendingPathComponent("dandelions.jpg").path
        let run = try binary.run(["upload", "--json", good, folder.path] + named)
        #expect(run.status == 1)
        let lines = try run.json()
        #expect(lines.count == 7)
        var byFile: [String: [String: Any]] = [:]
        for line in lines {
            #expect(Set(line.keys) == ["file", "status", "id", "reason"])
            byFile[(line["file"] as! String).split(separator: "/").suffix(2).joined(separator: "/")] = line
        }
        #expect(byFile["sample/dandelions.jpg"] == nil)
        #expect(byFile["demo/dandelions.jpg"]?["status"] as? String == "uploaded")
        #expect(byFile["folder/photo.jpg"]?["status"] as? String == "uploaded")
        #expect(byFile["folder/notes.txt"]?["status"] as? String == "skipped")
        #expect(byFile["folder/text.jpg"]?["status"] as? String == "skipped")
        #expect(byFile["named/text.jpg"]?["status"] as? String == "rejected")
        #expect(byFile["named/empty.jpg"]?["reason"] as? String == "empty file")
        #expect((byFile["named/bomb.png"]?["reason"] as? String)?.contains("--max-pixels") == true)
        #expect(byFile["named/text.jpg"]?["id"] is NSNull)

        let status = try binary.run(["status", "--json"]).json()
        #expect(status.first?["total"] as? Int == 2)

        // The same bytes again: a duplicate naming the existing id, and success.
        let again = try binary.run(["upload", "--json", good])
        #expect(again.status == 0)
        let line = try again.json()[0]
        #expect(line["status"] as? String == "duplicate")
        #expect(line["id"] as? Int == byFile["demo/dandelions.jpg"]?["id"] as? Int)
    }

    @Test func theBombCostsNothing() throws {
        let bomb = try Fixtures.temporaryDirectory("bomb").appendingPathComponent("bomb.png")
        try Fixtures.pngBomb().write(to: bomb)
        // Decoding 3.6 GP would take minutes of CPU and over 10 GB; the header check takes neither.
        // CPU time and peak RSS come from wait4, so a busy machine does not change them.
        let usage = try binary.measure(["upload", bomb.path])
        #expect(usage.status == 1)
        #expect(usage.cpuSeconds < 1.0, "\(usage.cpuSeconds) s of CPU")
        #expect(usage.peakResidentMB < 150, "\(usage.peakResidentMB) MB peak RSS")
    }

    @Test func pathsFromStandardInput() throws {
        let paths = ["astronaut.jpg", "fig-bowl.jpg"].map { Fixtures.samples.appendingPathComponent($0).path }
        let run = try binary.run(["upload", "--json", "-"], stdin: paths.joined(separator: "\n") + "\n")
        #expect(run.status == 0)
        #expect(try run.json().map { $0["status"] as? String } == ["uploaded", "uploaded"])
    }

    @Test func processStatusAndWaitExitCodes() throws {
        let samples = ["astronaut.jpg", "sunset-exif8.jpg"].map { Fixtures.samples.appendingPathComponent($0).path }
        let uploaded = try binary.run(["upload", "--json"] + samples)
        #expect(uploaded.status == 0)
        let sunsetID = try #require(try uploaded.json().first { ($0["file"] as? String)?.hasSuffix("sunset-exif8.jpg") == true }?["id"] as? Int)

        // Pending work and nobody processing it: --wait times out with 75.
        let timedOut = try binary.run(["status", "--wait", "--timeout", "0.5"])
        #expect(timedOut.status == 75)

        let processed = try binary.run(["process", "--json", "--thumbnail-format", "webp"])
        #expect(processed.status == 0)
        let lines = try processed.json()
        #expect(lines.count == 5)
        for line in lines.dropLast() {
            #expect(Set(line.keys) == ["id", "filename", "task", "status", "error"])
            #expect(line["status"] as? String == "completed")
        }
        let summary = try #require(lines.last?["summary"] as? [String: Any])
        #expect(summary["completed"] as? Int == 4 && summary["failed"] as? Int == 0 && summary["images"] as? Int == 2)

        #expect(try binary.run(["status", "--wait", "--timeout", "5"]).status == 0)

        let record = try #require(try binary.run(["status", "--json", String(sunsetID)]).json().first)
        // The contract's keys, plus the failure classes of the ledger (added, never renamed).
        #expect(
            Set(record.keys) == [
                "id", "filename", "sha256", "content_type", "size", "width", "height", "annotation",
                "tags", "model", "annotation_status", "annotation_error", "thumbnail_status",
                "thumbnail_error", "s3_key_original", "s3_key_thumbnail", "attempts", "tokens",
                "uploaded_at", "updated_at", "annotation_error_class", "thumbnail_error_class",
                "input_tokens", "output_tokens", "service_tier", "cost_usd", "batch_job",
            ])
        #expect(record["cost_usd"] as? Double == 0, "the offline annotator bills nothing")
        #expect(record["filename"] as? String == "sunset-exif8.jpg")
        #expect(record["width"] as? Int == 1024 && record["height"] as? Int == 683)
        #expect((record["s3_key_thumbnail"] as? String)?.hasPrefix("thumbnails/") == true)
        #expect((record["s3_key_thumbnail"] as? String)?.hasSuffix(".webp") == true)
        #expect((record["tags"] as? [String])?.contains("landscape") == true)

        let summaryJSON = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(Set(summaryJSON.keys) == ["total", "annotation", "thumbnail", "tokens", "cost_usd", "cost_by_model", "batch_jobs", "failures"])
        #expect(summaryJSON["cost_usd"] as? Double == 0 && (summaryJSON["cost_by_model"] as? [Any])?.isEmpty == true)
        #expect((summaryJSON["thumbnail"] as? [String: Int])?["completed"] == 2)

        let unknown = try binary.run(["status", "99"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no image with id 99"))
        #expect(try binary.run(["process", "99"]).status == 1)

        // A file that passes the header check but cannot be decoded: failed with a reason, exit 1.
        let truncated = try Fixtures.temporaryDirectory("trunc").appendingPathComponent("truncated.jpg")
        try Fixtures.truncatedJPEG().write(to: truncated)
        let failing = try binary.run(["upload", "--process", "--json", truncated.path])
        #expect(failing.status == 1)
        let failures = try failing.json().filter { $0["status"] as? String == "failed" }
        #expect(failures.count == 2)
        #expect((failures.first?["error"] as? String)?.contains("cannot decode the image") == true)
        #expect(try binary.run(["status", "--wait", "--timeout", "5"]).status == 1)
        let failed = try binary.run(["status", "--failed", "--json"]).json()
        #expect(failed.map { $0["filename"] as? String } == ["truncated.jpg"])
    }

    @Test func galleryExportPrintsTheIndexPath() throws {
        let sample = Fixtures.samples.appendingPathComponent("coffee-cup.webp").path
        #expect(try binary.run(["upload", "--process", sample]).status == 0)
        let out = try Fixtures.temporaryDirectory("gallery")
        let html = try binary.run(["gallery-export", out.path])
        #expect(html.status == 0)
        #expect(html.stdout.trimmingCharacters(in: .newlines) == out.appendingPathComponent("index.html").path)
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("thumbnails/1.jpg").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("originals/1.webp").path))
        let csv = try binary.run(["gallery-export", "--format", "csv", out.path])
        #expect(csv.stdout.hasSuffix("gallery.csv\n"))
    }

    @Test func twoProcessesShareTheWorkAndRunEachTaskOnce() throws {
        let copies = try Fixtures.distinctCopies(of: "mountains-picos.jpg", count: 40, into: try Fixtures.temporaryDirectory("copies"))
        #expect(try binary.run(["upload", "--json"] + copies.map(\.path)).status == 0)
        let workers = (0..<2).map { _ in binary.start(["process", "--json", "--jobs", "1", "--annotation-jobs", "1"]) }
        let results = workers.map { $0.finish() }
        #expect(results.allSatisfy { $0.status == 0 })
        let tasks = try results.flatMap { try $0.json() }.filter { $0["summary"] == nil }
            .map { "\($0["id"]!)-\($0["task"]!)" }
        #expect(tasks.count == 80)
        #expect(Set(tasks).count == 80)
        let records = try binary.run(["status", "--json"] + (1...40).map(String.init)).json()
        #expect(records.allSatisfy { ($0["attempts"] as? [String: Int]) == ["annotation": 1, "thumbnail": 1] })
    }

    @Test func aKilledRunsTasksAreTakenOverAfterTheLease() throws {
        let copies = try Fixtures.distinctCopies(of: "paint-brushes.jpg", count: 120, into: try Fixtures.temporaryDirectory("kill"))
        #expect(try binary.run(["upload"] + copies.map(\.path)).status == 0)
        let victim = binary.start(["process", "--json", "--jobs", "1", "--annotation-jobs", "1", "--lease", "2s"])
        // Kill it once it has finished some work but not all.
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let done = try String(contentsOf: victim.stdout, encoding: .utf8).split(separator: "\n").count
            if done >= 10 { break }
            usleep(20_000)
        }
        kill(victim.process.processIdentifier, SIGKILL)
        let killed = victim.finish()
        #expect(killed.status == SIGKILL)
        let finishedBeforeKill = killed.lines.count
        #expect(finishedBeforeKill >= 10 && finishedBeforeKill < 240, "kill landed at \(finishedBeforeKill) of 240 tasks")

        let stranded = try #require(try binary.run(["status", "--json"]).json().first)
        #expect(
            ((stranded["annotation"] as? [String: Int])?["processing"] ?? 0) + ((stranded["thumbnail"] as? [String: Int])?["processing"] ?? 0) > 0)

        usleep(2_200_000)
        let next = try binary.run(["process", "--json"])
        #expect(next.status == 0)
        let summary = try #require(try binary.run(["status", "--json"]).json().first)
        #expect((summary["annotation"] as? [String: Int]) == ["pending": 0, "processing": 0, "completed": 120, "failed": 0])
        #expect((summary["thumbnail"] as? [String: Int]) == ["pending": 0, "processing": 0, "completed": 120, "failed": 0])
    }

    @Test func theManPageDocumentsEveryOption() throws {
        let man = try String(contentsOf: Fixtures.repository.appendingPathComponent("man/annotate.1"), encoding: .utf8)
            .replacingOccurrences(of: "\\-", with: "-")
        let pattern = try NSRegularExpression(pattern: #"--[a-z][a-z-]+"#)
        for subcommand in ["upload", "process", "status", "gallery-export", "serve", "doctor"] {
            #expect(man.contains(".SS \(subcommand)") || man.contains("annotate \(subcommand)"), "man page lacks \(subcommand)")
            let help = try binary.run([subcommand, "--help"]).stdout
            let options = Set(
                pattern.matches(in: help, range: NSRange(help.startIndex..., in: help)).map { String(help[Range($0.range, in: help)!]) })
            for option in options where option != "--help" {
                #expect(man.contains(option), "man page lacks \(option) of \(subcommand)")
            }
        }
    }
}
