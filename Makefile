# bdhvs-bot: `make run` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
LOCALES := vi en
MO_FILES := $(foreach l,$(LOCALES),locales/$(l)/LC_MESSAGES/messages.mo)
CHROMIUM ?= /usr/bin/chromium
# Test processes (pytest-xdist): the suite waits on servers and child processes more than it computes, so two
# workers halve its time on a two-core machine. `make test TEST_WORKERS=0` runs it in one process.
TEST_WORKERS ?= 2

.PHONY: run test lint setup catalogs extract browser bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP) catalogs

catalogs: $(MO_FILES)

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile --use-fuzzy -d locales -D messages -l $* -i $< -o $@

# Refresh the template and the catalogs after changing user-facing strings.
extract: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --sort-output \
		--project=bdhvs-bot --copyright-holder="bdhvs-bot" -o locales/messages.pot bot handlers storage
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-wrap --ignore-obsolete --no-fuzzy-matching

# Debian's Chromium for the browser test of the sandbox page (no downloaded browser builds).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
		elif command -v sudo >/dev/null; then sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null; \
		else echo "Chromium is missing and cannot be installed without root: the browser test will be skipped."; fi; \
	fi

run: setup
	$(VENV)/bin/bdhvs run

# Lint (ruff), format check and types (mypy): `make test` runs them first.
lint: setup
	$(VENV)/bin/ruff check bot handlers storage tests bench
	$(VENV)/bin/ruff format --check bot handlers storage tests bench
	$(VENV)/bin/mypy

test: lint browser
	$(PY) -m pytest -n $(TEST_WORKERS)

bench: setup
	$(PY) bench/engine.py
	$(PY) bench/throughput.py

clean:
	rm -rf $(VENV) $(MO_FILES) .pytest_cache
