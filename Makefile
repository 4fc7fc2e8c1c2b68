# kg: the first two commands on a fresh machine are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
KG := $(VENV)/bin/kg
STORE ?= ./data/store
HOST ?= 127.0.0.1
PORT ?= 8000
SHARED ?= ../shared

.PHONY: install run test pytest lint eval train bench bench-scale clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

# Ingest the seed article (its JSON form: the .txt beside it is the same article as plain text) and serve.
run: install
	$(KG) ingest seeds/*.json --store $(STORE)
	$(KG) serve --store $(STORE) --host $(HOST) --port $(PORT)

test: install lint pytest

pytest: install
	$(PY) -m pytest -q

lint: install
	$(VENV)/bin/ruff check kg tests bench
	$(VENV)/bin/mypy kg
	$(VENV)/bin/lint-imports  # the layers in pyproject.toml ([tool.importlinter])

# The headline and its parts over the gold, per genre, in-sample beside out-of-fold (5 folds by article):
# build/eval/summary.txt, and the scorer's per-article report build/eval/report.txt
eval: install
	$(PY) -m kg.evaluate --gold $(SHARED)/gold --corpus $(SHARED)/corpus --corpus seeds --out build/eval

# Refit the learned deployment filter on the gold (kg/extract/models/deployments.json); it is enabled only
# when, fitted out-of-fold, it beats the rules alone
train: install
	$(PY) -m kg.train --gold $(SHARED)/gold --corpus $(SHARED)/corpus --corpus seeds

# Ingest, validation, store-load and query figures, queries at 1,000 and 10,000 articles on both backends
# (about 13 minutes here, within its 780 s budget): build/bench.json
bench: install
	$(PY) -m bench --out build/bench.json

# Query latency at 100,000 articles on both backends (43M quads; about 50 minutes here: 27 of them the two
# store builds, which run at once, then queries until the budget): build/bench-scale.json, in the same format
bench-scale: install
	$(PY) -m bench --queries-only --sizes 100000 --query-limit 30 --budget 2900 --out build/bench-scale.json

clean:
	rm -rf build data .pytest_cache .mypy_cache .ruff_cache
