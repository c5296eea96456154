#!/usr/bin/env bash
# Runs the test suite against real servers: starts the ones scripts/test-services.sh manages
# (unless ANNOTATE_TEST_MYSQL_URL already points at one), runs `swift test --skip-build` with
# any arguments given (e.g. --filter MySQL), and stops what it started, whatever the outcome.
# A server that was already running is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
started=0
if [ -z "${ANNOTATE_TEST_MYSQL_URL:-}" ]; then
  scripts/test-services.sh running || started=1   # stop only what this run starts
  scripts/test-services.sh start
  eval "$(scripts/test-services.sh env)"
fi
status=0
"${SWIFT:-swift}" test --skip-build "$@" || status=$?
[ "$started" -eq 1 ] && scripts/test-services.sh stop
exit "$status"
