# Two commands for a new machine (Debian/Ubuntu, Python 3.10+):
#   make run    open the app (creates .venv and installs on first use)
#   make test   run the whole test suite (same)
# The venv holds the product and, beside it, its developer tools (devtools/: the demo data and
# the benchmark, a separate distribution that the product's wheel does not contain).
PY ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test lint bench clean-venv

$(STAMP): pyproject.toml devtools/pyproject.toml
	$(PY) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]' -e ./devtools
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/kodoku-desk

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check kodoku_desk tests devtools
	$(VENV)/bin/mypy kodoku_desk

bench: $(STAMP)
	$(VENV)/bin/kodoku-desk bench --cases 1000
