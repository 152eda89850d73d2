# Two commands: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | md5sum | cut -c1-8)
PORT ?= 8000
SIM_PORT ?= 8100
export ESCARCELLE_SIM_PORT := $(SIM_PORT)
export EPICLIC_PORT := $(PORT)

.PHONY: run dev prepare browser-deps pdf-deps test test-sqlite test-pg lint format bench screenshots install system-deps messages clean

$(STAMP): pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# Debian packages: Chromium for the browser journeys (never a downloaded browser), Pango and
# fonts for WeasyPrint's PDFs (preparation sheets). Installed only when missing.
system-deps: browser-deps pdf-deps

browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium (browser tests)…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

pdf-deps:
	@if ! dpkg -s libpangoft2-1.0-0 fonts-dejavu-core >/dev/null 2>&1; then \
		echo "Installing Pango and fonts (WeasyPrint: preparation sheets as PDF)…"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core >/dev/null; \
	fi

# The demo, served as in production: gunicorn (epiclic/gunicorn.conf.py), DEBUG off, static
# files collected (hashed names, compressed) and served by whitenoise.
run: prepare
	$(PY) manage.py collectstatic --noinput -v 0
	@rm -rf var/prometheus && mkdir -p var/prometheus
	PROMETHEUS_MULTIPROC_DIR=$(CURDIR)/var/prometheus $(VENV)/bin/honcho start -f Procfile

# Development: Django's runserver (reloads on change), DEBUG on.
dev: prepare
	DEBUG=true $(VENV)/bin/honcho start -f Procfile.dev

prepare: install pdf-deps
	@mkdir -p var
	$(PY) manage.py migrate --noinput -v 0
	$(PY) manage.py compilemessages_if_needed
	$(VENV)/bin/escarcelle-sim demo --db var/escarcelle-sim.sqlite3 --key-file var/escarcelle-demo-key.txt --url http://127.0.0.1:$(SIM_PORT)
	$(PY) manage.py demo_seed --url http://127.0.0.1:$(PORT)/

# ruff (format and lint), import-linter (layers: the core apps never import the connector), mypy.
lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test-sqlite: install system-deps
	@echo "=== pytest on SQLite ==="
	env -u TEST_DATABASE_URL $(PY) -m pytest -m "not postgresql" $(PYTEST_ARGS)

test-pg: install system-deps
	@echo "=== pytest on PostgreSQL ($${TEST_DATABASE_URL}) ==="
	$(PY) -m pytest -m "not sqlite" $(PYTEST_ARGS)

# ruff, then the whole suite on SQLite; on PostgreSQL too when TEST_DATABASE_URL is set.
test: lint test-sqlite
	@if [ -n "$$TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-pg; fi

bench: install
	$(PY) -m bench

# The README's tour: the browser journey (tests/e2e/test_mission.py) saves its screenshots in
# docs/img/ (1280×800 and a phone's 390×844, small palette PNGs).
screenshots: install browser-deps
	EPICLIC_SCREENSHOTS=docs/img $(PY) -m pytest tests/e2e/test_mission.py -q -p no:cacheprovider

clean:
	rm -rf var/test-*
