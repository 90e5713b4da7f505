#!/usr/bin/env bash
# `make compat`: a project pinned to mlflow 2.22 installs the base wheel (no [server] extra, so
# its pin stands) and uses the pytest plugin against `mockflow serve` running from another
# virtualenv (the wheel with [server] and the newest MLflow), named by MOCKFLOW_URL:
#   1. the mlflow 2.x model round trip (scikit-learn: log, register, alias, stage, load);
#   2. the how-to examples (journal, faults, reset, auth) through the plugin, over the control API;
#   3. without MOCKFLOW_URL the fixture fails with a message naming what to do;
#   4. `mockflow serve` there refuses with a sentence (mlflow 2.22 is outside the range).
set -euo pipefail
LEG=compat
. "$(dirname "$0")/lib.sh"

server=$(server_venv "${NEWEST_MLFLOW:-3.17.2}")
venv=$(compat_venv)
"$venv/bin/python" -c '
import mlflow, mockflow.remote, mockflow.pytest_plugin
assert mlflow.__version__.startswith("2.22."), mlflow.__version__
print("client: mlflow", mlflow.__version__)'
"$venv/bin/pip" check

cp "$ROOT/tests/compat/roundtrip.py" "$WORK/"
say "1. mlflow 2.x round trip against mockflow serve from $server"
"$venv/bin/python" roundtrip.py --mockflow "$server/bin/mockflow" --client 2.22. --model sklearn --traces

say "2. the how-to examples through the plugin, MOCKFLOW_URL"
mkdir "$WORK/project"
cp -r "$ROOT/tests/examples" "$WORK/project/tests"
port=$(free_port)
start_serve "$server/bin/mockflow" "$port" --auth off --world empty
# test_howto_gateway_auth starts its own server (the gateway auth profile): that needs the
# [server] extra, which a 2.22 project cannot install; wheel-test runs it.
(cd "$WORK/project" && MOCKFLOW_URL="http://127.0.0.1:$port/mlflow" \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider tests \
    --ignore=tests/test_howto_gateway_auth.py)
stop_serve

say "3. no MOCKFLOW_URL: a clear failure"
if (cd "$WORK/project" && "$venv/bin/python" -m pytest -q -p no:cacheprovider \
        tests/test_howto_log_one_batch.py > "$WORK/no-url.log" 2>&1); then
    die "the fixture ran without a server"
fi
grep -q "MOCKFLOW_URL" "$WORK/no-url.log" || { cat "$WORK/no-url.log"; die "no hint at MOCKFLOW_URL"; }

say "4. mockflow serve in this environment: a clear refusal, not a traceback"
if "$venv/bin/mockflow" serve --port "$(free_port)" > "$WORK/serve-here.log" 2>&1; then
    die "mockflow serve started next to mlflow 2.22"
fi
grep -q "mlflow 2.22" "$WORK/serve-here.log" && ! grep -q Traceback "$WORK/serve-here.log" \
    || { cat "$WORK/serve-here.log"; die "no clear message"; }
say "all passed"
