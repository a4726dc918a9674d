# velotui - the two commands of the README quick start are `make run` and `make test`.
# The venv is made by scripts/setup-venv: uv where it can get it (PATH, its cache, or once from PyPI), else
# venv and pip; it says what it does. `make run` installs velotui only; `make test` adds its test tools.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run test install demo-headless bench clean

$(STAMP): pyproject.toml
	@PY=$(PY) scripts/setup-venv $(VENV) .
	@touch $(STAMP)

$(DEV_STAMP): pyproject.toml
	@PY=$(PY) scripts/setup-venv $(VENV) '.[dev]'
	@touch $(DEV_STAMP) $(STAMP)

install: $(DEV_STAMP)

run: $(STAMP)
	$(BIN)/velotui demo/

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q -n 2 tests

demo-headless: $(STAMP)
	$(BIN)/velotui --headless demo/ --junit out.xml

bench: $(STAMP)
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) .pytest_cache out.xml
