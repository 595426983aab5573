# reflib — `make help` lists the targets. Every target sets up what it needs by itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501
# `make unit` and `make test` run their tests in this many processes (pytest-xdist; browser tests run alone),
# with bytecode caching on even where the environment turns it off (PYTHONDONTWRITEBYTECODE): recompiling every
# module costs ~4 s of each run.
UNIT_WORKERS ?= 2
# Debian packages used by the tests: a headless browser for the dashboard test, TeX/biber/pandoc for exports.
SYSTEM_PACKAGES := chromium texlive-latex-base texlive-latex-recommended texlive-bibtex-extra biber pandoc
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# citeproc-js (the CSL engine of Zotero/Mendeley), the yardstick of the citation conformance test
CITEPROC_JS ?= $(or $(REFLIB_CITEPROC_JS),$(HOME)/.cache/reflib/citeproc-js)
CITEPROC_JS_VERSION := 2.4.63

.PHONY: help setup system-deps node-deps run test lint unit suite bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) ## create .venv and install reflib with its dependencies

system-deps: ## install the Debian packages the tests need (chromium, TeX, biber, pandoc)
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

node-deps: ## install Node (Debian nodejs/npm) and the citeproc npm package into $(CITEPROC_JS) if missing
	@if ! command -v node >/dev/null || ! command -v npm >/dev/null; then \
	  echo "installing Debian packages: nodejs npm"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null; \
	fi
	@if [ ! -f "$(CITEPROC_JS)/node_modules/citeproc/package.json" ]; then \
	  echo "installing citeproc@$(CITEPROC_JS_VERSION) (npm) into $(CITEPROC_JS)"; \
	  mkdir -p "$(CITEPROC_JS)" && cd "$(CITEPROC_JS)" && \
	  echo '{"name": "reflib-citeproc-js", "private": true}' > package.json && \
	  npm install --silent --no-audit --no-fund --no-save citeproc@$(CITEPROC_JS_VERSION); \
	fi

run: $(STAMP) ## start the dashboard on the bundled references.bib (http://localhost:$(PORT))
	$(BIN)/streamlit run dashboard.py --server.headless true --server.port $(PORT) --browser.gatherUsageStats false

lint: $(STAMP) ## ruff + mypy
	$(BIN)/ruff check .
	$(BIN)/mypy

unit: $(STAMP) ## the fast suite (no slow, browser or network tests; under a minute on 2 cores) - the everyday loop
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(UNIT_WORKERS) -m "not slow and not browser and not network"

suite: $(STAMP) ## the whole test suite without lint or system packages
	$(BIN)/pytest

test: $(STAMP) system-deps node-deps lint ## set up everything, lint, run the whole test suite
	env -u PYTHONDONTWRITEBYTECODE $(BIN)/pytest -n $(UNIT_WORKERS) -m "not browser and not network"
	$(BIN)/pytest -m "browser and not network"  # one browser at a time: they time keyboard and page updates

bench: $(STAMP) node-deps ## measured figures beside their targets (synthetic 1k/10k/100k libraries and the real corpus)
	$(BIN)/python -m benchmarks.run

clean: ## remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .bench
