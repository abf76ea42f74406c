# The two commands a new machine needs: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
SHARED := ../shared
DEMO_DB := var/demo.sqlite
TODAY := $(shell date +%F)

.PHONY: install run demo test lint typecheck unit scenarios bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	mkdir -p var
	PERMIS_DATABASE_URL=sqlite:///$(DEMO_DB) PERMIS_LOG_LEVEL=WARNING $(BIN)/permis import ops/demo/journal.jsonl || [ $$? -eq 1 ]
	PERMIS_DATABASE_URL=sqlite:///$(DEMO_DB) PERMIS_LOG_LEVEL=WARNING $(BIN)/permis tick --to $(TODAY)
	@for neph in $$(grep -o '"neph": *"[0-9]*"' ops/demo/journal.jsonl | grep -o '[0-9]\{12\}' | sort -u); do \
		PERMIS_DATABASE_URL=sqlite:///$(DEMO_DB) PERMIS_LOG_LEVEL=WARNING $(BIN)/permis licence show $$neph; done

run: demo

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

scenarios: install
	PERMIS_LOG_LEVEL=WARNING PERMIS_CMD=$(abspath $(BIN)/permis) $(SHARED)/tools/scenarios -j 2

test: lint typecheck unit scenarios

bench: install
	$(BIN)/python ops/bench/import_and_tick.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
