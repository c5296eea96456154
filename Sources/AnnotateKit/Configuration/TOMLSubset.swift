import AnnotateCore
import Foundation

/// Reads the part of TOML a configuration file needs: `key = value` lines with strings (basic and
/// literal), integers, floats and booleans, `#` comments, and `[prices."MODEL"]` tables (a price
/// list per model). Other tables and arrays are refused with the line number, so a file never
/// silently means something else.
enum TOMLSubset {
    /// One `key = value` line; `table` is the model of the `[prices."MODEL"]` table it is in.
    struct Entry: Equatable {
        var table: String?
        var key: String
        var value: String
        var line: Int
    }

    /// The tables a file may have: `prices`, one per model.
    static let tableName = "prices"

    /// The entries in file order (numbers and booleans as written, strings unquoted).
    static func parse(_ text: String, path: String) throws -> [Entry] {
        var entries: [Entry] = []
        var table: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.trimmingCharacters(in: .whitespaces.union(CharacterSet(charactersIn: "\r")))
            if line.isEmpty || line.hasPrefix("#") { continue }
            func fail(_ message: String) -> ConfigurationError {
                ConfigurationError(source: .file(path: path, key: "line \(lineNumber)"), message: message)
            }
            if line.hasPrefix("[") {
                table = try tableHeader(line, fail: fail)
                continue
            }
            guard let equals = line.firstIndex(of: "=") else { throw fail("expected key = value") }
            var key = line[..<equals].trimmingCharacters(in: .whitespaces)
            if key.count >= 2, key.first == "\"" || key.first == "'", key.last == key.first {
                key = String(key.dropFirst().dropLast())
            }
            guard !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw fail("invalid key \(key.debugDescription)")
            }
            let valueText = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            let value = try parseValue(valueText, fail: fail)
            entries.append(Entry(table: table, key: key, value: value, line: lineNumber))
        }
        return entries
    }

    /// The model named by a `[prices."MODEL"]` (or `[prices.MODEL]`) header.
    private static func tableHeader(_ line: String, fail: (String) -> ConfigurationError) throws -> String {
        let refusal = "the only tables are [\(tableName).\"MODEL\"] (a model's prices); write other settings as key = value at the top"
        var header = line.split(separator: "#", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard header.hasPrefix("["), header.hasSuffix("]"), !header.hasPrefix("[[") else { throw fail(refusal) }
        header = String(header.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
        guard header.hasPrefix(tableName + ".") else { throw fail(refusal) }
        var model = header.dropFirst(tableName.count + 1).trimmingCharacters(in: .whitespaces)
        if model.count >= 2, model.first == "\"" || model.first == "'", model.last == model.first {
            model = String(model.dropFirst().dropLast())
        } else if model.contains(where: { !($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) {
            throw fail("quote a model name with dots or slashes: [\(tableName).\"\(model)\"]")
        }
        guard !model.isEmpty else { throw fail(refusal) }
        return model
    }

    private static func parseValue(_ text: String, fail: (String) -> ConfigurationError) throws -> String {
        guard let first = text.first else { throw fail("missing value") }
        if first == "\"" {
            var result = ""
            var iterator = text.dropFirst().makeIterator()
            while let c = iterator.next() {
                if c == "\"" {
                    let rest = String(iterator).trimmingCharacters(in: .whitespaces)
                    guard rest.isEmpty || rest.hasPrefix("#") else { throw fail("unexpected text after the string") }
                    return result
                }
                if c == "\\" {
                    guard let e = iterator.next() else { break }
                    switch e {
                    case "n": result.append("\n")
                    case "t": result.append("\t")
                    case "r": result.append("\r")
                    case "\\": result.append("\\")
                    case "\"": result.append("\"")
                    case "u", "U":
                        let count = e == "u" ? 4 : 8
                        var hex = ""
                        for _ in 0..<count { if let h = iterator.next() { hex.append(h) } }
                        guard let scalar = UInt32(hex, radix: 16).flatMap(Unicode.Scalar.init) else { throw fail("invalid \\\(e) escape") }
                        result.unicodeScalars.append(scalar)
                    default: throw fail("invalid escape \\\(e)")
                    }
                } else {
                    result.append(c)
                }
            }
            throw fail("unterminated string (multi-line strings are not supported)")
        }
        if first == "'" {
            let body = text.dropFirst()
            guard let close = body.firstIndex(of: "'") else { throw fail("unterminated string") }
            let rest = body[body.index(after: close)...].trimmingCharacters(in: .whitespaces)
            guard rest.isEmpty || rest.hasPrefix("#") else { throw fail("unexpected text after the string") }
            return String(body[..<close])
        }
        if first == "[" || first == "{" { throw fail("arrays and inline tables are not supported") }
        let bare = text.split(separator: "#", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if bare == "true" || bare == "false" { return bare }
        let number = bare.replacingOccurrences(of: "_", with: "")
        if Int64(number) != nil || Double(number) != nil { return number }
        throw fail("invalid value \(bare.debugDescription); quote strings: key = \"value\"")
    }
}
