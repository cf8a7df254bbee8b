# The two commands: `make demo` (the main job) and `make test` (the test suite).
# Each sets up its own virtual environment in .venv with the locked install (constraints.txt: the
# exact version of every package; pyproject.toml only gives compatible ranges), and re-installs
# when pyproject.toml or constraints.txt has changed since the last install.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test pl-device-test bench docs lint setup lock clean

LOCK := constraints.txt
PIP := $(BIN)/python -m pip install --quiet -c $(LOCK)

$(STAMP): pyproject.toml $(LOCK)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) pip
	$(PIP) -e '.[dev]'
	$(BIN)/python -c 'from qdist.sim import native; print(native.status())'
	@touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/qdist demo

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 tests

# PennyLane's own device test suite on the qdist.qubit device (torch and tf excluded); its runner
# calls `pytest` from PATH, hence the venv first on PATH
pl-device-test: $(STAMP)
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/pl-device-test --device qdist.qubit --skip-ops \
	  -k "not torch and not tf" -n 2 -q

# every script in benchmarks/ (each in its own process; BENCH_ARGS=--quick for small sizes), then
# benchmarks/results/SUMMARY.md
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): pyproject.toml $(LOCK) $(STAMP)
	$(PIP) -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

# the documentation site: its own install of the docs tools (guarded by a stamp file), strict build
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): pyproject.toml $(LOCK) $(STAMP)
	$(PIP) -e '.[dev,docs]'
	@touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

lint: $(STAMP)
	$(BIN)/ruff check qdist shadows benchmarks tests
	$(BIN)/ruff format --check qdist shadows benchmarks tests

# re-resolve every extra within pyproject.toml's ranges (newest versions) and rewrite the lock
lock: $(STAMP)
	$(BIN)/python -m pip install --quiet --upgrade pip -e '.[dev,bench,docs]'
	{ sed -n '1,2p' $(LOCK); echo "pip==$$($(BIN)/python -m pip --version | cut -d' ' -f2)"; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^qdist'; } > $(LOCK).new
	mv $(LOCK).new $(LOCK)
	@touch $(STAMP)

clean:
	rm -rf $(VENV) .pytest_cache results
