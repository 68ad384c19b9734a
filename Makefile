# Two commands: `make run` serves Accord with a demo company; `make test` runs the suite.
SHELL := /bin/sh
VENV := .venv
BIN := $(VENV)/bin
PYTHON := $(shell bin/find-python 2>/dev/null)
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test test-browser bench lint format clean

$(BIN)/python:
	@test -n "$(PYTHON)" || bin/find-python
	$(PYTHON) -m venv $(VENV)

# Re-install only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.installed node_modules/.package-lock.json

run: install
	@mkdir -p var
	ACCORD_DEMO=1 $(BIN)/accord migrate --noinput --verbosity 0
	ACCORD_DEMO=1 $(BIN)/accord demo --seed 7 --if-empty
	ACCORD_DEMO=1 $(BIN)/accord serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -m "not browser" $(PYTEST_ARGS)

# Browser tests drive Debian's Chromium (apt-get install chromium); never a downloaded one.
test-browser: install
	$(BIN)/pytest -m browser $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

format: install
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) node_modules var/static
