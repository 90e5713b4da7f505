#!/usr/bin/env bash
# `make lock`: regenerate constraints/server.txt, the exact versions the container image
# installs (the wheel's [server] extra with the newest supported mlflow-skinny), from a fresh
# virtualenv. Commit the result; `make matrix` proves that MLflow version, and the image build
# installs with `pip install -c constraints/server.txt`.
set -euo pipefail
LEG=lock
. "$(dirname "$0")/lib.sh"

version=${NEWEST_MLFLOW:-3.17.2}
fresh_venv "$WORK/venv" "$(wheel)[server]" "mlflow-skinny==$version"
{
    echo "# The container image's dependencies, pinned: \`make lock\` (scripts/ci/lock.sh) writes this"
    echo "# file from a fresh virtualenv with the wheel's [server] extra and mlflow-skinny==$version,"
    echo "# Python $("$WORK/venv/bin/python" -c 'import platform; print(platform.python_version())') on Linux. Used as pip constraints by the Dockerfile."
    "$WORK/venv/bin/pip" freeze --exclude mockflow-server --exclude pip
} > "$ROOT/constraints/server.txt"
say "wrote constraints/server.txt ($(grep -vc '^#' "$ROOT/constraints/server.txt") packages)"
