# Two commands for everyone (see README):  make lab   |   make test
# Both create or update .venv from pyproject.toml (the one pin set) before doing anything else.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
# Jupyter, IPython, matplotlib and pip keep their state inside the repo (ignored), never in $HOME.
STATE  := $(CURDIR)/.jupyter-local
export JUPYTER_CONFIG_DIR   := $(STATE)/config
export JUPYTER_DATA_DIR     := $(STATE)/data
export JUPYTER_RUNTIME_DIR  := $(STATE)/runtime
export JUPYTERLAB_SETTINGS_DIR   := $(STATE)/lab/user-settings
export JUPYTERLAB_WORKSPACES_DIR := $(STATE)/lab/workspaces
export IPYTHONDIR           := $(STATE)/ipython
export MPLCONFIGDIR         := $(STATE)/matplotlib
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PIP_CACHE_DIR        := $(STATE)/pip-cache

ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/nbval_sanitize.cfg --nbval-cell-timeout=600
PYTEST_ARGS ?=

.PHONY: lab test env regenerate nbval lint benchmarks clean

env: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the course environment into $(VENV) (first time: about a minute) ..."
	@mkdir -p $(STATE)
	@$(PY) -m pip install -e '.[dev]' > $(STATE)/pip-install.log 2>&1 || { tail -30 $(STATE)/pip-install.log; exit 1; }
	@$(PY) -c "import torch, lessonkit; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(ROOT_FLAG) $(LAB_ARGS)

test: $(STAMP)
	$(PY) -m ruff check lessonkit tests benchmarks tools
	$(PY) -m pytest -n 2 --dist loadscope $(NBVAL) tests notebooks $(PYTEST_ARGS)

regenerate: $(STAMP)
	$(PY) tools/regenerate.py $(NB)

# strict nbval on some notebooks only, e.g. make nbval NB=notebooks/07_tolist_item.ipynb
nbval: $(STAMP)
	$(PY) -m pytest $(NBVAL) $(or $(NB),notebooks) $(PYTEST_ARGS)

lint: $(STAMP)
	$(PY) -m ruff check lessonkit tests benchmarks tools

benchmarks: $(STAMP)
	cd benchmarks && ../$(PY) run_all.py

clean:
	rm -rf $(VENV) $(STATE) artifacts
