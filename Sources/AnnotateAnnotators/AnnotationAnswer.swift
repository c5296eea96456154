import AnnotateCore
import Crypto
import Foundation

/// The instruction sent with each image, and what comes back.
public enum AnnotationPrompt {
    /// The built-in instruction. Changing it changes the prompt hash, so `--stale` finds old annotations.
    public static let standard = """
        Describe this photo for a searchable image gallery. Answer with JSON only: "caption" is one or two \
        plain sentences (at most 35 words) about the main subject, setting and anything notable, written \
        directly ("A red fox…"), never starting with "This image" or "The photo"; "tags" is 3 to 8 lowercase \
        search keywords (single words or short phrases).
        """

    /// First 16 hex digits of the prompt's SHA-256: recorded with each annotation.
    public static func hash(_ prompt: String) -> String {
        SHA256.hash(data: Data(prompt.utf8)).map { String(format: "%02x", $0) }.joined().prefix(16).description
    }
}

/// Reads a model's JSON answer into a clean caption and tags.
enum AnnotationAnswer {
    struct Parsed: Equatable {
        var caption: String
        var tags: [String]
    }

    /// Parses `{"caption": …, "tags": […]}` (also `description` for the caption, tolerating code fences).
    static func parse(_ text: String) throws(AnnotationError) -> Parsed {
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasPrefix("```") {
            body = body.split(separator: "\n", omittingEmptySubsequences: false).dropFirst()
                .joined(separator: "\n").replacingOccurrences(of: "```", with: "")
        }
        guard let data = body.data(using: .utf8),
            let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else {
            throw .permanent("the model's answer is not the requested JSON: \(preview(text))")
        }
        let rawCaption = (object["caption"] ?? object["description"]) as? String ?? ""
        let caption = cleanCaption(rawCaption)
        guard !caption.isEmpty else { throw .permanent("the model's answer has no caption: \(preview(text))") }
        let rawTags = object["tags"] as? [Any] ?? []
        return Parsed(caption: caption, tags: cleanTags(rawTags.compactMap { $0 as? String }))
    }

    /// Openers that say nothing about the picture.
    private static let fillerOpeners = [
        "this image shows", "this image depicts", "this image features", "this image is of", "this image captures",
        "this photo shows", "this photo depicts", "this photograph shows", "this picture shows", "the image shows",
        "the image depicts", "the image features", "the photo shows", "the photo depicts", "the picture shows",
        "in this image,", "in this photo,", "in the image,", "an image of", "a photo of", "a photograph of", "a picture of",
        "image of", "photo of",
    ]

    /// Removes markdown emphasis and leading list or heading markers, filler openers and quotes
    /// that wrap the whole caption; collapses whitespace, capitalises, ends with a full stop. The
    /// model's own text is otherwise kept as it is: a quote or bracket inside it stays.
    static func cleanCaption(_ text: String) -> String {
        var caption = text
        for marker in ["**", "__", "`"] { caption = caption.replacingOccurrences(of: marker, with: "") }
        caption = caption.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        var changed = true
        while changed {
            let before = caption
            caption = String(caption.drop { "#-–•* ".contains($0) })
            while caption.last == " " || caption.last == "*" { caption.removeLast() }
            caption = unwrappingQuotes(caption)
            for opener in fillerOpeners where caption.lowercased().hasPrefix(opener) {
                caption = String(caption.dropFirst(opener.count)).trimmingCharacters(in: CharacterSet(charactersIn: " :,"))
            }
            changed = caption != before
        }
        guard let first = caption.first else { return "" }
        caption = first.uppercased() + caption.dropFirst()
        if let last = caption.last, !".!?".contains(last) { caption += "." }
        return caption
    }

    /// Quote pairs a model may wrap its whole answer in.
    private static let quotePairs: [(open: Character, close: Character)] = [("\"", "\""), ("'", "'"), ("“", "”"), ("‘", "’"), ("«", "»")]

    /// `"A cat."` → `A cat.`; `"A" and "B"` and `A & "friends"` stay as they are: the first and
    /// last characters are removed only when they are one pair that encloses everything between.
    static func unwrappingQuotes(_ text: String) -> String {
        guard text.count >= 2, let first = text.first, let last = text.last,
            let pair = quotePairs.first(where: { $0.open == first && $0.close == last })
        else { return text }
        let inner = text.dropFirst().dropLast()
        if pair.open == pair.close {
            guard !inner.contains(pair.open) else { return text }
        } else {
            var depth = 0
            for character in inner {
                if character == pair.open { depth += 1 }
                if character == pair.close { depth -= 1 }
                if depth < 0 { return text }
            }
            guard depth == 0 else { return text }
        }
        return inner.trimmingCharacters(in: .whitespaces)
    }

    /// Lower-case, trimmed, without `#`, unique, at most 12.
    static func cleanTags(_ tags: [String]) -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for tag in tags {
            let clean = tag.replacingOccurrences(of: "#", with: "").split(whereSeparator: { $0.isWhitespace })
                .joined(separator: " ").trimmingCharacters(in: .punctuationCharacters).lowercased()
            if !clean.isEmpty, clean.count <= 60, seen.insert(clean).inserted { result.append(clean) }
        }
        return Array(result.prefix(12))
    }

    /// The start of a text for an error message.
    static func preview(_ text: String) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 80 ? String(flat.prefix(80)) + "…" : flat
    }
}
