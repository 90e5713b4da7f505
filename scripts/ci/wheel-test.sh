#!/usr/bin/env bash
# `make wheel-test`: the built wheel as a user installs it (pip install '<wheel>[server]' into a
# fresh virtualenv, with the real mlflow client of the newest supported version), used from a
# project directory outside the checkout with no PYTHONPATH:
#   1. `mockflow serve --auth off` + the client's tracking, registry and artifact round trip;
#   2. `mockflow serve` with auth on, `eval "$(mockflow env)"` for a default key, the same round
#      trip, and a 401 without the key;
#   3. `mockflow.activate()` in mock mode;
#   4. the how-to examples (tests/examples) as a separate project using the installed plugin.
set -euo pipefail
LEG=wheel-test
. "$(dirname "$0")/lib.sh"

version=${NEWEST_MLFLOW:-3.17.2}
venv=$(server_venv "$version")
bin=$venv/bin
cp "$ROOT/tests/compat/roundtrip.py" "$WORK/"

where=$("$bin/python" -c 'import mockflow; print(mockflow.__file__)')
case $where in "$ROOT/mockflow/"*) die "mockflow imports from the checkout ($where), not the wheel";; esac
say "mockflow from $where"

say "1. auth off"
port=$(free_port)
start_serve "$bin/mockflow" "$port" --auth off
"$bin/python" roundtrip.py --url "http://127.0.0.1:$port/mlflow" --client "$version"
stop_serve

say "2. auth on, the default key from mockflow env"
port=$(free_port)
start_serve "$bin/mockflow" "$port"
code=$("$PYTHON" -c "
import urllib.error, urllib.request
try:
    urllib.request.urlopen('http://127.0.0.1:$port/api/2.0/mlflow/experiments/search?max_results=1')
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)")
[ "$code" = 401 ] || die "without a key: status $code, wanted 401"
eval "$(MOCKFLOW_PORT=$port "$bin/mockflow" env)"
[ -n "${MLFLOW_TRACKING_TOKEN:-}" ] || die "mockflow env gave no MLFLOW_TRACKING_TOKEN"
"$bin/python" roundtrip.py --url "$MLFLOW_TRACKING_URI" --client "$version"
unset MLFLOW_TRACKING_URI MLFLOW_TRACKING_TOKEN HOKUSAI_API_KEY HOKUSAI_MOCK_MODE
stop_serve

say "3. mockflow.activate()"
env -u MLFLOW_TRACKING_URI HOKUSAI_MOCK_MODE=true "$bin/python" - <<'PY'
import os

import mockflow

server = mockflow.activate()
assert server is not None, "activate() started nothing"
import mlflow

experiment_id = mlflow.create_experiment("activated")
assert mlflow.get_experiment(experiment_id).name == "activated"
assert os.environ["MLFLOW_TRACKING_URI"].startswith("http://127.0.0.1:")
print("activate(): ok,", os.environ["MLFLOW_TRACKING_URI"])
PY

say "4. the how-to examples as a separate project"
"$bin/pip" install -q pandas  # the examples' own dependency (mlflow.search_runs returns a DataFrame)
mkdir "$WORK/project"
cp -r "$ROOT/tests/examples" "$WORK/project/tests"
(cd "$WORK/project" && "$bin/python" -m pytest -q -p no:cacheprovider tests)
say "all passed"
