# Early Help: `make run` to try it, `make test` to prove it. `make help` lists every target.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMPS := .stamps

-include .env
export

.DEFAULT_GOAL := help

.PHONY: help
help: ## List every target
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMPS):
	@mkdir -p $(STAMPS)

$(STAMPS)/python: pyproject.toml constraints.txt | $(STAMPS)
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed") if sys.version_info < (3, 11) else None'
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

$(STAMPS)/node: package.json package-lock.json | $(STAMPS)
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/build/app.css: $(STAMPS)/node $(wildcard static/scss/*.scss)
	npm run --silent build:css

.PHONY: install
install: $(STAMPS)/python $(STAMPS)/node static/build/app.css ## Create .venv, install Python and npm packages, build the CSS

.PHONY: collectstatic
collectstatic: install ## Collect static files (GOV.UK Frontend assets included) into staticfiles/
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0

.PHONY: migrate
migrate: install ## Apply database migrations (SQLite unless DATABASE_URL is set)
	$(BIN)/python manage.py migrate --noinput

.PHONY: seed
seed: migrate ## Load synthetic demo data if the database has no families yet
	$(BIN)/python manage.py seed_demo --if-empty

.PHONY: run
run: collectstatic seed ## Set up, migrate, seed demo data and serve on http://127.0.0.1:8000
	$(BIN)/python manage.py runserver 127.0.0.1:8000

.PHONY: test
test: install ## Set up and run the whole test suite
	$(BIN)/python -m pytest $(PYTEST_ARGS)

.PHONY: lint
lint: install ## Check code style with ruff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

.PHONY: format
format: install ## Reformat the code with ruff
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

.PHONY: bench
bench: install ## Seed a city's data into PostgreSQL and time every key page, then PDF rendering and the dashboard
	@if [ "$${DJANGO_ENV:-}" = production ]; then echo "make bench refuses to run with DJANGO_ENV=production" >&2; exit 1; fi
	$(BIN)/python -m tests.bench.pages_bench $(PAGES_BENCH_ARGS)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python -m tests.bench.pdf_bench $(BENCH_ARGS)
	$(BIN)/python -m tests.bench.dashboard_bench $(DASHBOARD_BENCH_ARGS)

.PHONY: load
load: install ## Load test: 100 signed-in users read, search and write for 5 minutes against gunicorn (PostgreSQL)
	@if [ "$${DJANGO_ENV:-}" = production ]; then echo "make load refuses to run with DJANGO_ENV=production" >&2; exit 1; fi
	$(BIN)/python -m tests.load.run $(LOAD_ARGS)

.PHONY: soak
soak: install ## Soak: 30 users for 10 minutes against gunicorn and a Celery worker; memory and connections stay flat
	@if [ "$${DJANGO_ENV:-}" = production ]; then echo "make soak refuses to run with DJANGO_ENV=production" >&2; exit 1; fi
	$(BIN)/python -m tests.load.soak $(SOAK_ARGS)

.PHONY: worker
worker: install ## Run a Celery worker (needs REDIS_URL)
	$(BIN)/celery -A earlyhelp worker --loglevel=INFO --concurrency=2

.PHONY: backup
backup: $(STAMPS)/python ## Back up the PostgreSQL database (pg_dump) and media into backups/<UTC time>/ (BACKUP_DIR)
	$(BIN)/python scripts/backup.py backup

.PHONY: restore
restore: $(STAMPS)/python ## Restore BACKUP=backups/<time> into RESTORE_DATABASE_URL (or DATABASE_URL) and check it
	@if [ -z "$(BACKUP)" ]; then echo "Name the backup: make restore BACKUP=backups/20260101T020000Z" >&2; exit 2; fi
	$(BIN)/python scripts/backup.py restore "$(BACKUP)" $(RESTORE_ARGS)

.PHONY: constraints
constraints: install ## Re-pin every installed Python package into constraints.txt
	@{ echo '# Every installed package, pinned, so a fresh clone installs exactly what CI tested.'; \
	   echo '# Regenerate with: make constraints'; \
	   $(BIN)/pip freeze --exclude-editable; } > constraints.txt

.PHONY: security
security: install ## Security scan: pip-audit, bandit, check --deploy, sqlmap on a local instance (network, ~10 min)
	$(BIN)/python scripts/security_scan.py $(SECURITY_ARGS)

.PHONY: ci
ci: ## Run what CI runs (.ci/run): services, Chromium, then make test on PostgreSQL and Redis
	bash .ci/run

.PHONY: clean
clean: ## Remove the virtualenv, node_modules, built assets and the SQLite database
	rm -rf $(VENV) node_modules $(STAMPS) static/build staticfiles db.sqlite3
