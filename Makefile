# Two commands set up a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo

.PHONY: install demo test lint format docs docs-check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv || true
	if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install --python $(BIN)/python -e '.[dev]'; \
	else $(BIN)/python -m pip install -e '.[dev]'; fi
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/giamdinh demo --dir $(DEMO_DIR)

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy src tests
	$(BIN)/lint-imports

docs: install
	$(BIN)/cog -r docs/*.md

docs-check: install
	$(BIN)/cog --check docs/*.md

test: install lint docs-check
	$(BIN)/pytest

format: install
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

bench: install
	$(BIN)/pytest benchmarks -p no:randomly -m "not never" -o addopts="" -s

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
