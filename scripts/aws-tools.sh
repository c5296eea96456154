#!/usr/bin/env bash
# The AWS stand-ins the tests run against, installed from PyPI when missing:
#   scripts/aws-tools.sh moto   makes sure moto's server (moto[server], pinned) can run; prints nothing
#   scripts/aws-tools.sh cfn-lint  makes sure cfn-lint (pinned: its rules change between releases) is installed
#   scripts/aws-tools.sh rie    prints the path of AWS's Lambda Runtime Interface Emulator, taken out of the
#                               aws-sam-cli wheel (pip download --no-deps: installing aws-sam-cli would
#                               replace boto3 and cfn-lint); cached under ~/.cache/annotate-test, never committed
set -euo pipefail
MOTO_VERSION=5.2.1
CFN_LINT_VERSION=1.51.0
SAM_CLI_VERSION=1.170.0
pip_install() {
  python3 -m pip --version >/dev/null 2>&1 || "$(dirname "$0")/install-packages.sh" python3-pip
  echo "installing: $* (pip)" >&2
  python3 -m pip install -q --disable-pip-version-check "$@" >&2 2>/dev/null \
    || python3 -m pip install -q --disable-pip-version-check --break-system-packages "$@" >&2
}
case "${1:-}" in
  moto)
    python3 -c "import moto, flask, flask_cors, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null \
      || pip_install "moto[server]==$MOTO_VERSION"
    ;;
  cfn-lint)
    [ "$(cfn-lint --version 2>/dev/null)" = "cfn-lint $CFN_LINT_VERSION" ] || pip_install "cfn-lint==$CFN_LINT_VERSION"
    ;;
  rie)
    cache="${XDG_CACHE_HOME:-$HOME/.cache}/annotate-test"
    rie="$cache/aws-lambda-rie-$SAM_CLI_VERSION"
    if [ ! -x "$rie" ]; then
      python3 -m pip --version >/dev/null 2>&1 || "$(dirname "$0")/install-packages.sh" python3-pip
      mkdir -p "$cache"
      work="$(mktemp -d)"
      echo "downloading: aws-sam-cli==$SAM_CLI_VERSION wheel (for aws-lambda-rie)" >&2
      python3 -m pip download -q --disable-pip-version-check --no-deps "aws-sam-cli==$SAM_CLI_VERSION" -d "$work" >&2
      python3 - "$work"/aws_sam_cli-*.whl "$rie.partial" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    open(sys.argv[2], "wb").write(wheel.read("samcli/local/rapid/aws-lambda-rie-x86_64"))
PY
      chmod +x "$rie.partial" && mv "$rie.partial" "$rie"
      rm -rf "$work"
    fi
    echo "$rie"
    ;;
  *) echo "usage: $0 moto|cfn-lint|rie" >&2; exit 64 ;;
esac
