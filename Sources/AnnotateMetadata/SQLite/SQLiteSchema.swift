import AnnotateCore

/// SQLite's migrations, in the order they ship (the shared names and columns are in `Schema`).
extension Schema {
    static let sqlite: [Migration] = [
        Migration(
            name: "0001-original-images-table",
            statements: [
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
                """
            ]),
        Migration(
            name: "0002-pipeline-columns",
            statements: [
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
        Migration(
            name: "0003-lease-owner-indexes",
            statements: [
                "CREATE INDEX images_annotation_lease_owner ON images (annotation_lease_owner)",
                "CREATE INDEX images_thumbnail_lease_owner ON images (thumbnail_lease_owner)",
            ]),
        Migration(name: "0004-task-counts", statements: sqliteTaskCounts),
        Migration(
            name: "0005-failure-indexes",
            statements: [
                "DROP INDEX images_updated_at",
                "CREATE INDEX images_annotation_failures ON images (annotation_status, updated_at, id)",
                "CREATE INDEX images_thumbnail_failures ON images (thumbnail_status, updated_at, id)",
            ]),
        Migration(
            name: "0006-failure-classes",
            statements: [
                "ALTER TABLE images ADD COLUMN annotation_error_class TEXT",
                "ALTER TABLE images ADD COLUMN thumbnail_error_class TEXT",
                // Failures recorded before classes existed: gave up after retries, or failed at once.
                "UPDATE images SET annotation_error_class = CASE WHEN annotation_error LIKE 'gave up after%' THEN 'transient' ELSE 'permanent' END WHERE annotation_status = 'failed'",
                "UPDATE images SET thumbnail_error_class = CASE WHEN thumbnail_error LIKE 'gave up after%' THEN 'transient' ELSE 'permanent' END WHERE thumbnail_status = 'failed'",
            ]),
        // MySQL's change counter; SQLite reads PRAGMA data_version instead, so it adds nothing
        // (recorded all the same, so both dialects list the same migrations).
        Migration(name: "0007-change-counter", statements: []),
        Migration(name: "0008-token-usage", statements: sqliteUsage),
        Migration(
            name: "0009-batch-jobs",
            statements: [
                """
                CREATE TABLE batch_jobs (display_name TEXT PRIMARY KEY, name TEXT, model TEXT NOT NULL, prompt_hash TEXT, phase TEXT NOT NULL,
                    state TEXT, input_file TEXT, requests INTEGER NOT NULL DEFAULT 0, succeeded INTEGER NOT NULL DEFAULT 0,
                    failed INTEGER NOT NULL DEFAULT 0, note TEXT, owner TEXT, owner_until INTEGER,
                    created_ms INTEGER NOT NULL, updated_ms INTEGER NOT NULL)
                """,
                "CREATE INDEX batch_jobs_phase ON batch_jobs (phase, created_ms)",
            ]),
    ]

    /// The input/output split and tier of each annotation, and `image_usage`: the tokens every
    /// recorded annotation was billed, per model and tier, added by a trigger as each one is
    /// recorded (so `status` prices a handful of rows, and a replaced annotation stays paid for).
    private static let sqliteUsage: [String] = [
        "ALTER TABLE images ADD COLUMN input_tokens INTEGER",
        "ALTER TABLE images ADD COLUMN output_tokens INTEGER",
        "ALTER TABLE images ADD COLUMN service_tier TEXT",
        """
        CREATE TABLE image_usage (model TEXT NOT NULL, service_tier TEXT NOT NULL, shard INTEGER NOT NULL,
            annotations INTEGER NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, tokens INTEGER NOT NULL,
            PRIMARY KEY (model, service_tier, shard)) WITHOUT ROWID
        """,
        "INSERT INTO image_usage (model, service_tier, shard, annotations, input_tokens, output_tokens, tokens) \(usageSeed)",
        """
        CREATE TRIGGER images_usage AFTER UPDATE OF annotation_status ON images
        WHEN NEW.annotation_status = 'completed' AND OLD.annotation_status IS NOT 'completed' AND NEW.tokens IS NOT NULL BEGIN
            INSERT INTO image_usage (model, service_tier, shard, annotations, input_tokens, output_tokens, tokens)
                VALUES (COALESCE(NEW.model, ''), COALESCE(NEW.service_tier, 'standard'), 0, 1,
                    COALESCE(NEW.input_tokens, 0), COALESCE(NEW.output_tokens, 0), NEW.tokens)
                ON CONFLICT (model, service_tier, shard) DO UPDATE SET annotations = annotations + 1,
                    input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens,
                    tokens = tokens + excluded.tokens;
        END
        """,
    ]

    /// `image_counts` keeps, per task and status, how many images are in it (and the token
    /// total), maintained by triggers, so `status` reads a handful of rows however large the
    /// table. (Counting a million rows takes hundreds of milliseconds.) SQLite has one writer at
    /// a time, so it needs one shard.
    private static let sqliteTaskCounts: [String] = {
        func change(_ task: String, _ status: String, _ delta: String) -> String {
            """
            INSERT INTO image_counts (task, status, shard, n) VALUES ('\(task)', \(status), 0, \(delta))
                ON CONFLICT (task, status, shard) DO UPDATE SET n = n + excluded.n;
            """
        }
        var statements = [
            """
            CREATE TABLE image_counts (task TEXT NOT NULL, status TEXT NOT NULL, shard INTEGER NOT NULL,
                n INTEGER NOT NULL, PRIMARY KEY (task, status, shard)) WITHOUT ROWID
            """,
            """
            INSERT INTO image_counts (task, status, shard, n)
                SELECT 'annotation', COALESCE(annotation_status, 'pending'), 0, COUNT(*) FROM images GROUP BY 2
            """,
            """
            INSERT INTO image_counts (task, status, shard, n)
                SELECT 'thumbnail', COALESCE(thumbnail_status, 'pending'), 0, COUNT(*) FROM images GROUP BY 2
            """,
            "INSERT INTO image_counts (task, status, shard, n) SELECT 'tokens', '', 0, COALESCE(SUM(tokens), 0) FROM images",
            """
            CREATE TRIGGER images_counts_insert AFTER INSERT ON images BEGIN
                \(change("annotation", "COALESCE(NEW.annotation_status, 'pending')", "1"))
                \(change("thumbnail", "COALESCE(NEW.thumbnail_status, 'pending')", "1"))
                \(change("tokens", "''", "COALESCE(NEW.tokens, 0)"))
            END
            """,
            """
            CREATE TRIGGER images_counts_delete AFTER DELETE ON images BEGIN
                \(change("annotation", "COALESCE(OLD.annotation_status, 'pending')", "-1"))
                \(change("thumbnail", "COALESCE(OLD.thumbnail_status, 'pending')", "-1"))
                \(change("tokens", "''", "-COALESCE(OLD.tokens, 0)"))
            END
            """,
            """
            CREATE TRIGGER images_counts_tokens AFTER UPDATE OF tokens ON images WHEN OLD.tokens IS NOT NEW.tokens BEGIN
                \(change("tokens", "''", "COALESCE(NEW.tokens, 0) - COALESCE(OLD.tokens, 0)"))
            END
            """,
        ]
        for task in ["annotation", "thumbnail"] {
            statements.append(
                """
                CREATE TRIGGER images_counts_\(task) AFTER UPDATE OF \(task)_status ON images
                WHEN OLD.\(task)_status IS NOT NEW.\(task)_status BEGIN
                    \(change(task, "COALESCE(OLD.\(task)_status, 'pending')", "-1"))
                    \(change(task, "COALESCE(NEW.\(task)_status, 'pending')", "1"))
                END
                """)
        }
        return statements
    }()
}
