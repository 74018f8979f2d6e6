# Two entry points for a fresh machine: `make demo` and `make test`.
# Each creates .venv when it is missing and (re)installs the package when
# pyproject.toml changed, so nothing needs to be set up by hand first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/nstui demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

# ruff and mypy --strict on nstui/ (settings in pyproject.toml); CI runs it after the tests
lint: $(STAMP)
	$(BIN)/ruff check nstui
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build *.egg-info
