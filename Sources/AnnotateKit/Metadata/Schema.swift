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
        Migration(name: "0003-lease-owner-indexes", statements: [
            "CREATE INDEX images_annotation_lease_owner ON images (annotation_lease_owner)",
            "CREATE INDEX images_thumbnail_lease_owner ON images (thumbnail_lease_owner)",
        ]),
    ]

    /// The same migrations for MySQL/MariaDB. DDL there is not transactional, so each migration
    /// that changes the table is one ALTER TABLE (atomic in InnoDB), and the rest is idempotent.
    static let mysql: [Migration] = [
        Migration(name: "0001-original-images-table", statements: [
            """
            CREATE TABLE IF NOT EXISTS images (
                id INT AUTO_INCREMENT PRIMARY KEY,
                filename VARCHAR(255) NOT NULL,
                s3_key_original VARCHAR(255) NOT NULL UNIQUE,
                s3_key_thumbnail VARCHAR(255),
                annotation TEXT,
                annotation_status VARCHAR(50) DEFAULT 'pending',
                thumbnail_status VARCHAR(50) DEFAULT 'pending',
                uploaded_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
                updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP
            ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
            """,
        ]),
        Migration(name: "0002-pipeline-columns", statements: [
            // utf8mb4_bin: object keys and hashes compare byte for byte, as S3 does. DATETIME
            // (read in the session's UTC) instead of TIMESTAMP, which ends in 2038.
            """
            ALTER TABLE images CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
                MODIFY id BIGINT NOT NULL AUTO_INCREMENT,
                MODIFY filename VARCHAR(1024) NOT NULL,
                MODIFY s3_key_original VARCHAR(512) NOT NULL,
                MODIFY s3_key_thumbnail VARCHAR(512) NULL,
                MODIFY annotation MEDIUMTEXT NULL,
                MODIFY annotation_status VARCHAR(50) NULL DEFAULT 'pending',
                MODIFY thumbnail_status VARCHAR(50) NULL DEFAULT 'pending',
                MODIFY uploaded_at DATETIME NULL DEFAULT CURRENT_TIMESTAMP,
                MODIFY updated_at DATETIME NULL DEFAULT CURRENT_TIMESTAMP,
                ADD COLUMN sha256 CHAR(64) NULL,
                ADD COLUMN content_type VARCHAR(100) NULL,
                ADD COLUMN size_bytes BIGINT NULL,
                ADD COLUMN width INT NULL,
                ADD COLUMN height INT NULL,
                ADD COLUMN tags TEXT NULL,
                ADD COLUMN model VARCHAR(200) NULL,
                ADD COLUMN prompt_hash VARCHAR(100) NULL,
                ADD COLUMN tokens BIGINT NULL,
                ADD COLUMN annotation_error TEXT NULL,
                ADD COLUMN annotation_attempts INT NOT NULL DEFAULT 0,
                ADD COLUMN annotation_lease_owner VARCHAR(200) NULL,
                ADD COLUMN annotation_lease_until BIGINT NULL,
                ADD COLUMN thumbnail_error TEXT NULL,
                ADD COLUMN thumbnail_attempts INT NOT NULL DEFAULT 0,
                ADD COLUMN thumbnail_lease_owner VARCHAR(200) NULL,
                ADD COLUMN thumbnail_lease_until BIGINT NULL,
                ADD UNIQUE INDEX images_sha256 (sha256),
                ADD INDEX images_annotation_status (annotation_status, id),
                ADD INDEX images_thumbnail_status (thumbnail_status, id),
                ADD INDEX images_updated_at (updated_at, id)
            """,
            "UPDATE images SET annotation_status = 'pending' WHERE annotation_status IS NULL",
            "UPDATE images SET thumbnail_status = 'pending' WHERE thumbnail_status IS NULL",
        ]),
        Migration(name: "0003-lease-owner-indexes", statements: [
            """
            ALTER TABLE images ADD INDEX images_annotation_lease_owner (annotation_lease_owner),
                ADD INDEX images_thumbnail_lease_owner (thumbnail_lease_owner)
            """,
        ]),
    ]
}
