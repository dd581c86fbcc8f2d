# Two commands for everyone (see README):  make lab   |   make test
# Both create or update .venv from pyproject.toml (the one pin set) before doing anything else.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Supported Pythons (keep in step with requires-python in pyproject.toml). The first interpreter on PATH
# that is one of them is used: python3 first, then python3.13, python3.12, python3.11. Override with
# `make test PYTHON=/path/to/python3.12`.
SUPPORTED := 3.11 3.12 3.13
PY_OK     := import sys; sys.exit(f"{sys.version_info[0]}.{sys.version_info[1]}" not in "$(SUPPORTED)".split())
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3 python3.13 python3.12 python3.11; do \
            command -v $$p >/dev/null 2>&1 && $$p -c '$(PY_OK)' 2>/dev/null && { command -v $$p; break; }; \
          done)
endif
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.dev-installed-stamp
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

.PHONY: lab test env regenerate nbval nbval-other lint benchmarks clean i18n stale

env: $(DEV_STAMP)

# The learner environment (make lab): the course and JupyterLab, no test or browser tools.
$(STAMP): pyproject.toml postBuild share/jupyter/lab/settings/overrides.d/lessonkit.json
	@test -x $(PY) || { \
	  test -n "$(PYTHON)" && "$(PYTHON)" -c '$(PY_OK)' 2>/dev/null || { \
	    echo "No supported Python found. This course needs Python 3.11, 3.12 or 3.13 (found: '$(PYTHON)')."; \
	    echo "Install one of them, or point make at it: make test PYTHON=/path/to/python3.12"; exit 1; }; \
	  "$(PYTHON)" -m venv $(VENV); }
	@echo "Installing the course environment into $(VENV) (first time: about a minute) ..."
	@mkdir -p $(STATE)
	@$(PY) -m pip install -e . > $(STATE)/pip-install.log 2>&1 || { tail -30 $(STATE)/pip-install.log; exit 1; }
	@$(PY) -c "import torch, lessonkit; assert torch.__version__.startswith('2.13.0'), torch.__version__"
	@PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash postBuild   # the course's JupyterLab settings
	@touch $(STAMP)

# Developers and CI (make test and the targets below): the same plus the `dev` extra.
$(DEV_STAMP): $(STAMP)
	@echo "Adding the test, lint and browser tools (the dev extra) ..."
	@$(PY) -m pip install -e '.[dev]' > $(STATE)/pip-install-dev.log 2>&1 || { tail -30 $(STATE)/pip-install-dev.log; exit 1; }
	@touch $(DEV_STAMP)

# Opens on notebooks/START.ipynb: both editions' lessons (English, 简体中文) and the guides. The whole
# repository is served, so the notebooks' links to docs/ (glossary, notation, guides) open too.
lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=. --LabApp.default_url=/lab/tree/notebooks/START.ipynb $(ROOT_FLAG) $(LAB_ARGS)

test: $(DEV_STAMP)
	$(PY) -m ruff check lessonkit tests benchmarks tools
	$(PY) -m pytest -n 2 --dist loadscope $(NBVAL) tests notebooks $(PYTEST_ARGS)

regenerate: $(DEV_STAMP)
	$(PY) tools/regenerate.py $(NB)

# strict nbval on some notebooks only, e.g. make nbval NB=notebooks/07_tolist_item.ipynb
nbval: $(DEV_STAMP)
	$(PY) -m pytest $(NBVAL) $(or $(NB),notebooks) $(PYTEST_ARGS)

# strict nbval under another supported Python, in its own venv (.venv-3.13, ...); CI runs it for 3.13 so
# the whole supported range stays proven. Learner extras + the test tools only.
OTHER_PYTHON ?= python3.13
nbval-other:
	@$(OTHER_PYTHON) -c '$(PY_OK)' && v=$$($(OTHER_PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])') || { \
	  echo "$(OTHER_PYTHON) is not one of the supported Pythons ($(SUPPORTED))"; exit 1; }; \
	venv=.venv-$$v; mkdir -p $(STATE); \
	test -x $$venv/bin/python || $(OTHER_PYTHON) -m venv $$venv; \
	echo "Installing the course + test tools into $$venv (Python $$v) ..."; \
	$$venv/bin/python -m pip install -e '.[test]' > $(STATE)/pip-install-$$v.log 2>&1 || { tail -30 $(STATE)/pip-install-$$v.log; exit 1; }; \
	$$venv/bin/python -c "import sys, torch; print('Python', sys.version.split()[0], 'torch', torch.__version__)"; \
	$$venv/bin/python -m pytest -n 2 --dist loadscope $(NBVAL) notebooks $(PYTEST_ARGS)  # loadscope: one notebook, one kernel

# The Chinese edition: update lessonkit's message catalogs from the code and list what is untranslated
# (lessonkit/locale, tools/i18n.py); list Chinese notebook cells whose English changed (tools/editions.py).
i18n: $(DEV_STAMP)
	$(PY) tools/i18n.py update
	$(PY) tools/i18n.py missing

stale: $(DEV_STAMP)
	$(PY) tools/editions.py stale

lint: $(DEV_STAMP)
	$(PY) -m ruff check lessonkit tests benchmarks tools

benchmarks: $(DEV_STAMP)
	cd benchmarks && ../$(PY) run_all.py

clean:
	rm -rf $(VENV) $(VENV)-3.* $(STATE) artifacts

# Present notebooks as a deck at 1280x720 in JupyterLab + Chromium; list every slide taller than the
# screen, screenshots in artifacts/deck/ (usage: tools/deck.py --help). make deck NB=notebooks/05_losses.ipynb
.PHONY: deck
deck: $(DEV_STAMP)
	$(PY) tools/deck.py $(NB) $(DECK_ARGS)
