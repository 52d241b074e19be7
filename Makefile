# The two commands that matter: `make run` (the whole system, locally) and `make test` (everything CI runs).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test lint typecheck pytest check-generated generate generate-client-test migrate seed bench bench-client clean

$(STAMP): pyproject.toml package.json package-lock.json
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev,bench]'
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
	$(PY) -m api.db.check
	$(PY) -m prisma_asyncpg.generator.check --prisma prisma/tools/prisma.sh \
		--schema prisma/schema.prisma --output prisma
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
