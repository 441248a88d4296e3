# Two commands set up a fresh machine: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR ?= demo

.PHONY: install demo serve test lint format docs docs-check bench bench-full clean

# Installs the exact versions of uv.lock (`uv lock` updates it). --inexact keeps
# uv itself in the venv; bytecode is compiled once here, not at every start.
$(STAMP): pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv || true
	if [ -x $(BIN)/uv ]; then UV_PROJECT_ENVIRONMENT=$(VENV) $(BIN)/uv sync --frozen \
		--inexact --extra dev --compile-bytecode --python $(BIN)/python; \
	else $(BIN)/python -m pip install -e '.[dev]'; fi
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/giamdinh demo --dir $(DEMO_DIR)

# The web application and API on the demo province (made first when missing).
serve: install
	$(BIN)/giamdinh serve --demo --dir $(DEMO_DIR)

lint: install
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy src tests
	$(BIN)/lint-imports

docs: install
	$(BIN)/cog -r docs/*.md docs/standard/*.md

docs-check: install
	$(BIN)/cog --check docs/*.md docs/standard/*.md

test: install lint docs-check
	$(BIN)/pytest

format: install
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

# Every benchmark at a small size (under a minute): each prints its figures and
# the ratio to its baseline. bench-full runs the sizes the issues name (5-8
# minutes on 2 cores, and the policy replay about three times the engine's 10 M
# run on top; the engine's 10 M-line tables are generated once, in the temporary
# folder, and shared by the policy replay's). Timings never gate tests.
bench: install
	$(BIN)/python benchmarks/bench_engine.py --steps 100000 1000000
	$(BIN)/python benchmarks/bench_policy.py --steps 100000
	$(BIN)/python benchmarks/bench_ingest.py --claims 5000 --steps 5000
	$(BIN)/python benchmarks/bench_refdata.py --lines 100000
	$(BIN)/python benchmarks/bench_signals.py --lines 500000
	$(BIN)/python benchmarks/bench_synth.py --steps 2000
	$(BIN)/python benchmarks/rules_recall.py --claims 1000 --facilities 4 --anomaly-rate 0.2
	$(BIN)/python benchmarks/signals_recall.py --claims 2000 --seeds 1
	$(BIN)/python benchmarks/bench_startup.py --runs 5

bench-full: install
	$(BIN)/python benchmarks/bench_engine.py --steps 1000000 10000000 --memory-limit 2GB
	$(BIN)/python benchmarks/bench_policy.py --steps 1000000 10000000 --memory-limit 2GB
	$(BIN)/python benchmarks/bench_ingest.py --claims 100000
	$(BIN)/python benchmarks/bench_refdata.py --lines 1000000
	$(BIN)/python benchmarks/bench_signals.py --lines 10000000
	$(BIN)/python benchmarks/bench_synth.py --steps 5000,50000
	$(BIN)/python benchmarks/rules_recall.py --claims 3000 --facilities 6 --anomaly-rate 0.2 --seed 1
	$(BIN)/python benchmarks/signals_recall.py --claims 8000 --seeds 1 2 3 4 5 6
	$(BIN)/python benchmarks/bench_startup.py --runs 15

clean:
	rm -rf $(VENV) $(DEMO_DIR) .mypy_cache .ruff_cache .pytest_cache
