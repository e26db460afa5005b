# The two commands: `make run` and `make test`. Both set everything up first
# (virtualenv, install, migrate, LACOE fixtures, demo users), and both are safe to re-run.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Local runs are development runs unless the caller says otherwise.
export DEBUG ?= 1

.PHONY: run test test-fast setup install migrate lint bench clean browser-tools

run: setup
	$(BIN)/python manage.py create_demo_users
	@echo "Serving on http://$(HOST):$(PORT)/ (Ctrl-C to stop)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: setup browser-tools
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The inner loop: everything but the browser tests (the crawl of every page as every role).
test-fast: setup
	$(BIN)/python -m pytest -m "not browser" $(PYTEST_ARGS)

# axe-core and the Nu HTML Checker for the browser tests, when npm is there
# (without them those tests skip and say how to get them).
browser-tools:
	@if command -v npm >/dev/null 2>&1 && [ ! -d tests/browser/node_modules ]; then \
		npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error; fi

setup: install migrate
	$(BIN)/python manage.py load_plan fixtures/lacoe
	$(BIN)/python manage.py load_dashboard_scales fixtures/dashboard
	$(BIN)/python manage.py generate_synthetic --if-missing --slug demo-plan \
		--name "Demo plan" --metrics 20 --districts 4 --groups 3 --months 36 --rebuild \
		--equity-demo

install: $(STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Figures as `name: value unit`; its own database (PostgreSQL if reachable, else SQLite).
# The throughput figures run gunicorn as the image does and load it with wrk
# (`apt-get install wrk`; without it they are skipped and say so); set
# BENCH_REDIS_URL=redis://host:6379/<db> to give gunicorn the Redis cache production has.
# BENCH_ARGS="--no-load" skips gunicorn.
bench: install
	$(BIN)/python bench/run.py $(BENCH_ARGS)
	$(BIN)/python bench/import_bench.py
	$(BIN)/python bench/report_bench.py
	$(BIN)/python bench/privacy_bench.py

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
