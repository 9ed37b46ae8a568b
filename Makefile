# Two commands for a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PYTHON ?= python3
BIN    := $(VENV)/bin

.PHONY: demo test install services bench soak clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/scrm demo

test: install services
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

services:
	scripts/ensure-services.sh

bench: install services
	$(BIN)/python bench/callback.py

soak: install services
	$(BIN)/python bench/soak.py --minutes 2

clean:
	rm -rf $(VENV) var .pytest_cache
