# Every target creates the virtual environment when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The demo needs only the command and the mock: a fresh clone's `make demo` installs
# those, not the dev extra (`make test` adds the rest).
DEMO_STAMP := $(VENV)/.demo-stamp

.PHONY: install gen gen-check lint test test-fast test-pythons fuzz bench demo mock clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(DEMO_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -e '.[cli,mock]'
	@touch $(DEMO_STAMP)

install: $(STAMP)  ## create .venv and install the project with its dev extras

gen: $(STAMP)  ## merge openapi/vendor/, apply the overlay, regenerate generated/veo_api
	$(BIN)/python openapi/generate.py

gen-check: $(STAMP)  ## fail, naming files, when a vendor document, openapi/veo.yaml or generated/ drifted
	$(BIN)/python openapi/generate.py --check

lint: $(STAMP)  ## ruff on handwritten code, mypy --strict on veo/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy veo

# Four workers, whatever the CPU count: the suite mostly waits on the servers and the
# subprocesses it starts.
WORKERS ?= 4

test: lint gen-check  ## lint, drift check, then the test suite (in $(WORKERS) processes)
	$(BIN)/pytest -n $(WORKERS) --cov --cov-report=term

test-fast: $(STAMP)  ## the unit and in-process integration tests: under a minute
	$(BIN)/pytest -q -n $(WORKERS) tests/unit tests/integration

test-pythons:  ## the unit tests on CPython 3.12 and 3.13, where this machine has them (.venv-3.X)
	tools/test-other-pythons

bench: $(STAMP)  ## benchmarks side by side with raw httpx; writes bench-results.json
	$(BIN)/python benchmarks/run.py

DEMO_OUT ?= demo/car.mp4
# With the dev extra installed already, nothing more to install.
demo: $(if $(wildcard $(STAMP)),$(STAMP),$(DEMO_STAMP))  ## the whole job against the embedded mock; prints the video's path
	@rm -f $(DEMO_OUT)
	$(BIN)/veo generate --mock "The car moves forward at a high speed" --out $(DEMO_OUT)

mock: $(STAMP)  ## run the mock server on 127.0.0.1:8000
	$(BIN)/veo mock --port 8000

FUZZ_SECONDS ?= 300
fuzz: $(STAMP)  ## schemathesis CLI against a live mock, for FUZZ_SECONDS (default 300)
	$(BIN)/python tests/contract/fuzz.py --seconds $(FUZZ_SECONDS)

clean:
	rm -rf $(VENV) .venv-3.* dist build .pytest_cache .mypy_cache .ruff_cache .coverage htmlcov
