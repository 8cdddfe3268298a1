"""gnn_agg_div (rtl/gnn_agg_div.sv) on its own in Verilator, driven by cocotb
(sim/cocotb/test_gnn_agg_div.py): seeded random and edge-case divisions against Python's // and %,
back-to-back starts and restarts while busy. WIDTH 18 is the PYNQ-Z2 build's QB (TABLE_ELEMS
131072); WIDTH 4 is small enough that the random cases cover most pairs."""
from __future__ import annotations

import pytest

from sim.runner import build, leaf_sources, run_cocotb

pytestmark = pytest.mark.sim
TOP = "gnn_agg_div"


@pytest.mark.parametrize("width,seed", [(18, 1), (4, 2)], ids=["w18", "w4"])
def test_gnn_agg_div(tmp_path, width, seed):
    build_dir = build({"WIDTH": width}, top=TOP, sources=leaf_sources(TOP))
    run_cocotb(build_dir, "test_gnn_agg_div", top=TOP, test_dir=tmp_path,
               extra_env={"LEAF_SEED": str(seed)})
