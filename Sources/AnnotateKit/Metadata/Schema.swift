/// The `images` table's schema as named, append-only migrations. Never edit a migration that has
/// shipped: add a new one. The first is the original deployment's table exactly, created only if
/// missing, so a database made by that deployment is migrated in place with its rows kept.
enum Schema {
    struct Migration {
        let name: String
        let statements: [String]
    }

    /// Columns that every record query reads, in `RecordDecoding` order.
    static let recordColumns = """
        id, filename, sha256, content_type, size_bytes, width, height, s3_key_original, s3_key_thumbnail,
        annotation, tags, model, prompt_hash, tokens, annotation_status, annotation_error, annotation_attempts,
        thumbnail_status, thumbnail_error, thumbnail_attempts, uploaded_at, updated_at
        """

    static let sqlite: [Migration] = [
        Migration(name: "0001-original-images-table", statements: [
            """
            CREATE TABLE IF NOT EXISTS images (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                filename TEXT NOT NULL,
                s3_key_original TEXT NOT NULL UNIQUE,
                s3_key_thumbnail TEXT,
                annotation TEXT,
                annotation_status TEXT DEFAULT 'pending',
                thumbnail_status TEXT DEFAULT 'pending',
                uploaded_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
            )
            """,
        ]),
        Migration(name: "0002-pipeline-columns", statements: [
            "ALTER TABLE images ADD COLUMN sha256 TEXT",
            "ALTER TABLE images ADD COLUMN content_type TEXT",
            "ALTER TABLE images ADD COLUMN size_bytes INTEGER",
            "ALTER TABLE images ADD COLUMN width INTEGER",
            "ALTER TABLE images ADD COLUMN height INTEGER",
            "ALTER TABLE images ADD COLUMN tags TEXT",
            "ALTER TABLE images ADD COLUMN model TEXT",
            "ALTER TABLE images ADD COLUMN prompt_hash TEXT",
            "ALTER TABLE images ADD COLUMN tokens INTEGER",
            "ALTER TABLE images ADD COLUMN annotation_error TEXT",
            "ALTER TABLE images ADD COLUMN annotation_attempts INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE images ADD COLUMN annotation_lease_owner TEXT",
            "ALTER TABLE images ADD COLUMN annotation_lease_until INTEGER",
            "ALTER TABLE images ADD COLUMN thumbnail_error TEXT",
            "ALTER TABLE images ADD COLUMN thumbnail_attempts INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE images ADD COLUMN thumbnail_lease_owner TEXT",
            "ALTER TABLE images ADD COLUMN thumbnail_lease_until INTEGER",
            // Rows from the original deployment may hold NULL statuses: NULL meant "not started".
            "UPDATE images SET annotation_status = 'pending' WHERE annotation_status IS NULL",
            "UPDATE images SET thumbnail_status = 'pending' WHERE thumbnail_status IS NULL",
            "CREATE UNIQUE INDEX images_sha256 ON images (sha256)",
            "CREATE INDEX images_annotation_status ON images (annotation_status, id)",
            "CREATE INDEX images_thumbnail_status ON images (thumbnail_status, id)",
            "CREATE INDEX images_updated_at ON images (updated_at, id)",
        ]),
    ]
}
