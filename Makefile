# The interface: `make run` to serve, `make test` to check everything. CI calls `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format unit integration clean bench bench-quick soak

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is needed (spyne 2.14 does not import on 3.12+): make PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/rosetta serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	$(BIN)/pytest

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info

# Benchmarks (README, "Benchmarks") never run inside `make test`; a test runs the quick mode.
bench: $(STAMP)
	bash bench/setup.sh $(BIN)/python
	$(BIN)/python -m bench
	$(BIN)/python -m bench.profile

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
