import AnnotateKit
import ArgumentParser
import Foundation
import Logging

struct Doctor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check this host: configuration, database, stores, annotator endpoint and key, image formats.",
        discussion:
            "One line per check with what to do when it fails; exit 0 when all pass, 1 otherwise. Writes and deletes one small probe object (doctor/probe-….txt) in each store."
    )

    @OptionGroup(title: "Processing") var processing: ProcessingOptions
    @OptionGroup(title: "Global options") var global: GlobalOptions

    func run() async throws {
        let configuration = Result {
            try Configuration.resolve(
                flags: global.flagValues.merging(processing.flagValues) { _, new in new },
                configFile: global.config, environment: ProcessInfo.processInfo.environment)
        }
        LogSetup.bootstrapOnce(level: global.verbose ? .debug : .error)
        let checks = await AnnotateKit.Doctor.run(configuration, logger: Logger(label: "annotate"))
        let output = Output(json: global.json, quiet: global.quiet)
        for check in checks {
            if global.json {
                await output.result(json: CheckLine(check: check))
            } else {
                let mark = check.passed ? "ok  " : "FAIL"
                await output.result(
                    "\(mark)  \(check.name.padding(toLength: 16, withPad: " ", startingAt: 0))\(check.detail)"
                        + (check.advice.map { "\n      \(String(repeating: " ", count: 16))→ \($0)" } ?? ""))
            }
        }
        if checks.contains(where: { !$0.passed }) { throw ExitCode(.itemsFailed) }
    }
}

/// `{"check", "passed", "detail", "advice"}`.
struct CheckLine: Encodable {
    let check: DoctorCheck
    enum CodingKeys: String, CodingKey { case check, passed, detail, advice }
    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(check.name, forKey: .check)
        try c.encode(check.passed, forKey: .passed)
        try c.encode(check.detail, forKey: .detail)
        try c.encode(check.advice, forKey: .advice)
    }
}
