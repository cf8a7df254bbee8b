# The two commands: `make demo` (the main job) and `make test` (the test suite).
# Each sets up its own virtual environment in .venv with the pinned install, and re-installs only
# when pyproject.toml has changed since the last install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench docs lint setup clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/qdist demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

# every script in benchmarks/ (each in its own process; BENCH_ARGS=--quick for small sizes), then
# benchmarks/results/SUMMARY.md
bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# the documentation site: its own install of the docs tools (guarded by a stamp file), strict build
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lint: $(STAMP)
	$(BIN)/ruff check qdist shadows benchmarks tests
	$(BIN)/ruff format --check qdist shadows benchmarks tests

clean:
	rm -rf $(VENV) .pytest_cache results
