# Two commands for a newcomer: `make demo` and `make test`. Needs Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install assets clean bench bench-baseline bench-feed

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	$(BIN)/nextpractice warm_engine
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/nextpractice demo

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
