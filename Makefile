# Local development. `make run` starts the whole system (see scripts/run.py); Ctrl-C stops it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=
N ?= 100
BENCH_ARGS ?=

.PHONY: venv run test lint clean-data demo bench

venv: $(STAMP)

# Re-installs whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

run: venv
	$(BIN)/python scripts/run.py

# With `make run` up: one whole sample cycle through the HTTP API in a few minutes (scripts/demo.py).
demo: venv
	$(BIN)/python scripts/demo.py

# One whole award cycle of N applications through the HTTP API on its own stack, with figures
# (scripts/bench_cycle.py --help): make bench N=100 BENCH_ARGS="--json bench.json --no-reads"
bench: venv
	$(BIN)/python scripts/bench_cycle.py --n $(N) $(BENCH_ARGS)

# The browser and PDF tests use Debian's chromium, CJK fonts and pdftoppm: installed when missing.
test: venv
	bash scripts/system-packages.sh || echo "(continuing: the browser and PDF tests will fail)"
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/mypy

# Wipes the embedded PostgreSQL data, the Temporal state, logs and the dev JWT secret.
clean-data:
	rm -rf .data
