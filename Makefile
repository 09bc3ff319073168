# The one file that drives the dev loop; CI runs `make test` (see .ci/run).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo serve test lint types layers unit bench clean browser wrk

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -U pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

## The main job: serve the platform on the embedded default (SQLite) with a seeded catalog.
demo: $(STAMP)
	$(BIN)/megasale demo --db var/demo.db

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

types: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -q tests/unit

## Debian's chromium for the page tests (headless, driven by Playwright's client).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

## Debian's wrk, the load of bench/bench_wrk.py (its tests drive it against a tiny server).
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk for the benchmark's tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }

## Lint, types, the layer contract and the whole test suite.
test: lint types layers browser wrk
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python bench/bench_orders.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache test-output
