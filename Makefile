# Everything a newcomer needs: `make demo` (the connector end to end) and `make test`.
# The first target that needs Python creates .venv and installs the project into it.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The functions' pins constrain the development install: the tests run the versions deployed,
# not whatever newer release the registry has today.
PINS   := $(wildcard functions/*/requirements.txt)

.PHONY: help install test lint imports typecheck unit integration fuzz bench demo up soak rehearse fmt clean terraform-tools terraform-schema docs docs-gen

help:
	@echo "make demo   - start the local stack and run one whole cycle, with a reconciled report"
	@echo "make up     - start the local stack and keep it up until Ctrl-C"
	@echo "make test   - lint, type-check and run every test tier that can run here"
	@echo "make unit   - the unit tier: every decision, in process, in seconds"
	@echo "make soak   - the local stack under mixed faults for a few minutes, every document reconciled;"
	@echo "             its table is written to docs/testing-results/soak.md"
	@echo "make rehearse - a go-live on the local stack: roitctl setup, token-settings, handover, smoke"
	@echo "make fuzz   - property-based fuzzing of every function input, 20x the budget of make test"
	@echo "make bench  - speed / memory benchmarks"
	@echo "make docs   - build the documentation site (strict) into build/site"
	@echo "make docs-gen - rewrite the generated docs (configuration reference, message schemas)"

$(STAMP): pyproject.toml $(PINS)
	@echo "Installing the project and its development tools into $(VENV) (pip install -e '.[dev]', pinned by functions/*/requirements.txt): this takes a few minutes the first time."
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' $(addprefix -c ,$(PINS))
	touch $(STAMP)

install: $(STAMP)

lint: imports
	$(PY) -m ruff check .
	$(PY) -m ruff format --check shared functions sandbox devstack roitctl tests scripts benchmarks

# The layers of shared/ and what may import what (import-linter; contracts in pyproject.toml).
imports: $(STAMP)
	$(VENV)/bin/lint-imports

# Every functions/*/main.py is module `main`: each is checked on its own, against the rest.
typecheck: $(STAMP)
	$(PY) -m mypy shared sandbox devstack roitctl
	for f in functions/*/main.py; do $(PY) -m mypy "$$f" || exit 1; done

test: lint typecheck terraform-tools docs
	$(PY) -m pytest

# The unit tier: pure decisions in process (no subprocess, emulator, sandbox or sleep), in seconds.
unit: $(STAMP)
	$(PY) -m pytest -m unit

integration: $(STAMP)
	$(PY) -m pytest -m integration

# The fuzz tier (tests/fuzz) runs in `make test` with a fixed budget of a few thousand examples;
# this runs FUZZ_SCALE (default 20) times as many. Failing examples are kept in .hypothesis/.
FUZZ_SCALE ?= 20
fuzz: $(STAMP)
	FUZZ_PROFILE=fuzz-deep FUZZ_SCALE=$(FUZZ_SCALE) $(PY) -m pytest tests/fuzz -m fuzz

demo: $(STAMP)
	$(PY) -m devstack demo

# UP_ARGS: e.g. --name blue --base-port 18000 (see python -m devstack up --help)
up: $(STAMP)
	$(PY) -m devstack up $(UP_ARGS)

# SOAK_ARGS: e.g. --documents 5000 --duration 300 --error-rate 0.3 --seed 7 (see --help)
soak: $(STAMP)
	$(PY) -m devstack soak --write-results $(SOAK_ARGS)

# roitctl's go-live path against the local stack (devstack/rehearse.py); `make test` runs it too
# (tests/roitctl/test_golive_rehearsal.py). Its files and transcript: build/rehearsal/.
rehearse: $(STAMP)
	$(PY) -m devstack.rehearse

bench: $(STAMP)
	$(PY) -m benchmarks --json build/bench.json --results docs/testing-results/bench.md

# The site, strict: a broken link, a missing page or a warning fails it. Reads nothing online.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# docs/configuration.md and docs/schemas/*.json, from the settings and message models and
# terraform/ (tests/docs fails when they are stale).
docs-gen: $(STAMP)
	$(PY) scripts/gen_docs.py

fmt: $(STAMP)
	$(PY) -m ruff format shared functions sandbox devstack roitctl tests scripts benchmarks
	$(PY) -m ruff check --fix .
	terraform fmt -recursive terraform

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache .hypothesis

# Terraform checks (tests/terraform): their tools stay out of the project venv.
# checkov in its own venv; the provider bindings package is only downloaded (its JavaScript and
# declarations are read to derive tests/terraform/provider_schema.json); the schema-only stand-in
# google provider runs from its own venv and is installed, with a Terraform CLI configuration that
# takes the google provider from it only, under build/terraform-standin (scripts/terraform_standin.py).
CHECKOV_VENV     := .venv-checkov
CHECKOV_STAMP    := $(CHECKOV_VENV)/.installed
TFSCHEMA_DIR     := .venv-tfschema
TFSCHEMA_STAMP   := $(TFSCHEMA_DIR)/.downloaded
TFPROVIDER_VENV  := .venv-tfprovider
TFPROVIDER_STAMP := $(TFPROVIDER_VENV)/.installed
STANDIN_DIR      := build/terraform-standin
STANDIN_CONFIG   := $(STANDIN_DIR)/terraformrc

$(CHECKOV_STAMP): scripts/requirements-checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r scripts/requirements-checkov.txt
	touch $@

$(TFSCHEMA_STAMP): scripts/requirements-tfschema.txt $(STAMP)
	$(PY) -m pip download --quiet --no-deps --dest $(TFSCHEMA_DIR) -r scripts/requirements-tfschema.txt
	touch $@

$(TFPROVIDER_STAMP): scripts/requirements-tfprovider.txt
	test -x $(TFPROVIDER_VENV)/bin/python || $(PYTHON) -m venv $(TFPROVIDER_VENV)
	$(TFPROVIDER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TFPROVIDER_VENV)/bin/python -m pip install --quiet -r scripts/requirements-tfprovider.txt
	touch $@

$(STANDIN_CONFIG): $(TFPROVIDER_STAMP) scripts/terraform_standin.py tests/terraform/provider_schema.json
	$(TFPROVIDER_VENV)/bin/python scripts/terraform_standin.py install \
		--python $(TFPROVIDER_VENV)/bin/python --dest $(STANDIN_DIR)

terraform-tools: $(CHECKOV_STAMP) $(TFSCHEMA_STAMP) $(STANDIN_CONFIG)

# After changing which google resources terraform/ uses: rewrite the committed provider schema.
terraform-schema: $(TFSCHEMA_STAMP)
	$(PY) scripts/terraform_standin.py schema
