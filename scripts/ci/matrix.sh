#!/usr/bin/env bash
# `make matrix`: the wheel's [server] extra with each MLflow version given (default: both ends of
# the supported range), each serving the real client of the same version (tracking, registry,
# artifacts, tracing, assessments, evaluation datasets, scorers), then the proto-driven fuzzer's
# "never a 5xx" tests over that version's own RPCs; all from a directory outside the checkout.
set -euo pipefail
LEG=matrix
. "$(dirname "$0")/lib.sh"

cp "$ROOT/tests/compat/roundtrip.py" "$WORK/"
mkdir -p "$WORK/tests"
cp -r "$ROOT/tests/__init__.py" "$ROOT/tests/conftest.py" "$ROOT/tests/real_server.py" \
    "$ROOT/tests/fuzz" "$WORK/tests/"
for version in "${@:-3.9.0 3.17.2}"; do
    for v in $version; do
        venv=$(server_venv "$v")
        say "mlflow $v: $("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)')"
        "$venv/bin/python" roundtrip.py --mockflow "$venv/bin/mockflow" --client "$v" --traces --genai
        MOCKFLOW_FUZZ_COUNT=6 "$venv/bin/python" -m pytest -q -p no:cacheprovider \
            tests/fuzz/test_fuzz_mockflow.py
    done
done
say "all passed"
