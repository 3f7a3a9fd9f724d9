# Two commands do all set-up: `make run` (install, prepare models, ingest the sample, open the chat)
# and `make test` (install if needed, then every test tier).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CQA := $(VENV)/bin/conflict-qa
STAMP := $(VENV)/.installed
# llama.cpp is compiled here. Built for this CPU (-march=native) it takes Intel AMX when the CPU has
# it, and on virtual machines with Sapphire Rapids CPUs the AMX kernels crash the first answer
# (a general protection fault in libggml-cpu; llama.cpp #20824). So x86-64 builds a portable
# AVX2 library instead (any x86-64 CPU since 2013); `make setup LLAMA_CMAKE_ARGS=` builds native.
ifeq ($(shell uname -m),x86_64)
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
endif
LLAMA_VERSION := $(shell sed -n 's/^ *"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml | head -1)
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False

.PHONY: setup run test lint test-fast test-slow test-browser browser-deps prepare screenshot clean

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile   # a venv built by an older Makefile gets this one's llama.cpp build
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install torch==2.13.0   # first: a CPU build; a bare `torch` would pull CUDA
	@# rebuilt only when its version or build flags change (it takes minutes)
	if [ "$$(cat $(VENV)/.llama-build 2>/dev/null)" != "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)" ]; then \
	  CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --no-cache-dir --force-reinstall --no-deps \
	    llama-cpp-python==$(LLAMA_VERSION) && echo "$(LLAMA_VERSION) $(LLAMA_CMAKE_ARGS)" > $(VENV)/.llama-build; fi
	$(PY) -m pip install -e '.[test]'
	touch $(STAMP)

prepare: setup
	$(CQA) prepare

run: prepare
	$(CQA) ingest samples/
	$(CQA) chat --host 127.0.0.1 --port 7860

# pytest exits 5 when a tier selects no test: that is not a failure.
define tier
	$(PY) -m pytest $(1) ; rc=$$? ; if [ $$rc -ne 0 ] && [ $$rc -ne 5 ]; then exit $$rc; fi
endef

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test-fast: setup
	$(call tier,-m "not slow and not browser")

test-slow: setup prepare
	$(call tier,-m slow)

browser-deps:
	command -v chromium >/dev/null || { apt-get update && apt-get install -y chromium chromium-driver; }

test-browser: setup browser-deps
	$(call tier,-m browser)

test: lint test-fast test-slow test-browser

# The README's chat screenshot, refreshed on purpose (tests never write into the tree).
screenshot: setup browser-deps
	$(call tier,-m browser -k streamed_answer)
	cp test-artifacts/screenshot-chat.png docs/screenshot-chat.png

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
