# Every target bootstraps .venv on a fresh machine that has only python3 and make.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
export HYPOTHESIS_PROFILE ?= ci

.PHONY: test lint typecheck imports unit wheel-check clean help

help:
	@echo "make test   - every check: lint, format, types, import contracts, tests with coverage, wheel"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests examples conftest.py
	$(BIN)/ruff format --check src tests examples conftest.py

typecheck: $(STAMP)
	$(BIN)/mypy

imports: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/coverage erase
	$(BIN)/coverage run -m pytest
	$(BIN)/coverage report

wheel-check: $(STAMP)
	rm -rf build/wheel build/wheel-venv
	$(BIN)/python -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir build/wheel .
	$(PYTHON) -m venv --without-pip build/wheel-venv
	$(BIN)/python -m pip --python build/wheel-venv/bin/python install --quiet \
		--disable-pip-version-check build/wheel/crmcore-*.whl
	cd build && wheel-venv/bin/python -c \
		"import crmcore, crmcore.analytics, crmcore.adapters; print('wheel ok:', crmcore.__version__, crmcore.__file__)"

test: lint typecheck imports unit wheel-check

clean:
	rm -rf $(VENV) build dist .coverage .hypothesis .mypy_cache .ruff_cache .pytest_cache
