#!/usr/bin/env bash
# `make venvs`: build the virtualenvs of `make wheel-test`, `matrix` and `compat` from this
# wheel (each is reused by those legs while the wheel is the same). Installing is mostly waiting
# on the package index, so .ci/run runs this beside `make test`.
set -euo pipefail
LEG=venvs
. "$(dirname "$0")/lib.sh"

for version in ${MATRIX_VERSIONS:-3.9.0 3.17.2}; do
    server_venv "$version" > /dev/null
done
compat_venv > /dev/null
say "ready"
