# One task runner for people and CI. Only Python 3.11+, pip and make are needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
DEMO := data/demo
ROWS ?= 50000
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo's API key; set DECLINERISK_API_KEY_HASHES yourself for anything real.
DEMO_KEY ?= demo-key-change-me

.PHONY: install run demo-data train score test quick lint typecheck unit benchmark clean

install: $(INSTALLED)

$(INSTALLED): pyproject.toml
	@echo "Creating $(VENV) and installing declinerisk with its dependencies (about 850 MB)."
	@echo "This takes 1-3 minutes; pip prints only problems."
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	@echo "Installed into $(VENV)."
	touch $@

# The main job on the embedded default: demo data, a model (trained only when none exists),
# the open demo offers scored (riskiest printed), then the service on $(HOST):$(PORT).
run: score
	DECLINERISK_API_KEY_HASHES="$${DECLINERISK_API_KEY_HASHES:-$$($(BIN)/python -c \
	  'import hashlib,sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' '$(DEMO_KEY)')}" \
	  $(BIN)/declinerisk serve --host $(HOST) --port $(PORT)

score: $(INSTALLED) models/latest/manifest.json $(DEMO)/open_offers.csv
	$(BIN)/declinerisk score $(DEMO)/open_offers.csv --out out/open_offers_scored.csv

demo-data: $(DEMO)/offers.csv $(DEMO)/open_offers.csv

$(DEMO)/offers.csv: | $(INSTALLED)
	$(BIN)/declinerisk demo-data --rows $(ROWS) --seed 7 --out $@

$(DEMO)/open_offers.csv: | $(INSTALLED)
	$(BIN)/declinerisk demo-data --rows 2000 --seed 8 --open --out $@

models/latest/manifest.json: | $(INSTALLED) $(DEMO)/offers.csv
	$(BIN)/python -m declinerisk.train --data $(DEMO)/offers.csv

train: $(INSTALLED) $(DEMO)/offers.csv
	$(BIN)/python -m declinerisk.train --data $(DEMO)/offers.csv

# The whole test suite: lint, types, then every test (end-to-end ones included).
test: lint typecheck unit

# The development tier (under 2 minutes): lint, then every test not marked slow (the slow ones
# start subprocesses, browsers, load or training runs; `make test` and CI run them too).
quick: $(INSTALLED)
	$(BIN)/ruff check src service tests benchmarks
	$(BIN)/pytest -q -m "not slow"

lint: $(INSTALLED)
	$(BIN)/ruff check src service tests benchmarks
	$(BIN)/ruff format --check src service tests benchmarks
	$(BIN)/lint-imports

typecheck: $(INSTALLED)
	$(BIN)/mypy

# Two pytest-xdist workers, one OpenMP thread each (each has its own test PostgreSQL database), then
# the few tests that must run alone; --durations keeps the suite's slowest tests in view.
unit: $(INSTALLED)
	OMP_NUM_THREADS=1 $(BIN)/pytest -n 2 -m "not serial" --durations=20
	$(BIN)/pytest -m serial

benchmark: $(INSTALLED)
	$(BIN)/python benchmarks/train_benchmark.py

clean:
	rm -rf $(VENV) data out mlflow.db mlruns declinerisk.db* declinerisk.spool.jsonl declinerisk.spool.jsonl.lock
