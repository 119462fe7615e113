# Set-up needs only Python 3.11 and pip: every target installs what it uses.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX ?= var/index
PORT ?= 8501
# pip on this kind of machine warns about optional local indexes it cannot see; keep the noise out
QUIET := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

.PHONY: run test ingest bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first, pinned to the CPU wheel: letting the resolver pick torch pulls a multi-GB CUDA build
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0 $(QUIET)
	$(BIN)/pip install -q -e . $(QUIET)
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev]" $(QUIET)
	touch $@

ingest: $(VENV)/.installed
	$(BIN)/hmiqa ingest data/reports --index $(INDEX)

run: ingest
	$(BIN)/hmiqa ui --index $(INDEX) --port $(PORT)

test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-dev
	$(BIN)/python scripts/bench.py --out docs/BENCHMARKS.md

clean:
	rm -rf $(VENV) var
