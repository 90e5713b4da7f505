# Everything installs into .venv inside the repo, so a fresh clone needs only Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install serve test lint clean image-test image-base bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/mockflow serve

test: $(STAMP)
	MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 $(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# mockflow side by side with a real `mlflow server` and a bare-Flask floor (docs/performance.md).
# Writes benchmarks/results/latest.{json,md}; about 30 minutes on 2 busy cores. BENCH_ARGS=--quick
# for a smoke run, e.g. BENCH_ARGS="--quick --servers mockflow,flask".
bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check mockflow tests
	$(BIN)/ruff format --check mockflow tests
	$(BIN)/mypy mockflow

# The container image, proven end to end (build, healthy, real client calls, clean stop).
# Needs docker or podman and the python:3.11-slim base; not part of `make test` (docs/container.md).
CLIENT_PYTHON ?= $(BIN)/python
image-test: $(STAMP)
	CLIENT_PYTHON=$(CLIENT_PYTHON) scripts/image/image-test.sh

# Offline hosts: a local stand-in for python:3.11-slim (root, debootstrap, podman).
image-base:
	scripts/image/local-base.sh

clean:
	rm -rf $(VENV) build *.egg-info
