import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `annotate` binary, as a user or script would.
struct Binary {
    /// `$ANNOTATE_BIN`, else the `annotate` beside the test bundle (SwiftPM's products directory).
    static let url: URL = {
        if let path = ProcessInfo.processInfo.environment["ANNOTATE_BIN"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        if directory.lastPathComponent.hasSuffix(".xctest") { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("annotate")
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }

        /// stdout parsed as JSON lines.
        func json() throws -> [[String: Any]] {
            try lines.map { line in
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw BinaryError.notJSON(line)
                }
                return object
            }
        }
    }

    enum BinaryError: Error { case notJSON(String) }

    /// The environment every run gets: a private home and no inherited annotate settings.
    let home: URL
    var environment: [String: String] = [:]
    /// Where the binary runs; the test process's own directory when nil.
    var workingDirectory: URL?

    init(home: URL) {
        self.home = home
    }

    func baseEnvironment() -> [String: String] {
        let inherited = ["ANNOTATE_", "TARGET_", "GEMINI_", "GOOGLE_API_KEY", "OPENAI_", "DB_", "THUMBNAIL_BUCKET_NAME"]
        var env = ProcessInfo.processInfo.environment.filter { variable in !inherited.contains { variable.key.hasPrefix($0) } }
        env["ANNOTATE_HOME"] = home.path
        // The offline annotator unless a test chooses another: the default (gemini) needs a key.
        env["ANNOTATE_ANNOTATOR"] = "metadata"
        // serve stops at once on SIGTERM unless a test asks for a drain (--drain-delay).
        env["ANNOTATE_DRAIN_DELAY"] = "0s"
        return env.merging(environment) { _, new in new }
    }

    /// Runs to completion (optionally feeding stdin) and returns status and output.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 120) throws -> Result {
        let process = start(arguments, stdin: stdin)
        let deadline = Date().addingTimeInterval(timeout)
        while process.process.isRunning {
            if Date() > deadline {
                // Ask, then insist: a child that ignores SIGTERM must not hang the suite.
                process.process.terminate()
                let killAt = Date().addingTimeInterval(5)
                while process.process.isRunning && Date() < killAt { usleep(10_000) }
                if process.process.isRunning { kill(process.process.processIdentifier, SIGKILL) }
                break
            }
            usleep(10_000)
        }
        return process.finish()
    }

    /// What a finished child cost, from wait4: independent of how busy the machine is.
    struct Usage {
        var status: Int32
        var cpuSeconds: Double
        var peakResidentMB: Double
    }

    /// Runs to completion with output discarded, and reports its CPU time and peak RSS.
    ///
    /// Measured through a small forking Python process, not spawned from here: `posix_spawn`
    /// shares this (large) test process's memory until exec, and Linux then records this
    /// process's peak RSS as the child's own `ru_maxrss` — a 300 MB parent made every child
    /// look 300 MB. The grandchild of a forking 10 MB process starts clean.
    func measure(_ arguments: [String]) throws -> Usage {
        let script = """
            import os, sys
            pid = os.fork()
            if pid == 0:
                null = os.open(os.devnull, os.O_WRONLY)
                os.dup2(null, 1)
                os.dup2(null, 2)
                os.execv(sys.argv[1], sys.argv[1:])
            _, status, usage = os.wait4(pid, 0)
            print(os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, Self.url.path] + arguments
        process.environment = baseEnvironment()
        let out = Pipe()
        process.standardOutput = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 3, let status = Int32(fields[0]), let cpu = Double(fields[1]), let kilobytes = Double(fields[2]) else {
            throw BinaryError.notJSON("the measuring python3 printed \(text.debugDescription)")
        }
        return Usage(status: status, cpuSeconds: cpu, peakResidentMB: kilobytes / 1024)
    }

    /// Starts without waiting; `finish()` collects the output.
    func start(_ arguments: [String], stdin: String? = nil) -> Running {
        let process = Process()
        process.executableURL = Self.url
        process.arguments = arguments
        process.environment = baseEnvironment()
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        let out = temporaryFile("out"), err = temporaryFile("err")
        process.standardOutput = try? FileHandle(forWritingTo: out)
        process.standardError = try? FileHandle(forWritingTo: err)
        let input = Pipe()
        process.standardInput = input
        try! process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        return Running(process: process, stdout: out, stderr: err)
    }

    private func temporaryFile(_ label: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("annotate-\(label)-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        return url
    }

    struct Running {
        let process: Process
        let stdout: URL
        let stderr: URL

        func finish() -> Result {
            process.waitUntilExit()
            defer {
                try? FileManager.default.removeItem(at: stdout)
                try? FileManager.default.removeItem(at: stderr)
            }
            return Result(
                status: process.terminationStatus,
                stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
                stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
        }
    }
}
