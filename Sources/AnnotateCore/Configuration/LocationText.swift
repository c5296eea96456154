import Foundation

/// The `scheme:PATH` form shared by `--db sqlite:PATH` and `--store file:DIR`.
package enum LocationText {
    /// The absolute path after `scheme:`; `example` shows the accepted forms in errors. A value
    /// without the scheme is refused rather than taken as a path: `--db 'not a url'` must not
    /// quietly create a file of that name in the working directory.
    package static func path(_ text: String, scheme: String, what: String, example: String) throws(ConfigurationProblem) -> String {
        guard text.hasPrefix("\(scheme):") else {
            if let colon = text.firstIndex(of: ":"), text[..<colon].count > 1,
                text[..<colon].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "+" })
            {
                throw ConfigurationProblem("unsupported \(what) URL scheme \(String(text[..<colon]).debugDescription): write \(example)")
            }
            throw ConfigurationProblem("\(text.debugDescription) is not a \(what) URL: write \(example)")
        }
        var path = String(text.dropFirst(scheme.count + 1))
        if path.hasPrefix("//") { path.removeFirst(2) }
        guard !path.isEmpty else { throw ConfigurationProblem("the \(what) URL \(text.debugDescription) has no path; write \(example)") }
        return URL(fileURLWithPath: (path as NSString).expandingTildeInPath).standardizedFileURL.path
    }
}
