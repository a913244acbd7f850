# Assay: `make demo` runs it, `make test` tests it. Both install what they need.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONUNBUFFERED := 1

.PHONY: install demo test lint typecheck pytest browser-deps lock clean benchmark

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python requirements.lock pyproject.toml
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv>=0.5,<1"
	$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

install: $(STAMP) browser-deps

# Browser tests drive Debian's chromium; nothing is downloaded by Playwright.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

demo: $(STAMP)
	ASSAY_DEBUG=$${ASSAY_DEBUG:-true} $(BIN)/python manage.py demo

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: install
	SECRET_KEY=$${SECRET_KEY:-test-only-not-secret-key-for-the-test-suite-0123456789} $(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck pytest

lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet "uv>=0.5,<1"
	$(BIN)/uv pip compile --quiet --python $(BIN)/python pyproject.toml --extra dev -o requirements.lock

benchmark: $(STAMP)
	$(BIN)/python benchmarks/registry_api.py

clean:
	rm -rf $(VENV) var test-artifacts
