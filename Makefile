# The learning-society indicator workbook. `make` lists the targets.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
YEARS ?=
ENTITY ?=
JOBS ?=
FORCE ?=

.DEFAULT_GOAL := help
.PHONY: help setup system-packages annex bench test lab lint sample-data template clean

help: ## list the targets with one line each
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN{FS=":.*## "}{printf "  make %-16s %s\n", $$1, $$2}'

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required (found %s)" % sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	@# the flat layout's editable install warns that folders named like the package take precedence:
	@# that is the point here (notebooks import helpers/ from the project), so the warning is silenced
	PYTHONWARNINGS=ignore $(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name xhht --display-name "Python 3 (xhht)" > /dev/null
	touch $(STAMP)

setup: $(STAMP) system-packages ## create .venv with the pinned packages (and the system packages the PDF needs)

system-packages: ## install chromium, fonts-dejavu-core, poppler-utils when missing (root, Debian/Ubuntu)
	@bash scripts/install-system-packages.sh

annex: setup ## build what changed since the last run (ENTITY=hue into output/hue/, YEARS="2023 2024", JOBS=n, FORCE=1)
	$(BIN)/python -m helpers.run.batch $(if $(ENTITY),--entity $(ENTITY)) $(if $(YEARS),--years $(YEARS)) $(if $(JOBS),--jobs $(JOBS)) $(if $(FORCE),--force)

bench: setup ## time the batch against a naive loop, reruns, and a synthetic 1k/10k-commune country
	$(BIN)/python bench/run_bench.py

test: setup ## run the whole test suite
	$(BIN)/python -m pytest -q

lab: setup ## open JupyterLab in Vietnamese at the project root (http://127.0.0.1:8888)
	$(BIN)/python -m helpers.run.lab

lint: setup ## ruff on helpers/, tests/ and the notebooks
	$(BIN)/ruff check helpers tests notebooks

template: setup ## a blank data-entry workbook per commune into output/template/ (ENTITY=hue: output/hue/template/; YEAR=2024; default: this year)
	$(BIN)/python -m helpers.publish.commune_forms $(if $(ENTITY),--entity $(ENTITY)) --year $(or $(YEAR),$(shell date +%Y))

sample-data: setup ## rewrite the bundled sample submissions in data/raw from helpers/sample_data.py
	$(BIN)/python -m helpers.samples.sample_data

clean: ## delete generated data and outputs (data/processed, output), keeping their READMEs
	find data/processed output -mindepth 1 ! -name README.md -delete
