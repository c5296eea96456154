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

    init(home: URL) {
        self.home = home
    }

    func baseEnvironment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("ANNOTATE_") && !$0.key.hasPrefix("TARGET_") }
        env["ANNOTATE_HOME"] = home.path
        return env.merging(environment) { _, new in new }
    }

    /// Runs to completion (optionally feeding stdin) and returns status and output.
    @discardableResult
    func run(_ arguments: [String], stdin: String? = nil, timeout: TimeInterval = 120) throws -> Result {
        let process = start(arguments, stdin: stdin)
        let deadline = Date().addingTimeInterval(timeout)
        while process.process.isRunning {
            if Date() > deadline {
                process.process.terminate()
                break
            }
            usleep(10_000)
        }
        return process.finish()
    }

    /// Starts without waiting; `finish()` collects the output.
    func start(_ arguments: [String], stdin: String? = nil) -> Running {
        let process = Process()
        process.executableURL = Self.url
        process.arguments = arguments
        process.environment = baseEnvironment()
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
            return Result(status: process.terminationStatus,
                          stdout: (try? String(contentsOf: stdout, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOf: stderr, encoding: .utf8)) ?? "")
        }
    }
}
