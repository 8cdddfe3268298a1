"""gnn_agg_unpack (rtl/gnn_agg_unpack.sv) on its own in Verilator, driven by cocotb
(sim/cocotb/test_gnn_agg_unpack.py) against a Python model: seeded random runs of 16- and 32-bit
elements, skips into the first word (the src_scale of a partition), empty and one-element runs,
back-to-back runs, consumer backpressure, producer gaps and two-at-a-time takes, on a 64- and a
128-bit bus."""
from __future__ import annotations

import pytest

from sim.runner import build, leaf_sources, run_cocotb

pytestmark = pytest.mark.sim
TOP = "gnn_agg_unpack"


@pytest.mark.parametrize("bus_bits,seed", [(64, 1), (128, 2)], ids=["bus64", "bus128"])
def test_gnn_agg_unpack(tmp_path, bus_bits, seed):
    build_dir = build({"BUS_BITS": bus_bits}, top=TOP, sources=leaf_sources(TOP))
    run_cocotb(build_dir, "test_gnn_agg_unpack", top=TOP, test_dir=tmp_path,
               extra_env={"LEAF_SEED": str(seed)})
