import Foundation

/// A result row read by column name, as each backend delivers it; one decoder turns it into an
/// `ImageRecord`, so both backends read records alike.
protocol RecordRow {
    func text(_ column: String) -> String?
    func integer(_ column: String) -> Int64?
}

extension ImageRecord {
    /// Decodes the columns of `Schema.recordColumns`.
    init(row: some RecordRow) {
        self.init(
            id: row.integer("id") ?? 0,
            filename: row.text("filename") ?? "",
            sha256: row.text("sha256"),
            contentType: row.text("content_type"),
            size: row.integer("size_bytes"),
            width: row.integer("width").map { Int($0) },
            height: row.integer("height").map { Int($0) },
            originalKey: row.text("s3_key_original") ?? "",
            thumbnailKey: row.text("s3_key_thumbnail"),
            annotation: row.text("annotation"),
            tags: TagList.decode(row.text("tags")),
            model: row.text("model"),
            promptHash: row.text("prompt_hash"),
            tokens: row.integer("tokens").map { Int($0) },
            annotationStatus: TaskStatus(rawValue: row.text("annotation_status") ?? "") ?? .pending,
            annotationError: row.text("annotation_error"),
            annotationErrorClass: row.text("annotation_error_class").flatMap(FailureClass.init(rawValue:)),
            annotationAttempts: Int(row.integer("annotation_attempts") ?? 0),
            thumbnailStatus: TaskStatus(rawValue: row.text("thumbnail_status") ?? "") ?? .pending,
            thumbnailError: row.text("thumbnail_error"),
            thumbnailErrorClass: row.text("thumbnail_error_class").flatMap(FailureClass.init(rawValue:)),
            thumbnailAttempts: Int(row.integer("thumbnail_attempts") ?? 0),
            uploadedAt: Timestamp.parse(row.text("uploaded_at") ?? "") ?? Date(timeIntervalSince1970: 0),
            updatedAt: Timestamp.parse(row.text("updated_at") ?? "") ?? Date(timeIntervalSince1970: 0))
    }
}

/// Tags as the `tags` column stores them: a JSON array of strings.
enum TagList {
    static func encode(_ tags: [String]) -> String {
        let data = (try? JSONEncoder().encode(tags)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) -> [String] {
        guard let text, let data = text.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: data)) ?? []
    }
}
