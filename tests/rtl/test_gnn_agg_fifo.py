"""gnn_agg_fifo (rtl/gnn_agg_fifo.sv) on its own in Verilator, driven by cocotb
(sim/cocotb/test_gnn_agg_fifo.py) against a deque: seeded random pushes and pops through empty,
full and every level between, with the asynchronous LUT RAM output and with OUT_REG (the
walker's descriptor FIFO), at the depths the kernel uses."""
from __future__ import annotations

import pytest

from sim.runner import build, leaf_sources, run_cocotb

pytestmark = pytest.mark.sim
TOP = "gnn_agg_fifo"


@pytest.mark.parametrize("depth,out_reg,seed", [(2, 1, 1), (4, 1, 2), (4, 0, 3), (16, 1, 4)],
                         ids=["d2_reg", "d4_reg", "d4_ram", "d16_reg"])
def test_gnn_agg_fifo(tmp_path, depth, out_reg, seed):
    build_dir = build({"WIDTH": 24, "DEPTH": depth, "OUT_REG": out_reg}, top=TOP, sources=leaf_sources(TOP))
    run_cocotb(build_dir, "test_gnn_agg_fifo", top=TOP, test_dir=tmp_path, extra_env={"LEAF_SEED": str(seed)})
