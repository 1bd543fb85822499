# The two commands a newcomer needs are `make run` and `make test`; everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

.DEFAULT_GOAL := help
.PHONY: help run test lint format venv browser migrate bench load sandbox clean

help: ## List the targets
	@echo "Gcore reseller dashboard"
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-9s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the dependencies (run by the other targets)

migrate: $(STAMP) ## Apply database migrations
	$(PY) manage.py migrate --noinput

# A token in the environment or in .env turns its sandbox off (the same test as the settings make).
has_setting = $(shell [ -n "$$$(1)" ] || grep -qs '^$(1)=..*' .env && echo yes)
GCORE_SANDBOX_PORT ?= 8001
SPP_SANDBOX_PORT ?= 8002
WORKERS ?= 2

# The web server, $(WORKERS) workers and, without tokens, the Gcore and SPP sandboxes on loopback
# (one copy of the data for every process), all in this terminal (Procfile, honcho); Ctrl-C stops all.
run: migrate ## Serve the dashboard on http://127.0.0.1:$(PORT) with its workers (sandbox data unless GCORE_API_TOKEN is set)
	$(PY) manage.py demo_accounts
	@procs="web worker"; \
	if [ -z "$(call has_setting,GCORE_API_TOKEN)" ]; then procs="$$procs gcore"; \
		export GCORE_SANDBOX=true GCORE_SANDBOX_URL=http://127.0.0.1:$(GCORE_SANDBOX_PORT); fi; \
	if [ -z "$(call has_setting,SPP_API_TOKEN)" ]; then procs="$$procs spp"; \
		export SPP_SANDBOX=true SPP_SANDBOX_URL=http://127.0.0.1:$(SPP_SANDBOX_PORT); fi; \
	echo "Starting $$procs (workers: $(WORKERS)); Ctrl-C stops them all."; \
	DASHBOARD_PORT=$(PORT) GCORE_SANDBOX_PORT=$(GCORE_SANDBOX_PORT) SPP_SANDBOX_PORT=$(SPP_SANDBOX_PORT) \
		exec $(VENV)/bin/honcho -f Procfile start -c worker=$(WORKERS) $$procs

# Browser tests drive Debian's Chromium through Playwright; Playwright's own download cannot run here.
browser: ## Install Chromium for the browser tests when it is missing (needs root, as on CI)
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "Installing Chromium (Debian package) for the browser tests"; \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
			|| echo "Chromium could not be installed; browser tests will be skipped (they fail under CI=true)"; \
	else echo "No Chromium at $(CHROMIUM): browser tests will be skipped (they fail under CI=true)"; fi

test: $(STAMP) browser ## Run the whole test suite, browser tests included
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP) ## Check lint, formatting (ruff) and types (mypy; config in pyproject.toml), as CI does
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

format: $(STAMP) ## Format the tree and apply ruff's safe fixes
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Benchmarks start their own sandbox on loopback and use an in-memory database; BENCH=export runs one.
bench: $(STAMP) ## Run the benchmarks (bench/run.py), print their tables and write bench/results.md
	$(PY) -m bench.run $(BENCH)

# 50 staff browse and edit at once through gunicorn for at most 60 s; exits non-zero on any 5xx or lost write.
load: $(STAMP) ## Load test: 50 staff, 2,000 requests, checked against the sandbox (load/run.py)
	$(PY) load/run.py $(LOAD_ARGS)

sandbox: $(STAMP) ## Serve the Gcore sandbox API alone on http://127.0.0.1:8001
	$(PY) manage.py gcore_sandbox --port 8001

clean: ## Remove the virtualenv and the development database
	rm -rf $(VENV) db.sqlite3 *.egg-info
