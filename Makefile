# The two commands a newcomer needs: `make run` and `make test`. Everything else is a helper.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
# PostgreSQL for the second test run (skipped when nothing answers there).
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint test-sqlite test-postgres install translations messages clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed translations
	@git config merge.pomerge.driver "$(BIN)/python tools/po_merge.py %O %A %B" 2>/dev/null || true

# Compiled catalogs are build output (not committed): made from the .po files.
translations: $(BIN)/.installed
	$(BIN)/pybabel compile --statistics -d survey_app/translations

# Re-extract the strings after changing the code; then translate survey_app/translations/id.
messages: $(BIN)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k NP_:1c,2 --width 100 -o messages.pot .
	$(BIN)/pybabel update -i messages.pot -d survey_app/translations --width 100
	rm messages.pot

# The job worker (skm worker: it releases held responses every minute and every hour) runs in
# the background beside the server and stops with it: one shell, whose traps end the worker
# however the server ends.
run: install
	$(FLASK) db upgrade
	PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)} $(FLASK) skm demo --if-empty
	@export PUBLIC_BASE_URL=$${PUBLIC_BASE_URL:-http://$(HOST):$(PORT)}; \
	$(FLASK) skm worker & worker=$$!; \
	trap 'kill -INT $$worker 2>/dev/null; wait $$worker' EXIT; trap 'exit 130' INT; trap 'exit 143' TERM; \
	echo "Job worker running in the background (process $$worker); it stops with the server."; \
	echo "Serving on http://$(HOST):$(PORT)/  (Ctrl-C to stop)"; \
	$(FLASK) run --host $(HOST) --port $(PORT)

# Lint first: CI runs `make test`, so a lint or type regression fails it before the suites run.
test: install lint test-sqlite test-postgres

# ruff (style, real defects, import order, complexity) on the whole tree; mypy on the pure layers
# (survey_app/domain and reports). Both are configured in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# One worker process per core (pytest-xdist); on PostgreSQL each worker gets a database of its
# own beside PG_TEST_URL's (<name>_gw0, <name>_gw1...: tests/conftest.py).
test-sqlite:
	$(BIN)/python -m pytest -q -n auto

test-postgres:
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_TEST_URL)'.replace('+psycopg',''), connect_timeout=3).close()" 2>/dev/null; then \
		echo "== the same suite on PostgreSQL ($(PG_TEST_URL))"; \
		SKM_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/python -m pytest -q -n auto; \
	else echo "PostgreSQL is not reachable at $(PG_TEST_URL): the PostgreSQL run is skipped."; fi

clean:
	rm -rf $(VENV) instance .pytest_cache
