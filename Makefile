# CACILM Knowledge Base — the two commands: `make book` and `make test`.
# Both bootstrap .venv from requirements.lock (re-installed only when the lock or pyproject changes).

PYTHON ?= python3
# No bytecode is compiled at install: Python compiles a module the first time a process imports
# it and keeps the bytecode. Fewer than half of the venv's modules are ever imported, and compiling
# all of them took 24 CPU-seconds. A process that may not keep its bytecode would compile the same
# modules again in every process, so the targets here always let it.
unexport PYTHONDONTWRITEBYTECODE
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KB     := $(BIN)/kb
NODE_STAMP := node_modules/.installed
BENCH_NODE_STAMP := node_modules/.installed-bench

.PHONY: book test serve clean dist bench validate lint lock update workshop-kit

book: $(STAMP)
	@$(KB) build

test: $(STAMP) $(NODE_STAMP)
	@$(BIN)/ruff check src tests
	@$(BIN)/pytest -q -n 2 --dist loadfile --no-loadscope-reorder

serve: $(STAMP)
	@$(KB) serve

bench: $(STAMP) $(BENCH_NODE_STAMP)
	@$(KB) bench

dist: $(STAMP)
	@$(KB) dist

# The participant kit alone (make dist writes it too): wheels for Windows, Linux and macOS.
workshop-kit: $(STAMP)
	@$(KB) kit

validate: $(STAMP)
	@$(KB) validate

# Refresh data/ from the publishers' APIs (needs the internet); review _build/update-report.md.
update: $(STAMP)
	@$(KB) update

lint: $(STAMP)
	@$(BIN)/ruff check src tests
	@$(BIN)/ruff format --check src tests

clean:
	@if [ -x $(KB) ]; then $(KB) clean; else rm -rf _build book/_generated; fi

# Re-lock after editing pyproject.toml dependencies: the project's lock (Linux, this machine) and
# the workshop kit's (universal: Windows, Linux and macOS laptops).
# rfc3987-syntax (pulled in by jupyter-events through jsonschema[format-nongpl]) compiles 39
# grammars each time jsonschema is imported: 1.3 s in every process and kernel that imports
# altair, frictionless, nbformat or jupyter-book. Left out, jsonschema skips the IRI format check.
lock: $(STAMP)
	$(BIN)/uv pip compile pyproject.toml --extra test --extra workshop --python-version 3.11 --generate-hashes \
	  --no-emit-package rfc3987-syntax --no-emit-package lark -o requirements.lock
	$(BIN)/python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['workshop']))" \
	  | $(BIN)/uv pip compile - --universal --python-version 3.11 --generate-hashes \
	  --no-emit-package rfc3987-syntax --no-emit-package lark -o requirements-workshop.lock

$(STAMP): requirements.lock pyproject.toml
	@echo "Setting up $(VENV) from requirements.lock …"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --isolated --quiet --disable-pip-version-check uv==0.13.9
	@$(BIN)/uv pip sync --quiet --python $(BIN)/python requirements.lock
	@$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	@touch $@

# Test tools (axe-core, the W3C Nu HTML checker) from package-lock.json; Lighthouse, an optional
# dependency there, only for `make bench` (npm ci empties node_modules, stamps included).
$(NODE_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --silent --omit=optional
	@touch $@

$(BENCH_NODE_STAMP): package.json package-lock.json
	@npm ci --no-audit --no-fund --silent
	@touch $@ $(NODE_STAMP)
