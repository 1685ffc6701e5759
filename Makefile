# Emporium: `make run` starts the demo shop on the embedded defaults (SQLite, local-memory cache,
# eager Celery); `make test` runs the whole suite on PostgreSQL and Redis.
# The interpreter .venv is made from: the distribution's optimised build where there is one
# (.ci/pick-python says why); `make PYTHON=/path/to/python3` chooses another.
PYTHON ?= $(shell bash .ci/pick-python)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Tests default to the local services; override to point elsewhere.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/emporium
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1
EMBEDDED := env -u DATABASE_URL -u REDIS_URL -u EMPORIUM_ENV

.PHONY: help venv run demo-data test lint format check-migrations e2e bench clean

help:
	@echo "make run    - set up and start the demo shop at http://$(HOST):$(PORT)/ (SQLite, no services)"
	@echo "make test   - set up and run lint + the whole test suite on PostgreSQL and Redis"
	@echo "make bench  - run the benchmarks (PostgreSQL)"
	@echo "make format - ruff format and autofix"

venv: $(STAMP)

# Installs from the pinned lock file so every machine gets the same versions.
$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || { test -n "$(PYTHON)" && $(PYTHON) -m venv $(VENV); }
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e '.[dev]'
	touch $(STAMP)

demo-data: venv
	$(EMBEDDED) $(PY) manage.py migrate --noinput
	$(EMBEDDED) $(PY) manage.py seed_demo

run: demo-data
	@echo "Emporium demo: http://$(HOST):$(PORT)/  admin: http://$(HOST):$(PORT)/admin/"
	$(EMBEDDED) $(PY) manage.py runserver $(HOST):$(PORT)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-migrations: venv
	$(EMBEDDED) $(PY) manage.py makemigrations --check --dry-run

test: lint check-migrations
	@# .ci/prepare installs/starts Chromium, PostgreSQL and Redis where missing and prints the DB URL.
	db_url=$$(TEST_DATABASE_URL=$(TEST_DATABASE_URL) TEST_REDIS_URL=$(TEST_REDIS_URL) bash .ci/prepare) && \
	DATABASE_URL=$$db_url REDIS_URL=$(TEST_REDIS_URL) \
		EMPORIUM_ENV=production SECRET_KEY=test-only-deploy-check-not-a-secret-0123456789abcdefghijklmnop ALLOWED_HOSTS=shop.example.com WMS_WEBHOOK_SECRET=test-only-wms-webhook-secret-0123456789abcdef PAYMENT_WEBHOOK_SECRET=test-only-payment-webhook-secret-0123456789ab \
		$(PY) manage.py check --deploy --fail-level WARNING && \
	DATABASE_URL=$$db_url REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest $(PYTEST_ARGS)

e2e: venv
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(VENV)/bin/pytest tests/e2e $(PYTEST_ARGS)

# Each benchmark creates and drops its own database on the TEST_DATABASE_URL server.
bench: venv
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/inventory_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/inventory_bench.py --processes
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/storefront_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/search_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/import_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/checkout_cpu.py --via storefront api
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/checkout_bench.py --checkout-lane 3
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/promotions_bench.py
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) benchmarks/drop_bench.py

clean:
	rm -rf $(VENV) db.sqlite3 media staticfiles .pytest_cache .ruff_cache
