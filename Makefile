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

# Two pytest processes (pytest-xdist): most tests wait on real workers, servers and
# browsers, so two share 2 cores well (README.md gives the times); TEST_WORKERS=0 runs in one.
TEST_WORKERS ?= 2

unit: setup
	$(BIN)/pytest -q -n $(TEST_WORKERS)

test: lint browser unit

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
