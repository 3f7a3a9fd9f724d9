# Two commands do all set-up: `make run` (install, prepare models, ingest the sample, open the chat)
# and `make test` (install if needed, then every test tier).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
CQA := $(VENV)/bin/conflict-qa
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export GRADIO_ANALYTICS_ENABLED=False ANONYMIZED_TELEMETRY=False

.PHONY: setup run test lint test-fast test-slow test-browser browser-deps prepare screenshot clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install torch==2.13.0   # first: a CPU build; a bare `torch` would pull CUDA
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
