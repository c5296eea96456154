import AnnotateCore

/// MySQL/MariaDB's migrations, with the same names as SQLite's (see `Schema`).
extension Schema {
    /// The same migrations for MySQL/MariaDB. DDL there is not transactional, so each migration
    /// that changes the table is one ALTER TABLE (atomic in InnoDB), and the rest is idempotent.
    static let mysql: [Migration] = [
        Migration(
            name: "0001-original-images-table",
            statements: [
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
                """
            ]),
        Migration(
            name: "0002-pipeline-columns",
            statements: [
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
        Migration(
            name: "0003-lease-owner-indexes",
            statements: [
                """
                ALTER TABLE images ADD INDEX images_annotation_lease_owner (annotation_lease_owner),
                    ADD INDEX images_thumbnail_lease_owner (thumbnail_lease_owner)
                """
            ]),
        Migration(name: "0004-task-counts", statements: mysqlTaskCounts),
        Migration(
            name: "0005-failure-indexes",
            statements: [
                """
                ALTER TABLE images DROP INDEX images_updated_at,
                    ADD INDEX images_annotation_failures (annotation_status, updated_at, id),
                    ADD INDEX images_thumbnail_failures (thumbnail_status, updated_at, id)
                """
            ]),
        Migration(
            name: "0006-failure-classes",
            statements: [
                "ALTER TABLE images ADD COLUMN IF NOT EXISTS annotation_error_class VARCHAR(20) NULL, ADD COLUMN IF NOT EXISTS thumbnail_error_class VARCHAR(20) NULL",
                "UPDATE images SET annotation_error_class = CASE WHEN annotation_error LIKE 'gave up after%' THEN 'transient' ELSE 'permanent' END WHERE annotation_status = 'failed'",
                "UPDATE images SET thumbnail_error_class = CASE WHEN thumbnail_error LIKE 'gave up after%' THEN 'transient' ELSE 'permanent' END WHERE thumbnail_status = 'failed'",
            ]),
        Migration(name: "0007-change-counter", statements: mysqlChangeCounter),
        Migration(name: "0008-token-usage", statements: mysqlUsage),
        Migration(
            name: "0009-batch-jobs",
            statements: [
                """
                CREATE TABLE IF NOT EXISTS batch_jobs (display_name VARCHAR(100) NOT NULL PRIMARY KEY, name VARCHAR(200) NULL,
                    model VARCHAR(200) NOT NULL, prompt_hash VARCHAR(100) NULL, phase VARCHAR(20) NOT NULL, state VARCHAR(20) NULL, input_file VARCHAR(200) NULL,
                    requests BIGINT NOT NULL DEFAULT 0, succeeded BIGINT NOT NULL DEFAULT 0, failed BIGINT NOT NULL DEFAULT 0,
                    note TEXT NULL, owner VARCHAR(200) NULL, owner_until BIGINT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
                    INDEX batch_jobs_phase (phase, created_ms)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin
                """
            ]),
    ]

    /// As SQLite's, with the ledger sharded by connection like `image_counts`; rerunnable (the
    /// trigger first, then the seed, so no annotation falls between them).
    private static let mysqlUsage: [String] = [
        """
        ALTER TABLE images ADD COLUMN IF NOT EXISTS input_tokens BIGINT NULL, ADD COLUMN IF NOT EXISTS output_tokens BIGINT NULL,
            ADD COLUMN IF NOT EXISTS service_tier VARCHAR(20) NULL
        """,
        """
        CREATE TABLE IF NOT EXISTS image_usage (model VARCHAR(200) NOT NULL, service_tier VARCHAR(20) NOT NULL, shard INT NOT NULL,
            annotations BIGINT NOT NULL, input_tokens BIGINT NOT NULL, output_tokens BIGINT NOT NULL, tokens BIGINT NOT NULL,
            PRIMARY KEY (model, service_tier, shard)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin
        """,
        "DROP TRIGGER IF EXISTS images_usage_update",
        """
        CREATE TRIGGER images_usage_update AFTER UPDATE ON images FOR EACH ROW BEGIN
            IF NEW.annotation_status = 'completed' AND NOT (OLD.annotation_status <=> 'completed') AND NEW.tokens IS NOT NULL THEN
                INSERT INTO image_usage (model, service_tier, shard, annotations, input_tokens, output_tokens, tokens)
                    VALUES (COALESCE(NEW.model, ''), COALESCE(NEW.service_tier, 'standard'), CONNECTION_ID() % \(mysqlCountShards), 1,
                        COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), NEW.tokens)
                    ON DUPLICATE KEY UPDATE annotations = annotations + 1, input_tokens = input_tokens + VALUES(input_tokens),
                        output_tokens = output_tokens + VALUES(output_tokens), tokens = tokens + VALUES(tokens);
            END IF;
        END
        """,
        "DELETE FROM image_usage",
        "INSERT INTO image_usage (model, service_tier, shard, annotations, input_tokens, output_tokens, tokens) \(usageSeed)",
    ]

    /// `image_changes`: how many writes each connection shard made to `images`, so a reader can
    /// tell in one small read whether anything changed (SQLite answers that with PRAGMA
    /// data_version instead). Separate triggers from the counts', which skip updates that change
    /// no status; rerunnable like every MySQL migration.
    private static let mysqlChangeCounter: [String] = {
        let bump = "INSERT INTO image_changes (shard, n) VALUES (CONNECTION_ID() % \(mysqlCountShards), 1) ON DUPLICATE KEY UPDATE n = n + 1;"
        var statements = [
            "CREATE TABLE IF NOT EXISTS image_changes (shard INT NOT NULL PRIMARY KEY, n BIGINT NOT NULL) ENGINE=InnoDB",
            "INSERT INTO image_changes (shard, n) VALUES " + (0..<mysqlCountShards).map { "(\($0), 0)" }.joined(separator: ", ")
                + " ON DUPLICATE KEY UPDATE n = n",
        ]
        for event in ["insert", "update", "delete"] {
            statements.append("DROP TRIGGER IF EXISTS images_changes_\(event)")
            statements.append("CREATE TRIGGER images_changes_\(event) AFTER \(event.uppercased()) ON images FOR EACH ROW BEGIN \(bump) END")
        }
        return statements
    }()

    /// `image_counts` as for SQLite, but sharded by connection: concurrent workers update
    /// different counter rows instead of queueing on one. The rows exist up front, so a trigger
    /// only ever updates.
    static let mysqlCountShards = 8

    private static let mysqlTaskCounts: [String] = {
        let shard = "CONNECTION_ID() % \(mysqlCountShards)"
        func change(_ task: String, _ pairs: [(status: String, delta: String)]) -> String {
            let values = pairs.map { "('\(task)', \($0.status), \(shard), \($0.delta))" }.joined(separator: ", ")
            return "INSERT INTO image_counts (task, status, shard, n) VALUES \(values) ON DUPLICATE KEY UPDATE n = n + VALUES(n);"
        }
        let seeds = (0..<mysqlCountShards).flatMap { shard in
            ["annotation", "thumbnail"].flatMap { task in
                TaskStatus.allCases.map { "('\(task)', '\($0.rawValue)', \(shard), 0)" }
            } + ["('tokens', '', \(shard), 0)"]
        }
        // Triggers first, then the count, so no change falls between them. Every statement can
        // run again: MySQL DDL commits as it goes, so a migration cut short is simply rerun.
        return [
            """
            CREATE TABLE IF NOT EXISTS image_counts (task VARCHAR(20) NOT NULL, status VARCHAR(50) NOT NULL, shard INT NOT NULL,
                n BIGINT NOT NULL, PRIMARY KEY (task, status, shard)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin
            """,
            "DROP TRIGGER IF EXISTS images_counts_insert",
            """
            CREATE TRIGGER images_counts_insert AFTER INSERT ON images FOR EACH ROW BEGIN
                \(change("annotation", [("COALESCE(NEW.annotation_status, 'pending')", "1")]))
                \(change("thumbnail", [("COALESCE(NEW.thumbnail_status, 'pending')", "1")]))
                IF NEW.tokens IS NOT NULL THEN \(change("tokens", [("''", "NEW.tokens")])) END IF;
            END
            """,
            "DROP TRIGGER IF EXISTS images_counts_delete",
            """
            CREATE TRIGGER images_counts_delete AFTER DELETE ON images FOR EACH ROW BEGIN
                \(change("annotation", [("COALESCE(OLD.annotation_status, 'pending')", "-1")]))
                \(change("thumbnail", [("COALESCE(OLD.thumbnail_status, 'pending')", "-1")]))
                IF OLD.tokens IS NOT NULL THEN \(change("tokens", [("''", "-OLD.tokens")])) END IF;
            END
            """,
            "DROP TRIGGER IF EXISTS images_counts_update",
            """
            CREATE TRIGGER images_counts_update AFTER UPDATE ON images FOR EACH ROW BEGIN
                IF NOT (OLD.annotation_status <=> NEW.annotation_status) THEN
                    \(change("annotation", [("COALESCE(OLD.annotation_status, 'pending')", "-1"), ("COALESCE(NEW.annotation_status, 'pending')", "1")]))
                END IF;
                IF NOT (OLD.thumbnail_status <=> NEW.thumbnail_status) THEN
                    \(change("thumbnail", [("COALESCE(OLD.thumbnail_status, 'pending')", "-1"), ("COALESCE(NEW.thumbnail_status, 'pending')", "1")]))
                END IF;
                IF NOT (OLD.tokens <=> NEW.tokens) THEN
                    \(change("tokens", [("''", "COALESCE(NEW.tokens, 0) - COALESCE(OLD.tokens, 0)")]))
                END IF;
            END
            """,
            "DELETE FROM image_counts",
            "INSERT INTO image_counts (task, status, shard, n) VALUES \(seeds.joined(separator: ", ")) ON DUPLICATE KEY UPDATE n = n",
            """
            INSERT INTO image_counts (task, status, shard, n)
                SELECT 'annotation', COALESCE(annotation_status, 'pending'), 0, COUNT(*) FROM images GROUP BY 2
                ON DUPLICATE KEY UPDATE n = n + VALUES(n)
            """,
            """
            INSERT INTO image_counts (task, status, shard, n)
                SELECT 'thumbnail', COALESCE(thumbnail_status, 'pending'), 0, COUNT(*) FROM images GROUP BY 2
                ON DUPLICATE KEY UPDATE n = n + VALUES(n)
            """,
            "UPDATE image_counts SET n = (SELECT COALESCE(SUM(tokens), 0) FROM images) WHERE task = 'tokens' AND shard = 0",
        ]
    }()
}
