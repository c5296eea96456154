import AnnotateCore

/// The `images` table's schema as named, append-only migrations. Never edit a migration that has
/// shipped: add a new one. The first is the original deployment's table exactly, created only if
/// missing, so a database made by that deployment is migrated in place with its rows kept.
enum Schema {
    struct Migration {
        let name: String
        let statements: [String]
    }

    /// Columns that every record query reads, in `RecordDecoding` order.
    static let recordColumnCount = recordColumns.split(separator: ",").count

    /// What every record query selects first, in this order: `ImageRecord(row:)` reads by position.
    static let recordColumns = """
        id, filename, sha256, content_type, size_bytes, width, height, s3_key_original, s3_key_thumbnail,
        annotation, tags, model, prompt_hash, tokens, annotation_status, annotation_error, annotation_error_class,
        annotation_attempts, thumbnail_status, thumbnail_error, thumbnail_error_class, thumbnail_attempts, uploaded_at, updated_at
        """

    /// The latest failures, newest first: each task's failed rows come from its (status,
    /// updated_at) index, so this reads a few rows however many images there are. Both dialects
    /// accept it; the three placeholders all take the limit.
    static let latestFailuresQuery = """
        SELECT \(recordColumns) FROM images JOIN (
            SELECT id FROM (SELECT id FROM images WHERE annotation_status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ?) AS a
            UNION
            SELECT id FROM (SELECT id FROM images WHERE thumbnail_status = 'failed' ORDER BY updated_at DESC, id DESC LIMIT ?) AS t
        ) AS latest USING (id)
        ORDER BY updated_at DESC, id DESC LIMIT ?
        """

}
