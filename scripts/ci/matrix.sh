#!/usr/bin/env bash
# `make matrix`: the wheel's [server] extra with each MLflow version given (default: both ends of
# the supported range), each serving the tracking, registry and artifact round trip of the real
# client of the same version, from a directory outside the checkout.
set -euo pipefail
LEG=matrix
. "$(dirname "$0")/lib.sh"

cp "$ROOT/tests/compat/roundtrip.py" "$WORK/"
for version in "${@:-3.9.0 3.17.2}"; do
    for v in $version; do
        venv=$(server_venv "$v")
        say "mlflow $v: $("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)')"
        "$venv/bin/python" roundtrip.py --mockflow "$venv/bin/mockflow" --client "$v"
    done
done
say "all passed"
