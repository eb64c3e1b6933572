# make run   — create .venv, install sealtrail, start it on ./sealtrail-data
# make test  — install what the tests need, lint, run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DATA ?= sealtrail-data

.PHONY: run test lint bench clean test-deps

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.installed
	@test -f $(DATA)/ledger.db || { $(BIN)/sealtrail init --dir $(DATA) && \
		$(BIN)/sealtrail append --dir $(DATA) examples/demo-events.jsonl; }
	$(BIN)/sealtrail verify --dir $(DATA)
	$(BIN)/sealtrail serve --dir $(DATA)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

test-deps:
	scripts/install-test-deps
	scripts/start-test-services

test: lint test-deps
	$(BIN)/pytest -q -n 2

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
