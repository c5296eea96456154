import AnnotateCore
import AnnotateKit
import AnnotatePresentation
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

    /// One result line on stdout (control characters from file names shown escaped).
    func result(_ text: String) {
        write(Self.printable(text))
    }

    /// One JSON object on stdout (JSON escapes control characters itself).
    func result(json value: some Encodable) {
        write(JSONLine.encode(value))
    }

    private func write(_ line: String) {
        clearProgress()
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
        drawProgress()
    }

    /// A message for the person on stderr.
    nonisolated func message(_ text: String) {
        FileHandle.standardError.write(Data((Self.printable(text) + "\n").utf8))
    }

    /// `text` with control characters (other than line breaks) written as `\u{…}`, so a file
    /// named with an escape sequence cannot drive the terminal that shows it.
    static func printable(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isControl(scalar) { out += "\\u{\(String(scalar.value, radix: 16))}" } else { out.unicodeScalars.append(scalar) }
        }
        return out
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\n" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{202E}")
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
