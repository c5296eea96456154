#!/usr/bin/env python3
"""make bench, metadata stores (issue 5): both backends, measured in one run.

  - $BENCH_STORE_RECORDS records (default 1,000,000; status mix of a real deployment: mostly
    completed, some failed and pending): what `status` reads (summary + latest failures) and one 50-row gallery page (keyset,
    from the middle), each the median of 20 in-process calls (annotate-store-bench reads), plus the
    wall time of the whole `annotate status --json` command. Target: each under 50 ms.
  - claim + complete throughput of the store alone: 4 stores (as 4 worker processes would) claim and
    complete 2 x $BENCH_CLAIM_IMAGES tasks (default 5,000 images). Target on MariaDB: >= 2,000 tasks/s.

The big databases are built once (SQLite with Python's sqlite3, MariaDB with INSERT ... SELECT from its
sequence engine) and reused while their record count matches; the annotate binary migrates them.
MariaDB is the one scripts/test-services.sh runs (innodb_flush_log_at_trx_commit=2: commits are not
fsynced one by one), unless ANNOTATE_TEST_MYSQL_URL names another. BENCH_SKIP_STORE=1 skips all this.
"""
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from urllib.parse import urlparse, unquote

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(ROOT, ".build", "release")
BINARY = os.environ.get("ANNOTATE_BIN", os.path.join(RELEASE, "annotate"))
STORE_BENCH = os.path.join(RELEASE, "annotate-store-bench")
RECORDS = int(os.environ.get("BENCH_STORE_RECORDS", "1000000"))
CLAIM_IMAGES = int(os.environ.get("BENCH_CLAIM_IMAGES", "5000"))
WORK = os.environ.get("BENCH_STORE_DIR", "/tmp/annotate-bench-store")
CHUNK = 100_000

# The populated rows: every 50th annotation failed, every 100th image (offset 1) pending, every
# 100th (offset 7) thumbnail failed; the rest completed, with a caption, tags and tokens.
CAPTION = "A photograph of subject %d in soft light, with fine detail in the foreground and a quiet background."


def status_of(n):
    annotation = "failed" if n % 50 == 0 else "pending" if n % 100 == 1 else "completed"
    thumbnail = "pending" if n % 100 == 1 else "failed" if n % 100 == 7 else "completed"
    return annotation, thumbnail


def store_bench(*args):
    """Runs annotate-store-bench; its lines are `[SECTION] key=value …` → {SECTION or "": {key: value}}."""
    out = subprocess.run([STORE_BENCH, *args], check=True, capture_output=True, text=True).stdout
    sections = {}
    for line in out.splitlines():
        words = line.split()
        name = "" if "=" in words[0] else words.pop(0)
        sections.setdefault(name, {}).update(word.split("=", 1) for word in words)
    return sections


def mysql_server():
    url = os.environ.get("ANNOTATE_TEST_MYSQL_URL")
    started = False
    if not url:
        script = os.path.join(ROOT, "scripts", "test-services.sh")
        started = subprocess.run([script, "running"]).returncode != 0  # stop only what this run starts
        subprocess.run([script, "start"], check=True)
        env = subprocess.run([os.path.join(ROOT, "scripts", "test-services.sh"), "env"], check=True,
                             capture_output=True, text=True).stdout
        url = env.split("'")[1]  # export ANNOTATE_TEST_MYSQL_URL='…' …
    return urlparse(url), started


def mysql_url(server, database):
    return "mysql://%s:%s@%s:%d/%s" % (server.username, server.password, server.hostname, server.port or 3306, database)


def mysql(server, sql, database=None):
    argv = ["mariadb", "--no-defaults", "-h", server.hostname, "-P", str(server.port or 3306), "-u", server.username,
            "-N", "-B", "-e", sql] + ([database] if database else [])
    env = dict(os.environ, MYSQL_PWD=unquote(server.password or ""))
    return subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout.strip()


def build_sqlite(path):
    url = "sqlite:" + path
    if os.path.exists(path):
        count = sqlite3.connect(path).execute("SELECT COUNT(*) FROM images").fetchone()[0]
        if count == RECORDS:
            return url, "reused"
        os.remove(path)
    subprocess.run([STORE_BENCH, "open", url], check=True)
    con = sqlite3.connect(path)
    con.execute("PRAGMA synchronous = OFF")

    def rows():
        for n in range(1, RECORDS + 1):
            sha = "%064x" % n
            annotation, thumbnail = status_of(n)
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(1767225600 + n))
            yield ("photo-%d.jpg" % n, sha, "image/jpeg", 1000000 + n, 4000, 3000, "uploads/%s-photo-%d.jpg" % (sha[:16], n),
                   "thumbnails/%s-photo-%d.jpg" % (sha[:16], n), CAPTION % (n % 97), '["nature","outdoor"]',
                   "gemini-2.5-flash-lite", "abc123", 250 + n % 50, annotation, thumbnail, 1, 1, stamp, stamp)
    with con:
        con.executemany("""INSERT INTO images (filename, sha256, content_type, size_bytes, width, height, s3_key_original,
            s3_key_thumbnail, annotation, tags, model, prompt_hash, tokens, annotation_status, thumbnail_status,
            annotation_attempts, thumbnail_attempts, uploaded_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows())
    con.close()
    return url, "built"


def build_mysql(server, database):
    url = mysql_url(server, database)
    exists = mysql(server, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = '%s' AND table_name = 'images'" % database)
    if exists == "1" and mysql(server, "SELECT COUNT(*) FROM images", database) == str(RECORDS):
        return url, "reused"
    mysql(server, "DROP DATABASE IF EXISTS %s; CREATE DATABASE %s CHARACTER SET utf8mb4" % (database, database))
    subprocess.run([STORE_BENCH, "open", url], check=True)
    caption = CAPTION.replace("%d", "', n % 97, '")
    for start in range(0, RECORDS, CHUNK):
        size = min(CHUNK, RECORDS - start)
        mysql(server, """INSERT INTO images (filename, sha256, content_type, size_bytes, width, height, s3_key_original,
            s3_key_thumbnail, annotation, tags, model, prompt_hash, tokens, annotation_status, thumbnail_status,
            annotation_attempts, thumbnail_attempts, uploaded_at, updated_at)
          SELECT CONCAT('photo-', n, '.jpg'), LOWER(LPAD(HEX(n), 64, '0')), 'image/jpeg', 1000000 + n, 4000, 3000,
            CONCAT('uploads/', LOWER(LPAD(HEX(n), 16, '0')), '-photo-', n, '.jpg'), CONCAT('thumbnails/', LOWER(LPAD(HEX(n), 16, '0')), '-photo-', n, '.jpg'),
            CONCAT('%s'), '["nature","outdoor"]', 'gemini-2.5-flash-lite', 'abc123', 250 + n %% 50,
            CASE WHEN n %% 50 = 0 THEN 'failed' WHEN n %% 100 = 1 THEN 'pending' ELSE 'completed' END,
            CASE WHEN n %% 100 = 1 THEN 'pending' WHEN n %% 100 = 7 THEN 'failed' ELSE 'completed' END, 1, 1,
            '2026-01-01 00:00:00' + INTERVAL n SECOND, '2026-01-01 00:00:00' + INTERVAL n SECOND
          FROM (SELECT seq + %d AS n FROM seq_1_to_%d) AS numbers""" % (caption, start, size), database)
    return url, "built"


def command_ms(url, repeat=5):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([BINARY, "status", "--json", "--db", url], check=True, stdout=subprocess.DEVNULL,
                       env=dict(os.environ, ANNOTATE_HOME=os.path.join(WORK, "home")))
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def verdict(ok):
    return "ok" if ok else "ABOVE TARGET"


def main():
    if os.environ.get("BENCH_SKIP_STORE") == "1":
        return
    os.makedirs(WORK, exist_ok=True)
    server, started = mysql_server()
    try:
        print()
        print("metadata stores: %d records (status = summary + latest failures, and a 50-row gallery page; median of 20 in-process calls; target < 50 ms)" % RECORDS)
        targets = [("sqlite", build_sqlite(os.path.join(WORK, "records-%d.db" % RECORDS))),
                   ("mariadb", build_mysql(server, "annotate_bench_records"))]
        for name, (url, how) in targets:
            reads = store_bench("reads", url, "20")
            assert int(reads[""]["records"]) == RECORDS, reads
            summary_ms = float(reads["status"]["median_ms"])
            page_ms = float(reads["page"]["median_ms"])
            whole = command_ms(url)
            print("%-8s status %6.2f ms %s   gallery page %6.2f ms %s   whole `annotate status --json` %6.1f ms  (%s)"
                  % (name, summary_ms, verdict(summary_ms < 50), page_ms, verdict(page_ms < 50), whole, how))

        print("claim + complete, the store alone, 4 workers, %d tasks" % (2 * CLAIM_IMAGES))
        sqlite_path = os.path.join(WORK, "claims.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(sqlite_path + suffix):
                os.remove(sqlite_path + suffix)
        mysql(server, "DROP DATABASE IF EXISTS annotate_bench_claims; CREATE DATABASE annotate_bench_claims CHARACTER SET utf8mb4")
        for name, url, target in [("mariadb", mysql_url(server, "annotate_bench_claims"), 2000), ("sqlite", "sqlite:" + sqlite_path, None)]:
            result = store_bench("claims", url, str(CLAIM_IMAGES), "4")
            result = result[""]
            rate = float(result["tasks_per_s"])
            note = ("(target >= %d) %s" % (target, "ok" if rate >= target else "BELOW TARGET")) if target else "(for comparison)"
            print("%-8s %7.0f tasks/s in %s s %s" % (name, rate, result["seconds"], note))
    finally:
        if started:
            subprocess.run([os.path.join(ROOT, "scripts", "test-services.sh"), "stop"], check=False)


if __name__ == "__main__":
    sys.exit(main())
