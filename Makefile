# pingsvc: `make run` starts the whole service, `make test` checks it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint unit setup browser bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# The widget's browser tests drive Debian's Chromium through Playwright's Python package
# (installed by the dev extras); `playwright install` is never used.
browser: setup
	which chromium >/dev/null || (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium)

run: setup
	$(BIN)/pingsvc demo seed
	$(BIN)/pingsvc serve

lint: setup
	$(BIN)/ruff check pingsvc worker tests $(wildcard bench)
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest -q

test: lint browser unit

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
