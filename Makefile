# Quick start: `make run` (set up, build the index, open the chat UI) and `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
RAG := $(VENV)/bin/rag
export PIP_CONSTRAINT := $(CURDIR)/constraints.txt
export HF_HUB_OFFLINE := 1

.PHONY: setup run build test bench eval clean

setup: $(VENV)/.installed

# torch is installed first, from the local CPU wheel; constraints.txt keeps every later install on it.
$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[dev,llm]"
	$(PY) -m pip check
	touch $@

build: setup
	$(RAG) build

run: build
	$(RAG) serve

test: setup
	$(PY) -m pytest

eval: build
	$(RAG) eval

bench: build
	$(PY) bench/run.py

clean:
	rm -rf index/CURRENT index/snap-* index/.tmp-* .pytest_cache test-artifacts eval-report
