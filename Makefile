# Everything installs into .venv inside the repo, so a fresh clone needs only Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install serve test lint docs clean image-test image-base compat ui-test bench dist \
	wheel-test matrix lock venvs models-test fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/mockflow serve

test: $(STAMP)
	MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 $(BIN)/python -m pytest -n 2 -m "not ui and not models_venv" $(PYTEST_ARGS)

# The MLflow web UI in headless Chromium (tests/ui/). Installs what it needs: Debian's chromium
# when missing (root or sudo), Playwright and the UI extra into .venv. Screenshots of each page
# land in tests/ui/screenshots/ (not committed).
UI_APT = apt-get update -qq && apt-get install -y -qq chromium
ui-test: $(STAMP)
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then sh -c '$(UI_APT)'; else sudo sh -c '$(UI_APT)'; fi; }
	$(BIN)/pip install -q -e '.[ui,ui-test]'
	MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 $(BIN)/python -m pytest -m ui tests/ui $(PYTEST_ARGS)

# mockflow side by side with a real `mlflow server` and a bare-Flask floor (docs/performance.md).
# Writes benchmarks/results/latest.{json,md}; about 30 minutes on 2 busy cores. BENCH_ARGS=--quick
# for a smoke run, e.g. BENCH_ARGS="--quick --servers mockflow,flask".
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

# The proto-driven fuzzer, longer than the default suite's run (seed 0, 3 cases per RPC):
# against mockflow alone and, beside a real `mlflow server`, the differential agreement figure.
# e.g. make fuzz FUZZ_COUNT=50 FUZZ_SEED=7 (docs/testing.md, "Fuzzing").
FUZZ_COUNT ?= 20
FUZZ_SEED  ?= 1
fuzz: $(STAMP)
	MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 MOCKFLOW_FUZZ_COUNT=$(FUZZ_COUNT) MOCKFLOW_FUZZ_SEED=$(FUZZ_SEED) \
		$(BIN)/python -m pytest -s -p no:cacheprovider tests/fuzz tests/differential/test_fuzz_differential.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockflow tests
	$(BIN)/ruff format --check mockflow tests
	$(BIN)/mypy mockflow

# Regenerate the README's settings table from mockflow/config.py.
docs: $(STAMP)
	$(BIN)/python -m mockflow.config --write README.md

# The container image, proven end to end (build, healthy, real client calls, clean stop).
# Needs docker or podman and the python:3.11-slim base; not part of `make test` (docs/container.md).
CLIENT_PYTHON ?= $(BIN)/python
image-test: $(STAMP)
	CLIENT_PYTHON=$(CLIENT_PYTHON) scripts/image/image-test.sh

# Offline hosts: a local stand-in for python:3.11-slim (root, debootstrap, podman).
image-base:
	scripts/image/local-base.sh

# --- the product as users install it (.ci/run runs each; docs/architecture.md, "Packaging") ----
# Each leg installs dist/'s wheel into fresh virtualenvs (.venv-*) and works from a temporary
# directory outside the checkout with no PYTHONPATH (scripts/ci/).

# The sdist, and the wheel built from it (so the sdist is proven complete). Rebuilt only when a
# packaged file changed, so the legs below (and their reused venvs) see one wheel per change.
DIST_STAMP := dist/.built
$(DIST_STAMP): $(STAMP) pyproject.toml README.md $(shell find mockflow -type f -not -path '*/__pycache__/*')
	rm -rf dist
	$(BIN)/python -m build --outdir dist . > build.log 2>&1 || { cat build.log; exit 1; }
	@rm -f build.log; ls dist; touch $(DIST_STAMP)

dist: $(DIST_STAMP)

# The wheel [server] + the newest mlflow: serve (auth on and off) with a real-client round trip,
# `mockflow env`, activate(), and the how-to examples as a separate project using the plugin.
wheel-test: $(DIST_STAMP)
	scripts/ci/wheel-test.sh

# Both ends of the supported MLflow range, each with the real client of the same version.
MATRIX_VERSIONS ?= 3.9.0 3.17.2
matrix: $(DIST_STAMP)
	scripts/ci/matrix.sh $(MATRIX_VERSIONS)

# A project pinned to mlflow 2.22: the base wheel (plugin, no server deps) next to its client,
# driving `mockflow serve` from another virtualenv over the control API (MOCKFLOW_URL).
compat: $(DIST_STAMP)
	scripts/ci/compat.sh

# Build the legs' virtualenvs (they install from PyPI: minutes); .ci/run starts this in the
# background while `make test` runs.
venvs: $(DIST_STAMP)
	scripts/ci/venvs.sh

# Regenerate the lock file the image installs with (constraints/server.txt).
lock: $(DIST_STAMP)
	scripts/ci/lock.sh

# The seeded models loaded from a bare client environment: a venv with only mlflow-skinny and
# pandas (built on first use under the system temp dir, keyed by versions, then reused; pick the
# client with MOCKFLOW_MODELS_MLFLOW=3.9.0) against `mockflow serve` (tests/models/).
models-test: $(STAMP)
	MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 $(BIN)/python -m pytest -m models_venv tests/models $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .venv-* build dist *.egg-info
