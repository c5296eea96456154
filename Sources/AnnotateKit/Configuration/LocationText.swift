import Foundation

/// The `scheme:PATH` form shared by `--db sqlite:PATH` and `--store file:DIR`.
enum LocationText {
    /// The absolute path after `scheme:` (or of a bare path); `example` shows the right form in errors.
    static func path(_ text: String, scheme: String, what: String, example: String) throws(ConfigurationProblem) -> String {
        var path = text
        if text.hasPrefix("\(scheme):") {
            path = String(text.dropFirst(scheme.count + 1))
            if path.hasPrefix("//") { path.removeFirst(2) }
        } else if let colon = text.firstIndex(of: ":"), text[..<colon].count > 1,
                  text[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" }) {
            throw ConfigurationProblem("unsupported \(what) URL scheme \(String(text[..<colon]).debugDescription): write \(example)")
        }
        guard !path.isEmpty else { throw ConfigurationProblem("the \(what) URL \(text.debugDescription) has no path; write \(example)") }
        return URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
    }
}
