# Every target bootstraps .venv on a fresh machine that has only python3 and make.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
export HYPOTHESIS_PROFILE ?= ci

.PHONY: tour test checks bench fuzz fuzz-ci stress mutation lint typecheck imports unit docs wheel-check clean help postgres-binaries test-engines java

help:
	@echo "make tour   - the deterministic walkthrough of crmcore (start here)"
	@echo "make test   - every check: lint, format, types, import contracts, tests with coverage, docs, wheel"
	@echo "make docs   - build the documentation site (strict) into build/site"
	@echo "make bench  - benchmarks: crmcore against pandas and plain Python, as ratios"
	@echo "make fuzz   - the fuzz suite with many examples (Hypothesis profile deep)"
	@echo "make stress - the large concurrency runs: threads on memory, processes on SQLite and PostgreSQL"
	@echo "make test-engines - the analytics plans on DuckDB, PostgreSQL and Spark (needs Java), with 10^6-row runs"
	@echo "make mutation - mutation testing of domain and analytics with mutmut (long)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -e ".[dev]"
	touch $(STAMP) $(TOUR_STAMP)

# The tour needs only the package (attrs and pendulum): a fresh clone runs it
# in seconds. The development set, once installed, contains it.
TOUR_STAMP := $(VENV)/.installed-package

$(TOUR_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --no-compile --disable-pip-version-check -e .
	touch $(TOUR_STAMP)

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/run.py

MUTATION_STAMP := $(VENV)/.installed-mutation

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,mutation]"
	touch $(MUTATION_STAMP)

ENGINES_STAMP := $(VENV)/.installed-engines

$(ENGINES_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev,spark]"
	touch $(ENGINES_STAMP)

# Spark runs on the JVM: install a Java runtime when there is none (Debian's
# default-jre-headless), or stop here saying so; Spark's tests are never skipped.
java:
	@if ! command -v java >/dev/null; then \
		echo "installing a Java runtime (Spark runs on the JVM)"; \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			default-jre-headless >/dev/null; } || \
		{ echo "make test-engines: Java is missing and could not be installed; Spark needs Java 17 or later"; exit 1; }; \
	fi

# The analytics plans on every engine, Spark (local mode) included, and the seeded
# 10^6-row differential runs (tests/scale). py4j, Spark's bridge, leaves its
# sockets to the garbage collector: their ResourceWarnings are not errors here.
test-engines: $(ENGINES_STAMP) postgres-binaries java
	CRMCORE_MUTATION= CRMCORE_SPARK=1 CRMCORE_ENGINE_EXAMPLES=60 $(BIN)/python -m pytest -q -p no:randomly \
		tests/engines tests/scale \
		-W "ignore::ResourceWarning" -W "ignore::pytest.PytestUnraisableExceptionWarning"

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest tests/fuzz -p no:randomly -q \
		--hypothesis-show-statistics -o addopts="-p no:cacheprovider --strict-markers"

stress: $(STAMP)
	CRMCORE_STRESS=1 $(BIN)/python -m pytest -q \
		tests/services/test_concurrency.py tests/sql/test_concurrency.py

mutation: $(MUTATION_STAMP)
	HYPOTHESIS_PROFILE=mutation $(BIN)/python tools/mutation.py run

tour: $(TOUR_STAMP)
	$(BIN)/crmcore tour

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools conftest.py
	$(BIN)/ruff format --check src tests benchmarks tools conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

# CRMCORE_MUTATION is emptied so that no environment can narrow the engine
# tests to DuckDB (only `make mutation` does, tests/engines/tables.py).
# The fuzz suite runs outside coverage: tracing would triple its time, and the
# other suites reach every branch on their own.
# Tests run on every core (pytest-xdist), a file's tests on one worker
# (loadfile: with worksteal, one run out of several lost a worker's coverage
# data). The code blocks of a document share one namespace and run in order;
# loadfile keeps a document's blocks on one worker, in order, so the
# documents run in the same parallel session.
unit: $(STAMP) postgres-binaries
	$(BIN)/coverage erase
	CRMCORE_MUTATION= $(BIN)/python -m pytest -n auto --dist loadfile --cov --cov-report=term-missing:skip-covered \
		--cov-fail-under=100 tests README.md docs --ignore=tests/fuzz --ignore=tests/scale

# The fuzz suite at the ci profile's depth, a job of its own so that `make test`
# runs it beside the main suite (`make fuzz` is the deep run).
fuzz-ci: $(STAMP)
	$(BIN)/python -m pytest -n auto tests/fuzz

# The SQL store's tests start a real PostgreSQL server themselves
# (tests/sql/postgres.py) from Debian's postgresql binaries, or those in
# $CRMCORE_PG_BINDIR; install the package when neither is there. If that
# fails, make stops here: the tests are never skipped.
postgres-binaries:
	@if [ -z "$${CRMCORE_PG_BINDIR:-}" ] && ! command -v initdb >/dev/null \
		&& ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "installing Debian's postgresql package (the SQL store's tests start a real server)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; \
	fi

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet --site-dir build/site

wheel-check: $(STAMP)
	rm -rf build/wheel build/wheel-venv
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir build/wheel .
	$(PYTHON) -m venv --without-pip build/wheel-venv
	$(BIN)/python -m pip --python build/wheel-venv/bin/python install --quiet \
		--disable-pip-version-check build/wheel/crmcore-*.whl
	cd build && wheel-venv/bin/python -c \
		"import crmcore, crmcore.analytics, crmcore.adapters; print('wheel ok:', crmcore.__version__, crmcore.__file__)"
	build/wheel-venv/bin/crmcore tour > /dev/null

# The strict documentation build is part of `unit` (tests/tooling/test_docs.py
# builds the site with --strict), so `test` does not build it a second time.
# The checks run two at a time, the main suite first (it is the longest): lint,
# types, import contracts, the wheel and then the fuzz suite fill the core it
# leaves idle (while it collects, starts its workers and combines coverage). Each check's output is
# printed whole when it ends (-Otarget); the first failure fails `make test`.
test: $(STAMP)
	$(MAKE) --no-print-directory -j2 -Otarget checks

checks: unit lint typecheck imports wheel-check fuzz-ci

clean:
	rm -rf $(VENV) build dist mutants .coverage .hypothesis .mypy_cache .ruff_cache .pytest_cache
