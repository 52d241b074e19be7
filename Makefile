# The two commands that matter: `make run` (the whole system, locally) and `make test` (everything CI runs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest check-generated generate generate-client-test migrate seed bench bench-client clean requirements

# What the project needs on the machine: Python 3.11+ and Node.js 18+ with npm; nothing else.
requirements:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
	  echo "error: Python 3.11+ is required as '$(PYTHON)' (found: $$($(PYTHON) --version 2>/dev/null || echo none)); install it, or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	@node -e 'process.exit(+process.versions.node.split(".")[0] < 18 ? 1 : 0)' 2>/dev/null || { \
	  echo "error: Node.js 18+ is required for the Prisma CLI (found: $$(node --version 2>/dev/null || echo none)); install it from https://nodejs.org or your package manager" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "error: npm is required (it comes with Node.js); install it" >&2; exit 1; }

$(STAMP): pyproject.toml package.json package-lock.json | requirements
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[local,dev,bench]'
	npm ci --loglevel=error
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(PY) -m devrun

test: $(STAMP) lint typecheck check-generated pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

check-generated: $(STAMP)
	$(PY) -m devkit.schema_check
	$(PY) -m prisma_asyncpg.generator.check --prisma prisma/tools/prisma.sh \
		--schema tests/client/schema.prisma --output tests/client/generated/client_db

pytest: $(STAMP)
	$(VENV)/bin/pytest

generate: $(STAMP)
	prisma/tools/prisma.sh generate

# The prisma_asyncpg client of the client tests' schema (tests/client/test_generate.py checks it is current).
generate-client-test: $(STAMP)
	DATABASE_URL=$${DATABASE_URL:-postgresql://unused@127.0.0.1/unused} prisma/tools/prisma.sh generate --schema tests/client/schema.prisma

migrate: $(STAMP)
	$(PY) -m api.db migrate

seed: $(STAMP)
	$(PY) -m seed

bench: $(STAMP)
	$(PY) -m bench

bench-client: $(STAMP)
	$(PY) -m bench.client

clean:
	rm -rf $(VENV) node_modules .mypy_cache .ruff_cache .pytest_cache
