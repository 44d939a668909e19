# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | sha1sum | cut -c1-12)

.PHONY: bootstrap run test lint unit format clean stop asyncapi openapi fuzz lock

$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -c requirements.lock -e '.[dev,tools]'
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

bootstrap: $(STAMP)

run: bootstrap  ## Kafka, Redis and the three services; Ctrl-C stops everything
	@$(BIN)/sysaccess run

test: bootstrap lint  ## the whole suite against a real Kafka and Redis of its own
	@$(BIN)/python -m pytest

unit: bootstrap
	@$(BIN)/python -m pytest -m "unit or contract"

lint: bootstrap
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(BIN)/mypy shared services sysaccess tests
	@$(BIN)/lint-imports

format: bootstrap
	@$(BIN)/ruff format .
	@$(BIN)/ruff check --fix .

asyncapi: bootstrap  ## regenerate the committed AsyncAPI documents after a deliberate change
	@$(BIN)/python -m sysaccess.asyncapi write

openapi: bootstrap  ## regenerate the committed OpenAPI documents after a deliberate change
	@$(BIN)/python -m sysaccess.openapi write

fuzz: bootstrap  ## schemathesis with all checks, 60 examples per operation, seed 777, on both APIs
	@SYSACCESS_FUZZ_EXAMPLES=60 SYSACCESS_FUZZ_SEED=777 $(BIN)/python -m pytest tests/fault/test_fuzz.py

stop: bootstrap  ## stop a development infrastructure left running
	@$(BIN)/sysaccess infra stop

lock:
	@$(BIN)/python -m pip freeze --exclude-editable --disable-pip-version-check > requirements.lock

clean:
	rm -rf var/test .pytest_cache .mypy_cache .ruff_cache
