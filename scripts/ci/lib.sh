# Shared by the CI legs that test the built wheel (sourced, not run).
# Each leg installs dist/'s wheel into fresh virtualenvs and works from a directory outside the
# checkout with no PYTHONPATH, as a user would.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=${PYTHON:-python3}
unset PYTHONPATH
export MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_DISABLE_TELEMETRY=true PIP_DISABLE_PIP_VERSION_CHECK=1

say() { printf '%s: %s\n' "${LEG:-ci}" "$*"; }
die() { printf '%s: FAIL: %s\n' "${LEG:-ci}" "$*" >&2; exit 1; }

# The one wheel `make dist` built.
wheel() {
    local found=("$ROOT"/dist/mockflow_server-*.whl)
    [ -f "${found[0]}" ] || die "no wheel in dist/: run 'make dist' first"
    [ "${#found[@]}" = 1 ] || die "more than one wheel in dist/: ${found[*]}"
    printf '%s\n' "${found[0]}"
}

# fresh_venv DIR PIP-ARGS...: a new virtualenv at DIR with PIP-ARGS installed.
fresh_venv() {
    local dir=$1; shift
    rm -rf "$dir"
    "$PYTHON" -m venv "$dir"
    "$dir/bin/pip" install -q "$@"
}

# server_venv VERSION: the wheel with the [server] extra pinned to mlflow-skinny VERSION, which
# is also the real client of that version (the full `mlflow` package adds the tracking server's
# and the UI's dependencies, not client code; minutes of install the legs do not need), plus
# pandas, which the client's evaluation datasets need. Reused when this wheel already built it
# in this run.
server_venv() {
    local version=$1 dir="$ROOT/.venv-mlflow-$1" whl stamp
    whl=$(wheel)
    stamp="$(sha256sum "$whl" | cut -d' ' -f1) $version"
    if [ "$(cat "$dir/.wheel" 2>/dev/null)" != "$stamp" ]; then
        say "installing the wheel [server] + mlflow-skinny==$version into $dir" >&2
        fresh_venv "$dir" "$whl[server]" "mlflow-skinny==$version" pytest pandas >&2
        printf '%s\n' "$stamp" > "$dir/.wheel"
    fi
    printf '%s\n' "$dir"
}

# compat_venv: a project pinned to mlflow 2.22 with the base wheel (no [server]) and its test
# tools, reused when this wheel already built it in this run.
compat_venv() {
    local dir="$ROOT/.venv-compat" whl stamp
    whl=$(wheel)
    stamp="$(sha256sum "$whl" | cut -d' ' -f1) compat"
    if [ "$(cat "$dir/.wheel" 2>/dev/null)" != "$stamp" ]; then
        say "installing mlflow 2.22 and the base wheel into $dir" >&2
        fresh_venv "$dir" "mlflow==2.22.*" "opentelemetry-sdk==1.33.1" "opentelemetry-api==1.33.1" \
            scikit-learn pytest "$whl" >&2
        printf '%s\n' "$stamp" > "$dir/.wheel"
    fi
    printf '%s\n' "$dir"
}

free_port() {
    "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_serve MOCKFLOW-EXE PORT [ARGS...]: `mockflow serve` in the background until healthy.
SERVE_PID=
start_serve() {
    local exe=$1 port=$2; shift 2
    "$exe" serve --port "$port" --quiet "$@" > "$WORK/serve-$port.log" 2>&1 &
    SERVE_PID=$!
    for _ in $(seq 1 300); do
        if "$PYTHON" -c "import urllib.request, sys; urllib.request.urlopen('http://127.0.0.1:$port/health', timeout=1)" 2>/dev/null; then
            return 0
        fi
        kill -0 "$SERVE_PID" 2>/dev/null || { cat "$WORK/serve-$port.log" >&2; die "mockflow serve exited"; }
        sleep 0.2
    done
    cat "$WORK/serve-$port.log" >&2
    die "mockflow serve on port $port was not healthy within 60 s"
}

stop_serve() {
    if [ -n "$SERVE_PID" ]; then
        kill "$SERVE_PID" 2>/dev/null || true
        wait "$SERVE_PID" 2>/dev/null || true
        SERVE_PID=
    fi
}

# A work directory outside the checkout, removed at exit with any server still running.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mockflow-ci.XXXXXX")
trap 'stop_serve; rm -rf "$WORK"' EXIT
cd "$WORK"
