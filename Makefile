# Two commands for a newcomer: `make demo` and `make test`. Needs Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install lock migrate serve assets clean bench bench-baseline bench-feed bench-pages

LOCK := requirements.lock
# Every extra, so that one lock pins what CI tests and what a deployment installs.
EXTRAS := --extra dev --extra redis --extra s3 --extra sentry

# Installed within the lock's exact versions (-c: constraints), the same ones CI tests.
$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c $(LOCK) -e ".[dev]"
	$(BIN)/nextpractice warm_engine
	touch $(STAMP)

# Refresh the lock: the newest versions pyproject.toml's ranges allow (then run make test).
lock: $(STAMP)
	$(BIN)/pip install --quiet pip-tools
	$(BIN)/pip-compile --upgrade --quiet --strip-extras --no-emit-index-url \
		--no-emit-find-links $(EXTRAS) --output-file $(LOCK) pyproject.toml

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/nextpractice demo

# Migrations are their own step: `serve` refuses a database that lacks them.
migrate: $(STAMP)
	$(BIN)/nextpractice migrate

serve: migrate
	$(BIN)/nextpractice serve

test: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

# Rebuild the vendored design system and test assets (needs node and npm; the built files
# are committed, so neither `make demo` nor `make test` needs them).
assets:
	assets/build.sh

clean:
	rm -rf $(VENV) var test-output

# Benchmarks (minutes, not part of the test suite): results go to bench/results/ and the
# summary into bench/RESULTS.md by hand. bench-baseline installs the anti-clustering
# package in its own venv (it pins numpy<2).
bench-baseline:
	$(PYTHON) -m venv bench/.venv-anticlust
	bench/.venv-anticlust/bin/pip install --quiet anti-clustering

bench: $(STAMP)
	$(BIN)/python bench/mdgplib_bench.py
	$(BIN)/python bench/formation_bench.py
	$(BIN)/python bench/feed_bench.py

bench-feed: $(STAMP)
	$(BIN)/python bench/feed_bench.py

# Member pages at 200 and 2,000 settings: set BENCH_DATABASE_URL to an empty PostgreSQL
# database (it is emptied) to measure as in bench/RESULTS.md.
bench-pages: $(STAMP)
	$(BIN)/python bench/pages_bench.py
