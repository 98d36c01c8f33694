# Survey Workbench. `make demo` and `make test` do all set-up on a fresh machine (Python 3.11 + pip).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
KERNEL := survey-workbench
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# JupyterLab settings for this environment only: no "Jupyter news?" prompt and no update check.
# (`--LabApp.news_url=None` on the command line does not stop the front end from asking.)
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.json

.PHONY: demo test test-fast install kernel lab bench clean help

help:
	@echo "make demo   - set up .venv, generate demo data, run every demo report, print the index path"
	@echo "make test   - set up .venv and run every test (unit, doctests, notebooks, CLI, browser)"
	@echo "make test-fast - every test but the notebook runs and the browser (the edit-test loop)"
	@echo "make lab    - start JupyterLab with the project kernel"
	@echo "make bench  - speed and memory against peers (benchmarks/)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (Survey Workbench)" >/dev/null
	@mkdir -p $(dir $(LAB_OVERRIDES))
	@printf '%s\n' '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' > $(LAB_OVERRIDES)
	@touch $(STAMP)

install: $(STAMP)

kernel: $(STAMP)
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (Survey Workbench)"

demo: $(STAMP)
	$(BIN)/survey demo --out data/demo --scale small
	$(BIN)/survey run notebooks/plans/demo.yml; status=$$?; \
	echo ""; echo "Open: $(CURDIR)/outputs/demo/index.html"; exit $$status

test: $(STAMP)
	$(BIN)/python -m pytest

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not browser"

# No news feed or update check: field laptops are often offline (see LAB_OVERRIDES).
lab: $(STAMP)
	@test -d data/demo || $(BIN)/survey demo --out data/demo --scale small
	$(BIN)/jupyter lab --notebook-dir=. --LabApp.news_url=None \
	    --LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate \
	    $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) notebooks/00_start_here.ipynb

# Speed and memory beside the peer tools, as ratios (minutes; never part of `make test`).
# run_all.py prints one table of ratios and writes outputs/bench/results.json.
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run_all.py
	$(BIN)/python benchmarks/bench_validate.py --columns 1000 10000
	$(BIN)/python benchmarks/bench_cfa.py
	$(BIN)/python benchmarks/bench_impact.py
	$(BIN)/python benchmarks/bench_batch.py

clean:
	rm -rf outputs/demo outputs/scratch data/demo
