# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint sample bench clean lock

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(STAMP)

run: $(STAMP)  ## ingest the bundled sample archive into ./data
	$(BIN)/newsarchive run

lint: $(STAMP)  ## style, format and types (run by .ci/run before the tests)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: $(STAMP)  ## the whole test suite
	$(BIN)/python -m pytest

# The marks are set from the fixtures a test uses (tests/conftest.py).
test-fast: $(STAMP)  ## the tests that start no Prefect, pywb, Dask or S3 server
	$(BIN)/python -m pytest -x -q -m "not prefect and not pywb and not dask and not s3"

sample: $(STAMP)  ## regenerate the bundled sample archive (deterministic) from tests/fixtures/sample_archive.py
	$(BIN)/python -m tests.fixtures.sample_archive

bench: $(STAMP)
	$(BIN)/python bench/extraction.py --data ../shared/extraction-dev
	$(BIN)/python bench/warehouse.py
	$(BIN)/python bench/fetch.py
	$(BIN)/python bench/pipeline.py

lock:  ## refresh requirements.lock from the current .venv
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean:
	rm -rf data $(VENV)
