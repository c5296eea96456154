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
        annotation_attempts, thumbnail_status, thumbnail_error, thumbnail_error_class, thumbnail_attempts, uploaded_at, updated_at,
        input_tokens, output_tokens, service_tier, annotation_lease_owner
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

    /// The usage ledger, summed over its shards.
    static let usageQuery = """
        SELECT model, service_tier, SUM(annotations), SUM(input_tokens), SUM(output_tokens), SUM(tokens)
        FROM image_usage GROUP BY model, service_tier ORDER BY model, service_tier
        """

    /// The ledger's seed from the records already annotated: they were billed at the standard
    /// tier (flex came with the ledger), without the input/output split.
    static let usageSeed = """
        SELECT COALESCE(model, ''), 'standard', 0, COUNT(*), 0, 0, SUM(tokens) FROM images
        WHERE annotation_status = 'completed' AND tokens IS NOT NULL GROUP BY COALESCE(model, '')
        """
}
