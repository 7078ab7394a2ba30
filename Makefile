# talentstats: `make help` lists the targets. `make demo` and `make test` set up everything
# they need on a fresh Debian machine (system packages when run as root, then a virtualenv).

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Debian packages: the CJK font (charts, PDF), Chromium (the PDF renderer), poppler (pdftoppm),
# LibreOffice Writer and Calc (the tests open the Word draft and the templates with them).
SYSTEM_PACKAGES := fonts-noto-cjk chromium poppler-utils libreoffice-writer-nogui libreoffice-calc-nogui

.DEFAULT_GOAL := help
.PHONY: help setup system-deps demo lab test test-fast lint bench sample clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}'

system-deps: ## Install the CJK font, Chromium, poppler and LibreOffice Writer and Calc (apt-get; needs root or sudo)
	@missing=""; \
	for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@

setup: system-deps $(VENV)/.installed ## Create the virtualenv and install everything

sample: setup ## Generate the sample collection into data/raw/sample
	$(BIN)/talentstats sample

demo: sample ## The main job on the sample: ingest 2012-2016, indicators, bulletin -> reports/
	$(BIN)/talentstats build data/raw/sample
	@echo "done: see reports/ (bulletin HTML and PDF, annex, assessment, feedback workbooks)"

# The notebooks read this folder's data/processed (and write under reports/) wherever the kernel
# runs: Jupyter starts it in notebooks/, so the folders are passed as absolute paths. Jupyter
# refuses root unless told; root is what a container or CI is (as for system-deps).
LAB_PORT ?= 8888
lab: setup ## JupyterLab on notebooks/ (kernel: this virtualenv's Python; data: data/processed, after make demo)
	TALENTSTATS_PROCESSED="$${TALENTSTATS_PROCESSED:-$(CURDIR)/data/processed}" \
	TALENTSTATS_REPORTS="$${TALENTSTATS_REPORTS:-$(CURDIR)/reports}" \
	$(BIN)/jupyter lab --ServerApp.root_dir="$(CURDIR)/notebooks" --ServerApp.port=$(LAB_PORT) \
	  $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: setup ## Lint, then run the whole test suite (as CI does)
	$(BIN)/ruff check talentstats tests bench
	$(BIN)/pytest -n 2 -q

test-fast: setup ## Run the tests that need no notebook kernel
	$(BIN)/pytest -n 2 -q -m "not slow"

lint: setup ## ruff
	$(BIN)/ruff check talentstats tests bench

bench: setup ## Benchmarks: ingest at 35/1,000/10,000 workbooks, then the main job by stage -> bench/results/
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_pipeline.py

# Every generated file of data/processed by name: its README.md is in git and stays.
clean: ## Remove generated data and reports (never data/raw outside sample/, nor the READMEs)
	rm -rf data/raw/sample data/processed/*/ data/processed/*.parquet data/processed/*.csv \
	  data/processed/_manifest.json data/processed/codebook.md data/processed/codebook.xlsx \
	  data/processed/.commit data/processed/.staging-* data/processed/.lock reports/*/
