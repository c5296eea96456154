import AnnotateCore
import Foundation

/// A result row read by position, as each backend delivers it; one decoder turns it into an
/// `ImageRecord`, so both backends read records alike. Every record query selects
/// `Schema.recordColumns` first and in that order, so positions are fixed — and reading by
/// position spares a name lookup per column per row (a gallery page reads 50 rows of 24).
protocol RecordRow {
    func text(at index: Int) -> String?
    func integer(at index: Int) -> Int64?
}

extension ImageRecord {
    /// Decodes the columns of `Schema.recordColumns`, by their positions there.
    init(row: some RecordRow) {
        self.init(
            id: row.integer(at: 0) ?? 0,
            filename: row.text(at: 1) ?? "",
            sha256: row.text(at: 2),
            contentType: row.text(at: 3),
            size: row.integer(at: 4),
            width: row.integer(at: 5).map { Int($0) },
            height: row.integer(at: 6).map { Int($0) },
            originalKey: row.text(at: 7) ?? "",
            thumbnailKey: row.text(at: 8),
            annotation: row.text(at: 9),
            tags: TagList.decode(row.text(at: 10)),
            model: row.text(at: 11),
            promptHash: row.text(at: 12),
            tokens: row.integer(at: 13).map { Int($0) },
            inputTokens: row.integer(at: 24).map { Int($0) },
            outputTokens: row.integer(at: 25).map { Int($0) },
            serviceTier: row.text(at: 26).flatMap(ServiceTier.init(rawValue:)),
            batchJob: BatchJob.displayName(heldBy: row.text(at: 27)),
            annotationStatus: TaskStatus(rawValue: row.text(at: 14) ?? "") ?? .pending,
            annotationError: row.text(at: 15),
            annotationErrorClass: row.text(at: 16).flatMap(FailureClass.init(rawValue:)),
            annotationAttempts: Int(row.integer(at: 17) ?? 0),
            thumbnailStatus: TaskStatus(rawValue: row.text(at: 18) ?? "") ?? .pending,
            thumbnailError: row.text(at: 19),
            thumbnailErrorClass: row.text(at: 20).flatMap(FailureClass.init(rawValue:)),
            thumbnailAttempts: Int(row.integer(at: 21) ?? 0),
            uploadedAt: Timestamp.parse(row.text(at: 22) ?? "") ?? Date(timeIntervalSince1970: 0),
            updatedAt: Timestamp.parse(row.text(at: 23) ?? "") ?? Date(timeIntervalSince1970: 0))
    }
}

/// Tags as the `tags` column stores them: a JSON array of strings.
enum TagList {
    static func encode(_ tags: [String]) -> String {
        let data = (try? JSONEncoder().encode(tags)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) -> [String] {
        guard let text, text != "[]", let data = text.data(using: .utf8) else { return [] }
        return (try? JSONSerialization.jsonObject(with: data)) as? [String] ?? []
    }
}
