import AnnotateKit
import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes results to stdout (JSON lines or text) and messages to stderr, and keeps a progress bar
/// on stderr out of the way of both. An actor, since results arrive from concurrent tasks.
actor Output {
    let json: Bool
    private var progress: (done: Int, total: Int, label: String)?
    private let showProgress: Bool

    init(json: Bool, quiet: Bool) {
        self.json = json
        showProgress = !quiet && isatty(STDERR_FILENO) == 1
    }

    /// One result line on stdout.
    func result(_ text: String) {
        clearProgress()
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
        drawProgress()
    }

    /// One JSON object on stdout.
    func result(json value: some Encodable) {
        result(JSONLine.encode(value))
    }

    /// A message for the person on stderr.
    nonisolated func message(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    func startProgress(total: Int, label: String) {
        progress = (0, total, label)
        drawProgress()
    }

    func advanceProgress() {
        guard let current = progress else { return }
        progress = (current.done + 1, current.total, current.label)
        drawProgress()
    }

    func finishProgress() {
        clearProgress()
        progress = nil
    }

    private func drawProgress() {
        guard showProgress, let (done, total, label) = progress, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(done)/\(total) \(label)\u{1B}[K".utf8))
    }

    private func clearProgress() {
        guard showProgress, progress != nil else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}

/// Runs a subcommand body, turning errors into a message on stderr and the contract's exit status.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ExitStatusProviding {
        FileHandle.standardError.write(Data("annotate: \(error)\n".utf8))
        throw ExitCode(error.exitStatus.rawValue)
    } catch let error as CancellationError {
        throw error
    } catch {
        FileHandle.standardError.write(Data("annotate: \(error)\n".utf8))
        throw ExitCode(ExitStatus.itemsFailed.rawValue)
    }
}

extension ExitCode {
    init(_ status: ExitStatus) {
        self.init(status.rawValue)
    }
}
