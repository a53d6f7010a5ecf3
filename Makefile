# The interface: `make run` to serve, `make test` to check everything. CI calls `make test`.

# Python: the first of these that is 3.11 or newer, or the one named: `make test PYTHON=python3.13`.
# Each version gets a virtual environment of its own, .venv for the default one and .venv-3.X
# for the others, so that a version named on the command line is the one that runs.
PYTHON_CANDIDATES := python3 python3.15 python3.14 python3.13 python3.12 python3.11
SUPPORTED := import sys; sys.exit(sys.version_info < (3, 11))
VERSION_OF := import sys; print("%d.%d" % sys.version_info[:2])
DEFAULT_PYTHON := $(shell for p in $(PYTHON_CANDIDATES); do \
    $$p -c '$(SUPPORTED)' >/dev/null 2>&1 && { command -v $$p; break; }; done)
PYTHON ?= $(DEFAULT_PYTHON)
PYTHON_VERSION := $(shell $(PYTHON) -c '$(VERSION_OF)' 2>/dev/null)
DEFAULT_VERSION := $(shell $(DEFAULT_PYTHON) -c '$(VERSION_OF)' 2>/dev/null)
VENV := $(if $(filter $(DEFAULT_VERSION),$(PYTHON_VERSION)),.venv,.venv-$(PYTHON_VERSION))
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-all lint format unit integration clean bench bench-quick soak

# (Re)creates the environment when it is missing or was made by another Python version.
$(VENV)/.python-$(PYTHON_VERSION):
	@test -n "$(PYTHON)" || { echo "No Python 3.11 or newer found (tried: $(PYTHON_CANDIDATES))." \
	    "Install one, e.g. from python.org or your system's python3 package, then run make again," \
	    "or name it: make test PYTHON=/path/to/python3.12" >&2; exit 1; }
	@$(PYTHON) -c '$(SUPPORTED)' || { echo "PYTHON=$(PYTHON) is not a working Python 3.11 or newer." \
	    "Install one, or name another: make test PYTHON=/path/to/python3.12" >&2; exit 1; }
	@[ "$$($(BIN)/python -c '$(VERSION_OF)' 2>/dev/null)" = "$(PYTHON_VERSION)" ] \
	    || $(PYTHON) -m venv --clear $(VENV)
	touch $@

$(STAMP): $(VENV)/.python-$(PYTHON_VERSION) pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,frameworks]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rosetta serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest

# The whole suite on every supported Python this machine has, one nox session each (noxfile.py).
# NOX_ARGS narrows it: CI runs `make test-all NOX_ARGS="--session protocols --python 3.13"`.
test-all: lint
	$(BIN)/nox $(NOX_ARGS)

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

clean:
	rm -rf .venv .venv-3.* .nox .mypy_cache .ruff_cache .pytest_cache .import_linter_cache *.egg-info

# Benchmarks (README, "Benchmarks") never run inside `make test`; a test runs the quick mode.
bench: $(STAMP)
	bash bench/setup.sh $(BIN)/python
	$(BIN)/python -m bench
	$(BIN)/python -m bench.profile
	$(BIN)/python -m bench.readme

bench-quick: $(STAMP)
	$(BIN)/python -m bench --quick

# Minutes of mixed REST, SOAP and WebSocket load on two gateway processes; `make test` runs a
# few seconds of the same (tests/integration/test_load_mixed.py).
soak: $(STAMP)
	$(BIN)/python -m tests.load.mixed --duration 120

# The integration suite three times over while busy processes hold every core, so that a test
# that passes only on a quiet machine fails here rather than by chance in CI (tests/stress.py).
# `make test-stress STRESS_ARGS='--runs 1 -- tests/integration/ws -x'` narrows it.
.PHONY: test-stress
test-stress: $(STAMP)
	$(BIN)/python -m tests.stress $(STRESS_ARGS)
