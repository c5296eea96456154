#!/usr/bin/env bash
# Starts and stops the real servers the test suite runs against, under $ANNOTATE_TEST_SERVICES
# (default /tmp/annotate-test-services), each on 127.0.0.1 and stopped by its PID.
#
#   scripts/test-services.sh start          start MariaDB (initialising its data directory once),
#                                           SeaweedFS's S3 server (access key AKIATESTKEY) and moto's
#                                           server (SQS, S3 notifications, EventBridge)
#   scripts/test-services.sh stop           stop them
#   scripts/test-services.sh restart-mariadb | restart-s3 | stop-s3 | start-s3   (the tests use these)
#   scripts/test-services.sh running        exit 0 when all are running
#   scripts/test-services.sh with CMD...    run CMD with the servers up and their variables set, stopping
#                                           afterwards the ones this call started
#   scripts/test-services.sh env            print the variables the tests read, as shell exports (with
#                                           the path of AWS's Lambda emulator, fetched once)
#
# `make test` runs start, the tests and stop. The servers need the packages `make deps` installs.
set -euo pipefail

ROOT="${ANNOTATE_TEST_SERVICES:-/tmp/annotate-test-services}"
MARIADB_DIR="$ROOT/mariadb"
MARIADB_PORT="${ANNOTATE_TEST_MARIADB_PORT:-13306}"
MARIADB_SOCKET="$MARIADB_DIR/run/mysqld.sock"
MARIADB_URL="mysql://annotate:annotate-test-pw@127.0.0.1:$MARIADB_PORT/annotate_test"

# As root the server must be told to stay root; otherwise it runs as the caller.
user_flag=()
[ "$(id -u)" -eq 0 ] && user_flag=(--user=root)

mariadb_admin() { mariadb-admin --no-defaults --socket="$MARIADB_SOCKET" -uroot "$@"; }

mariadb_running() {
  [ -f "$MARIADB_DIR/server.pid" ] && kill -0 "$(cat "$MARIADB_DIR/server.pid")" 2>/dev/null
}

# A private CA and a server certificate for 127.0.0.1, so the tests can check ?ssl=verify.
# (Made once; the tests read their paths from `env`.)
make_tls_certificates() {
  local tls="$MARIADB_DIR/tls"
  [ -f "$tls/other-ca.pem" ] && return 0
  mkdir -p "$tls"
  # other-ca.pem signs nothing: the tests check that a server it did not sign is refused.
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=another CA" \
    -keyout "$tls/other-ca-key.pem" -out "$tls/other-ca.pem" 2>/dev/null
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=annotate test CA" \
    -keyout "$tls/ca-key.pem" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$tls/server-key.pem" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/san.cnf"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca-key.pem" -CAcreateserial -days 3650 \
    -extfile "$tls/san.cnf" -out "$tls/server.pem" 2>/dev/null
}

start_mariadb() {
  if mariadb_running; then return 0; fi
  mkdir -p "$MARIADB_DIR/run"
  local fresh=0
  if [ ! -d "$MARIADB_DIR/data/mysql" ]; then
    fresh=1
    rm -rf "$MARIADB_DIR/data"
    mkdir -p "$MARIADB_DIR/data"
    mariadb-install-db --no-defaults "${user_flag[@]}" --datadir="$MARIADB_DIR/data" \
      --auth-root-authentication-method=normal --skip-test-db >"$MARIADB_DIR/install.log" 2>&1 \
      || { cat "$MARIADB_DIR/install.log" >&2; exit 1; }
  fi
  make_tls_certificates
  # The server's output goes to files so it never holds the caller's pipe open.
  mariadbd --no-defaults "${user_flag[@]}" --datadir="$MARIADB_DIR/data" --socket="$MARIADB_SOCKET" \
    --pid-file="$MARIADB_DIR/run/mysqld.pid" --port="$MARIADB_PORT" --bind-address=127.0.0.1 \
    --skip-name-resolve --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
    --ssl-ca="$MARIADB_DIR/tls/ca.pem" --ssl-cert="$MARIADB_DIR/tls/server.pem" --ssl-key="$MARIADB_DIR/tls/server-key.pem" \
    --max-connections=500 --log-error="$MARIADB_DIR/error.log" >"$MARIADB_DIR/stdout.log" 2>&1 &
  echo $! >"$MARIADB_DIR/server.pid"
  for _ in $(seq 300); do
    mariadb_admin ping >/dev/null 2>&1 && break
    mariadb_running || { echo "MariaDB did not start; see $MARIADB_DIR/error.log" >&2; tail -20 "$MARIADB_DIR/error.log" >&2; exit 1; }
    sleep 0.1
  done
  mariadb_admin ping >/dev/null 2>&1 || { echo "MariaDB did not answer within 30 s" >&2; exit 1; }
  if [ "$fresh" -eq 1 ]; then
    # The tests create and drop their own databases (annotate_t_*), so the user may too.
    mariadb --no-defaults --socket="$MARIADB_SOCKET" -uroot -e "
      CREATE DATABASE annotate_test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
      CREATE USER 'annotate'@'127.0.0.1' IDENTIFIED BY 'annotate-test-pw';
      GRANT ALL PRIVILEGES ON \`annotate\\_%\`.* TO 'annotate'@'127.0.0.1';
      GRANT PROCESS, CONNECTION ADMIN ON *.* TO 'annotate'@'127.0.0.1';"
  fi
}

# Databases earlier runs' tests made (annotate_t_*) are dropped at start; each test makes its own.
drop_test_databases() {
  mariadb --no-defaults --socket="$MARIADB_SOCKET" -uroot -N -e \
    "SELECT schema_name FROM information_schema.schemata WHERE schema_name LIKE 'annotate\\_t\\_%'" |
    while read -r name; do mariadb --no-defaults --socket="$MARIADB_SOCKET" -uroot -e "DROP DATABASE \`$name\`"; done
}

# Stops the process in PIDFILE: SIGTERM, up to SECONDS to exit cleanly, then SIGKILL.
stop_by_pidfile() {
  local pidfile="$1" seconds="$2" pid
  [ -f "$pidfile" ] || return 0
  pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq $((seconds * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

stop_mariadb() { stop_by_pidfile "$MARIADB_DIR/server.pid" 30; }

# Waits until URL answers over HTTP; stops with the log's tail when the process (checked by the
# function RUNNING) dies first or SECONDS pass. wait_for_http NAME URL RUNNING LOG SECONDS
wait_for_http() {
  local name="$1" url="$2" running="$3" log="$4" seconds="$5"
  for _ in $(seq $((seconds * 4))); do
    curl -s -o /dev/null "$url" && return 0
    "$running" || { echo "$name did not start; see $log" >&2; tail -20 "$log" >&2; exit 1; }
    sleep 0.25
  done
  echo "$name did not answer within $seconds s" >&2
  exit 1
}

S3_DIR="$ROOT/s3"
S3_PORT="${ANNOTATE_TEST_S3_PORT:-8333}"

s3_running() {
  [ -f "$S3_DIR/weed.pid" ] && kill -0 "$(cat "$S3_DIR/weed.pid")" 2>/dev/null
}

start_s3() {
  if s3_running; then return 0; fi
  local weed; weed="$("$(dirname "$0")/weed-path.sh")"
  mkdir -p "$S3_DIR/data"
  cat >"$S3_DIR/s3.json" <<'JSON'
{"identities":[{"name":"tester","credentials":[{"accessKey":"AKIATESTKEY","secretKey":"test-secret-key"}],
  "actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  # weed mini: master, volume, filer and S3 in one process, bound to loopback only.
  # Each bucket is a collection that takes several volumes: allow plenty (the automatic limit ran
  # out after a few dozen buckets).
  "$weed" mini -dir="$S3_DIR/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -s3.port="$S3_PORT" -s3.config="$S3_DIR/s3.json" \
    -volume.max=2000 -master.volumeSizeLimitMB=64 \
    -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 >"$S3_DIR/weed.log" 2>&1 &
  echo $! >"$S3_DIR/weed.pid"
  wait_for_http "SeaweedFS's S3 server" "http://127.0.0.1:$S3_PORT/" s3_running "$S3_DIR/weed.log" 60
}

stop_s3() { stop_by_pidfile "$S3_DIR/weed.pid" 10; }

# moto's server: SQS, S3 notifications and EventBridge for the queue and deployment tests.
# Each test makes its own queues and buckets; nothing is kept between runs (it holds state in memory).
MOTO_DIR="$ROOT/moto"
MOTO_PORT="${ANNOTATE_TEST_MOTO_PORT:-5005}"

moto_running() {
  [ -f "$MOTO_DIR/moto.pid" ] && kill -0 "$(cat "$MOTO_DIR/moto.pid")" 2>/dev/null
}

start_moto() {
  if moto_running; then return 0; fi
  "$(dirname "$0")/aws-tools.sh" moto
  mkdir -p "$MOTO_DIR"
  python3 -m moto.server -H 127.0.0.1 -p "$MOTO_PORT" >"$MOTO_DIR/moto.log" 2>&1 &
  echo $! >"$MOTO_DIR/moto.pid"
  wait_for_http "moto's server" "http://127.0.0.1:$MOTO_PORT/moto-api/" moto_running "$MOTO_DIR/moto.log" 30
}

stop_moto() { stop_by_pidfile "$MOTO_DIR/moto.pid" 10; }

case "${1:-}" in
  # Every test makes its own buckets and nothing needs to outlive a run: a fresh start begins
  # empty (start-s3, which tests use to bring the server back mid-run, keeps the data).
  start) start_mariadb; drop_test_databases; s3_running || rm -rf "$S3_DIR/data"; start_s3; start_moto ;;
  stop) stop_mariadb; stop_s3; stop_moto ;;
  restart-mariadb) stop_mariadb; start_mariadb ;;
  start-s3) start_s3 ;;
  stop-s3) stop_s3 ;;
  restart-s3) stop_s3; start_s3 ;;
  running) mariadb_running && s3_running && moto_running ;;
  env) echo "export ANNOTATE_TEST_MYSQL_URL='$MARIADB_URL' ANNOTATE_TEST_MYSQL_CA='$MARIADB_DIR/tls/ca.pem'" \
         "ANNOTATE_TEST_S3_ENDPOINT='http://127.0.0.1:$S3_PORT' ANNOTATE_TEST_S3_ACCESS_KEY=AKIATESTKEY" \
         "ANNOTATE_TEST_S3_SECRET_KEY=test-secret-key ANNOTATE_TEST_MOTO_ENDPOINT='http://127.0.0.1:$MOTO_PORT'" \
         "ANNOTATE_TEST_RIE='$("$(dirname "$0")/aws-tools.sh" rie)'" ;;
  with)
    shift
    started=0
    "$0" running || started=1
    "$0" start
    eval "$("$0" env)"
    status=0
    "$@" || status=$?
    [ "$started" -eq 1 ] && "$0" stop
    exit "$status"
    ;;
  *) echo "usage: $0 start|stop|restart-mariadb|start-s3|stop-s3|restart-s3|running|env|with CMD..." >&2; exit 64 ;;
esac
