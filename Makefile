# dantoc — make run | make test | make install
SHELL := /bin/bash
PYTHON ?= $(shell scripts/find-python)
# uv runs as a module of the chosen interpreter, so PATH and version-manager shims do not matter.
UV ?= $(PYTHON) -m uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
DANTOC_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export DANTOC_TEST_POSTGRES_URL

.PHONY: uv install run test lint typecheck pytest-sqlite pytest-postgres messages compilemessages bench clean

uv:
	@$(PYTHON) -m uv --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv \
	  || $(PYTHON) -m pip install --user --quiet uv

install: uv
	@$(UV) sync --frozen --quiet
	@$(MAKE) --no-print-directory compilemessages

compilemessages:
	@if command -v msgfmt >/dev/null 2>&1 && [ -d src/dantoc/locale ]; then \
	  cd src/dantoc && ../../$(BIN)/python -m django compilemessages --settings=dantoc.settings -v 0; fi

run: install
	@$(BIN)/dantoc run

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest-sqlite: install
	env -u DANTOC_DATABASE_URL $(BIN)/pytest -q

pytest-postgres: install
	@if $(BIN)/python scripts/pg_ready.py "$(DANTOC_TEST_POSTGRES_URL)"; then \
	  DANTOC_DATABASE_URL="$(DANTOC_TEST_POSTGRES_URL)" $(BIN)/pytest -q -m "not browser"; \
	elif [ -n "$$DANTOC_REQUIRE_POSTGRES" ]; then \
	  echo "PostgreSQL is required but does not answer at $(DANTOC_TEST_POSTGRES_URL)"; exit 1; \
	else \
	  echo "*** No PostgreSQL answers at $(DANTOC_TEST_POSTGRES_URL): the PostgreSQL run is SKIPPED. ***"; \
	fi

test: lint typecheck pytest-sqlite pytest-postgres

messages:
	cd src/dantoc && ../../$(BIN)/python -m django makemessages -l vi -l en --no-obsolete --settings=dantoc.settings
	$(BIN)/python scripts/fill_vi_catalogue.py src/dantoc/locale/vi/LC_MESSAGES/django.po

bench: install
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) var/static
