# The two quick-start targets: `make demo` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test lint typecheck unit bench bench-checkov mutation clean policy-bundle

# (Re)install when the dependency declarations change; constraints.txt pins what CI tested.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

demo: setup
	$(BIN)/tierguard demo --stack dev
	@echo; echo "== Rule usage from an hour of generated flow logs (tiers named by the plan) =="
	@flows=$$(mktemp -d) && trap 'rm -rf "$$flows"' EXIT && \
	  $(BIN)/tierguard generate-flow-logs --stack dev --to "$$flows" && \
	  $(BIN)/tierguard usage --flow-logs "$$flows" --stack dev --from-plan

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/python -m pytest

test: lint typecheck unit

# The policy pack as `pulumi policy publish build/policy` uploads it (its own requirements.txt).
policy-bundle: setup
	$(BIN)/python -m tierguard.policies.bundle build/policy

bench: setup
	$(BIN)/python -m bench

# Checkov in its own virtualenv, for the bench's reference column (not a tierguard dependency).
bench-checkov:
	mkdir -p bench/checkov && (test -x bench/checkov/.venv/bin/python || $(PYTHON) -m venv bench/checkov/.venv)
	bench/checkov/.venv/bin/python -m pip install --quiet --disable-pip-version-check checkov==3.3.30

# Not part of `test` or CI: mutation testing, package by package (see README).
mutation: setup
	nice -n 19 $(BIN)/python -m mutation $(MUTATION_ARGS)

clean:
	rm -rf $(VENV) build .mypy_cache .ruff_cache .pytest_cache .hypothesis .mutation
