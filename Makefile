# Two commands for a new machine (Debian/Ubuntu, Python 3.10+):
#   make run    open the app (creates .venv and installs on first use)
#   make test   run the whole test suite (same)
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean-venv

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/kodoku-desk

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check kodoku_desk tests

bench: $(STAMP)
	$(VENV)/bin/kodoku-desk bench --cases 1000
