#!/usr/bin/env bash
# Build the image, start it, wait until its HEALTHCHECK passes, drive it with the real mlflow
# client, then stop it and require a clean exit. Run by `make image-test`; never by `make test`.
#
# Environment:
#   CONTAINER_ENGINE   docker | podman (default: whichever answers first, docker preferred)
#   IMAGE              tag to build (default mockflow:image-test)
#   CLIENT_PYTHON      interpreter with mlflow installed, for the client calls (default .venv/bin/python)
#   IMAGE_MAX_MB       fail above this image size (default 250)
#   IMAGE_BUILD_ARGS   extra `build` arguments, e.g. "--network host"
#   IMAGE_RUN_ARGS     extra `run` arguments, e.g. "-e MOCKFLOW_AUTH=off"
#   HEALTH_TIMEOUT     seconds to wait for healthy (default 60); BUILD_TIMEOUT (default 900)
set -euo pipefail
cd "$(dirname "$0")/../.."

image=${IMAGE:-mockflow:image-test}
max_mb=${IMAGE_MAX_MB:-250}
health_timeout=${HEALTH_TIMEOUT:-60}
build_timeout=${BUILD_TIMEOUT:-900}
python=${CLIENT_PYTHON:-.venv/bin/python}
name=mockflow-image-test-$$

say() { printf 'image-test: %s\n' "$*"; }
die() { printf 'image-test: FAIL: %s\n' "$*" >&2; exit 1; }
missing() { printf 'image-test: MISSING: %s\n' "$*" >&2; exit 2; }

# --- tools -----------------------------------------------------------------------------------
engine=${CONTAINER_ENGINE:-}
if [ -z "$engine" ]; then
    for candidate in docker podman; do
        if command -v "$candidate" >/dev/null && timeout 20 "$candidate" info >/dev/null 2>&1; then
            engine=$candidate
            break
        fi
    done
fi
[ -n "$engine" ] || missing "no working container engine: 'docker info' and 'podman info' both failed or are absent. Install Docker or Podman (Debian: apt-get install podman), or set CONTAINER_ENGINE."
command -v "$engine" >/dev/null || missing "CONTAINER_ENGINE=$engine is not on PATH"
command -v timeout >/dev/null || missing "coreutils 'timeout' is required"
[ -x "$python" ] || python=$(command -v python3 || true)
"$python" -c 'import mlflow' 2>/dev/null \
    || missing "no Python with mlflow for the client calls (tried '${CLIENT_PYTHON:-.venv/bin/python}'); run 'make install' or set CLIENT_PYTHON"
say "engine: $engine ($("$engine" --version | head -1)); client: $("$python" -c 'import mlflow; print("mlflow", mlflow.__version__)')"

build_args=(--tag "$image")
run_args=(--detach --name "$name" --publish "127.0.0.1::5000")
if [ "$engine" = podman ]; then
    # OCI images drop HEALTHCHECK; the docker format keeps it.
    build_args+=(--format docker)
    # Without CAP_SYS_RESOURCE (some sandboxes, nested containers) the runtime cannot raise
    # RLIMIT_NOFILE/NPROC to podman's defaults; ask for limits it may set.
    capeff=$(awk '/^CapEff/ { print $2 }' /proc/self/status 2>/dev/null || echo 0)
    if [ $(( (0x${capeff:-0} >> 24) & 1 )) = 0 ] && [ "$(id -u)" = 0 ]; then
        nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] || [ "$nofile" -gt 65536 ] && nofile=65536
        run_args+=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)
    fi
fi
# shellcheck disable=SC2206  # word splitting is the point of these two
build_args+=(${IMAGE_BUILD_ARGS:-})
# shellcheck disable=SC2206
run_args+=(${IMAGE_RUN_ARGS:-})

cleanup() { "$engine" rm --force "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT

# --- build -----------------------------------------------------------------------------------
say "building $image"
start=$(date +%s)
if ! timeout "$build_timeout" "$engine" build "${build_args[@]}" . >/tmp/"$name".build.log 2>&1; then
    tail -25 /tmp/"$name".build.log >&2
    if grep -qiE 'pull|manifest|registry|resolve.*python:3.11-slim' /tmp/"$name".build.log; then
        missing "the base image python:3.11-slim could not be pulled; offline hosts can make a stand-in with scripts/image/local-base.sh (see docs/container.md)"
    fi
    die "build failed (full log: /tmp/$name.build.log)"
fi
rm -f /tmp/"$name".build.log
size=$("$engine" image inspect --format '{{.Size}}' "$image")
size_mb=$(( size / 1000000 ))
say "built in $(( $(date +%s) - start ))s; image size ${size_mb} MB (limit ${max_mb} MB)"
[ "$size_mb" -lt "$max_mb" ] || die "image is ${size_mb} MB, over the ${max_mb} MB target"

# --- start and wait for healthy --------------------------------------------------------------
"$engine" run "${run_args[@]}" "$image" >/dev/null
port=$("$engine" port "$name" 5000/tcp | head -1 | sed 's/.*://')
[ -n "$port" ] || die "no published port for 5000/tcp"
url=http://127.0.0.1:$port
say "started $name at $url; waiting up to ${health_timeout}s for healthy"
start=$(date +%s)
status=starting
while [ $(( $(date +%s) - start )) -lt "$health_timeout" ]; do
    running=$("$engine" inspect --format '{{.State.Running}}' "$name" 2>/dev/null || echo false)
    if [ "$running" != true ]; then
        "$engine" logs "$name" 2>&1 | tail -20 >&2
        die "container exited before it became healthy"
    fi
    if [ "$engine" = podman ]; then
        # Podman schedules health checks with systemd timers; without systemd nothing runs
        # them, so run the image's own HEALTHCHECK command here (same command, same verdict).
        if timeout 10 podman healthcheck run "$name" >/dev/null 2>&1; then status=healthy; fi
    else
        status=$(docker inspect --format '{{.State.Health.Status}}' "$name")
    fi
    case $status in healthy | unhealthy) break ;; esac
    sleep 1
done
[ "$status" = healthy ] || { "$engine" logs "$name" 2>&1 | tail -20 >&2; die "not healthy after ${health_timeout}s (status: $status)"; }
say "healthy after $(( $(date +%s) - start ))s"

user=$("$engine" exec "$name" id -u)
[ "$user" != 0 ] || die "the server runs as root"
say "server runs as uid $user"

# --- real client calls -----------------------------------------------------------------------
# Auth is on in the image, as in production: the client sends the fixture's read-write key.
token=$("$python" -c "import yaml; print(next(k['secret'] for k in yaml.safe_load(open('mockflow/data/api_keys.yaml'))['keys'] if k['id'] == 'read-write'))") \
    || die "cannot read the read-write key from mockflow/data/api_keys.yaml"
MLFLOW_TRACKING_TOKEN="$token" MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MLFLOW_HTTP_REQUEST_TIMEOUT=20 \
    timeout 120 "$python" tests/image/client_check.py "$url" \
    || { "$engine" logs "$name" 2>&1 | tail -20 >&2; die "client calls failed"; }

# --- stop: SIGTERM must end the server cleanly, well inside the grace period -----------------
start=$(date +%s)
"$engine" stop --time 20 "$name" >/dev/null
code=$("$engine" inspect --format '{{.State.ExitCode}}' "$name")
took=$(( $(date +%s) - start ))
say "stopped in ${took}s with exit code $code"
[ "$code" = 0 ] || die "exit code $code after SIGTERM (expected 0: clean shutdown)"
[ "$took" -lt 20 ] || die "SIGTERM did not stop the server; it was killed after the grace period"
say "PASS"
