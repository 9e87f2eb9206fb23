# Quick start: `make run` (set up, build the index, open the chat UI) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
RAG := $(VENV)/bin/rag
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export HF_HUB_OFFLINE := 1

# llama.cpp is compiled here without AMX: its AMX kernels die with SIGILL on CPUs/VMs that do not grant AMX to
# user processes, and --no-cache-dir keeps pip from reusing a wheel built with other flags.
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF

.PHONY: setup setup-llm run build test test-fast test-core test-llm bench eval clean lint

# The app and its core tests: no llama.cpp compile (minutes). `setup-llm` adds the local-LLM extra.
setup: $(VENV)/.installed
setup-llm: $(VENV)/.llm-installed

# torch is installed first, from the local CPU wheel; constraints.txt keeps every later install on it. The last step
# exports MiniLM to ONNX (seconds) for the torch-free embedder; without it the first run would do it once.
$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev]"
	$(PY) -m pip check
	$(PY) -m rag.encoders.export
	touch $@

$(VENV)/.llm-installed: $(VENV)/.installed
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install -q --no-cache-dir -e ".[llm]"
	$(PY) -m pip check
	touch $@

build: setup
	$(RAG) build

run: build
	$(RAG) serve

# Everything; the core tests run (and report) before llama.cpp is compiled for the LLM tests.
test: test-core test-llm

# Tests marked `llm` need the llm extra (make setup-llm); the two modules that hold nothing else are left out too.
LLM_ONLY := --ignore=tests/answering/test_llm.py --ignore=tests/answering/test_llm_stream.py
test-core: setup
	$(PY) -m pytest -m "not llm" $(LLM_ONLY)

# The quick loop: no real MiniLM index, no server, no browser, no LLM, nothing else marked slow (markers in
# pyproject.toml, set from fixtures in tests/conftest.py).
test-fast: setup
	$(PY) -m pytest -m "not (slow or real_index or network or browser or llm)" $(LLM_ONLY)

test-llm: setup-llm
	$(PY) -m pytest -m llm

# The layer contract and the type check alone (the test suite runs both too: tests/repo/test_architecture.py).
lint: setup
	$(VENV)/bin/lint-imports
	$(PY) -m mypy

eval: build
	$(RAG) eval

bench: build
	$(PY) bench/run.py

clean:
	rm -rf index/CURRENT index/snap-* index/.tmp-* .pytest_cache test-artifacts eval-report
