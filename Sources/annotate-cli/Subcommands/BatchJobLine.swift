import AnnotateCore
import AnnotatePipeline
import Foundation

/// A batch job's event in a `process --batch` run: `{"batch_job", "name", "event", "state",
/// "requests", "note"}` with `--json`, else one line.
struct BatchJobLine: Encodable {
    let report: BatchJobReport

    enum CodingKeys: String, CodingKey { case batch_job, name, event, state, requests, note }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(report.job.displayName, forKey: .batch_job)
        try c.encode(report.job.name, forKey: .name)
        try c.encode(report.event.rawValue, forKey: .event)
        try c.encode(report.job.state?.rawValue, forKey: .state)
        try c.encode(report.job.requests, forKey: .requests)
        try c.encode(report.job.note, forKey: .note)
    }

    var text: String {
        let job = report.job
        let name = job.name.map { " (\($0))" } ?? ""
        let detail =
            switch report.event {
            case .submitted: "\(job.requests) request\(job.requests == 1 ? "" : "s")"
            default: job.note ?? job.state?.rawValue ?? ""
            }
        return "\(report.event.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  batch job \(job.displayName)\(name): \(detail)"
    }

    static func print(_ report: BatchJobReport, to output: Output) async {
        let line = BatchJobLine(report: report)
        if output.json { await output.result(json: line) } else { await output.result(line.text) }
    }
}
