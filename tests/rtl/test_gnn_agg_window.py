"""gnn_agg_window (rtl/gnn_agg_window.sv) on its own in Verilator, driven by cocotb
(sim/cocotb/test_gnn_agg_window.py) against a cycle-level Python model: seeded random runs of
16- and 32-bit elements, empty and one-element runs, runs ending inside a word, back-to-back
runs, consumer backpressure (random takes) and producer gaps, the full N-per-cycle rate, and the
comparison tags (3, as the walker's col_idx window carries) under changing limits.
Builds: the walker's windows of the PYNQ-Z2 and KV260 builds (N = one bus word of 16-bit indices:
4 and 8), and with -m slow 64- and 128-bit buses with N = 2 and 4."""
from __future__ import annotations

import pytest

from sim.runner import build, leaf_sources, run_cocotb

pytestmark = pytest.mark.sim
TOP = "gnn_agg_window"


@pytest.mark.parametrize("bus_bits,n,seed", [
    pytest.param(64, 2, 1, marks=pytest.mark.slow), pytest.param(128, 4, 2, marks=pytest.mark.slow),
    (64, 4, 3), (128, 8, 4),
], ids=["bus64_n2", "bus128_n4", "bus64_n4", "bus128_n8"])
def test_gnn_agg_window(tmp_path, bus_bits, n, seed):
    build_dir = build({"BUS_BITS": bus_bits, "N": n, "TAGS": 3}, top=TOP, sources=leaf_sources(TOP))
    run_cocotb(build_dir, "test_gnn_agg_window", top=TOP, test_dir=tmp_path,
               extra_env={"LEAF_SEED": str(seed)})
