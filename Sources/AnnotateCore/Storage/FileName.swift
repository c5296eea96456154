import Foundation

/// Turns a user's file name into the name part of an object key.
public enum FileName {
    /// Keeps letters and digits (any script), `.`, `-` and `_`; everything else becomes `_`.
    /// Never empty, never hidden, at most 120 characters with the extension kept.
    public static func sanitised(_ name: String) -> String {
        let base = name.split(separator: "/").last.map(String.init) ?? ""
        var out = ""
        var lastWasUnderscore = false
        for character in base.precomposedStringWithCanonicalMapping {
            let keep = character.isLetter || character.isNumber || character == "." || character == "-" || character == "_"
            if keep {
                out.append(character)
                lastWasUnderscore = character == "_"
            } else if !lastWasUnderscore {
                out.append("_")
                lastWasUnderscore = true
            }
        }
        if out.count > 120 {
            let ext = (out as NSString).pathExtension
            let keepExt = ext.count > 0 && ext.count <= 10
            let stem = keepExt ? String(out.dropLast(ext.count + 1)) : out
            out = String(stem.prefix(keepExt ? 119 - ext.count : 120)) + (keepExt ? ".\(ext)" : "")
        }
        // After the cut, which can join a trailing dot of the stem to the extension's.
        while out.hasPrefix(".") || out.hasPrefix("_") { out.removeFirst() }
        while out.contains("..") { out = out.replacingOccurrences(of: "..", with: "_") }
        if out.isEmpty || out.allSatisfy({ $0 == "." || $0 == "_" }) { out = "image" }
        return out
    }

    /// The name without its extension.
    public static func stem(_ name: String) -> String {
        let ns = name as NSString
        let stem = ns.deletingPathExtension
        return stem.isEmpty ? name : stem
    }
}
