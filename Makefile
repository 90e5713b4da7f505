# Everything installs into .venv inside the repo, so a fresh clone needs only Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install serve test lint docs clean image-test image-base compat ui-test bench fuzz

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

serve: $(STAMP)
	$(BIN)/mockflow serve

test: $(STAMP)
	MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 $(BIN)/python -m pytest -n 2 -m "not ui" $(PYTEST_ARGS)

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

# The model round trip with an mlflow 2.x client (its own venv) against `mockflow serve` from
# this one. Separate from `test`: building the venv alone takes minutes; .ci/run calls it.
COMPAT_VENV  := .venv-compat
COMPAT_STAMP := $(COMPAT_VENV)/.installed
$(COMPAT_STAMP):
	$(PYTHON) -m venv $(COMPAT_VENV)
	$(COMPAT_VENV)/bin/pip install -q --upgrade pip
	$(COMPAT_VENV)/bin/pip install -q "mlflow==2.22.*" "opentelemetry-sdk==1.33.1" \
		"opentelemetry-api==1.33.1" scikit-learn requests
	touch $(COMPAT_STAMP)

compat: $(STAMP) $(COMPAT_STAMP)
	MLFLOW_HTTP_REQUEST_MAX_RETRIES=0 $(COMPAT_VENV)/bin/python tests/compat/roundtrip_2x.py \
		--mockflow $(BIN)/mockflow

clean:
	rm -rf $(VENV) $(COMPAT_VENV) build *.egg-info
