# The two commands a new machine needs: `make run` and `make test` (README.md).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
# The interpreter itself (not a pyenv shim), so that uv keeps the venv it made with it.
PYTHON_EXE := $(shell $(PYTHON) -c "import sys; print(sys.executable)")
VENV := .venv
BIN := $(VENV)/bin
SHARED := ../shared
# The demo goes into the CLI's default store (infrastructure/settings.py), so that `permis licence
# show 075000000001` after `make run` finds it without any setting.
DEMO_DB := var/permis.sqlite
TODAY := $(shell date +%F)
CHROMIUM := /usr/bin/chromium
# WeasyPrint (the relevés' PDFs, services/documents) needs Debian's pango and a font.
PANGO := /usr/share/doc/libpangoft2-1.0-0/copyright
DEMO_ENV := PERMIS_DATABASE_URL=sqlite:///$(DEMO_DB) PERMIS_LOG_LEVEL=WARNING
DEMO_USER := operateur
DEMO_PASSWORD := demo-operateur

.PHONY: install run demo test lint typecheck unit scenarios bench clean screenshots vendor audit

# Every dependency, transitive ones included, is pinned in uv.lock (README.md, "Dependencies").
# uv itself comes from PyPI by pip, its version and hashes in ops/uv-requirements.txt, into a
# venv of its own (.uv/): `uv sync` removes from .venv whatever the lock does not list.
UV := .uv/bin/uv
export UV_PYTHON_DOWNLOADS := never

$(UV): ops/uv-requirements.txt
	$(PYTHON) -m venv .uv
	.uv/bin/pip install --quiet --require-hashes -r ops/uv-requirements.txt
	touch $@

# Exactly the lock (the project editable, with the dev group); --locked stops with an error when
# pyproject.toml and uv.lock disagree (a dependency added by hand: run `uv lock`).
$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) lock --check --quiet
	$(UV) sync --locked --python $(PYTHON_EXE) --quiet
	touch $@

install: $(VENV)/.installed

# The lock's packages against the advisory database (ops/audit.py says what happens offline).
audit: install
	UV=$(UV) $(BIN)/python ops/audit.py

demo: install $(PANGO)
	mkdir -p var
	$(DEMO_ENV) $(BIN)/permis import ops/demo/journal.jsonl || [ $$? -eq 1 ]
	$(DEMO_ENV) $(BIN)/permis tick --to $(TODAY)
	@for neph in $$(grep -o '"neph": *"[0-9]*"' ops/demo/journal.jsonl | grep -o '[0-9]\{12\}' | sort -u); do \
		$(DEMO_ENV) $(BIN)/permis licence show $$neph; done
	@echo "The demo is in $(DEMO_DB), the default store of .venv/bin/permis (e.g. .venv/bin/permis licence show 075000000001);"
	@echo "from another folder or shell: export PERMIS_DATABASE_URL=sqlite:///$(abspath $(DEMO_DB))"

run: demo
	@echo '$(DEMO_PASSWORD)' | $(DEMO_ENV) $(BIN)/permis users add $(DEMO_USER) --role operator || [ $$? -eq 1 ]
	@echo "Back-office: http://127.0.0.1:8000/  login: $(DEMO_USER)  password: $(DEMO_PASSWORD)"
	@echo "Holder consultation: http://127.0.0.1:8000/consultation  NEPH 075000000002  code $$($(DEMO_ENV) $(BIN)/permis licence code 075000000002 2>/dev/null)"
	$(DEMO_ENV) $(BIN)/permis serve --host 127.0.0.1 --port 8000

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest

scenarios: install
	PERMIS_LOG_LEVEL=WARNING PERMIS_CMD=$(abspath $(BIN)/permis) $(SHARED)/tools/scenarios -j 2 --pending tests/scenarios_pending.txt

# The browser tests drive Debian's Chromium (never a downloaded build): installed when missing.
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

$(PANGO):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core

test: $(CHROMIUM) $(PANGO) lint typecheck audit unit scenarios

# The pictures of the forecast, both relevés, the letters and the entry form under docs/screenshots/
# (pdftoppm: poppler-utils).
/usr/bin/pdftoppm:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils

screenshots: install $(CHROMIUM) $(PANGO) /usr/bin/pdftoppm
	PERMIS_LOG_LEVEL=WARNING $(BIN)/python ops/screenshots/holders.py docs/screenshots
	PERMIS_LOG_LEVEL=WARNING $(BIN)/python ops/screenshots/operators.py docs/screenshots

bench: install
	$(BIN)/python ops/bench/import_and_tick.py

clean:
	rm -rf $(VENV) .uv var .pytest_cache .mypy_cache .ruff_cache .hypothesis

# The browser assets (DSFR, Swagger UI, ReDoc, axe-core) from npm, pinned in ops/vendor/: the
# copies are committed, so only a version change needs this (and npm).
vendor:
	ops/vendor/vendor.sh
