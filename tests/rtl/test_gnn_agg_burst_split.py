"""gnn_agg_burst_split (rtl/gnn_agg_burst_split.sv) on its own in Verilator, driven by cocotb
(sim/cocotb/test_gnn_agg_burst_split.py) against a Python model of the burst cutting: seeded
random commands, zero- and one-beat commands, commands that cross 4 KiB boundaries or end at
the top of the address space, unaligned commands a few bytes below 4 KiB boundaries (no burst
may cross one, issue 19), back-to-back commands, and random `allow` and AX_READY
backpressure. Builds: a read stream's (64-bit bus, MAX_BURST 32) and the writer's (128-bit bus,
MAX_BURST 256)."""
from __future__ import annotations

import pytest

from sim.runner import build, leaf_sources, run_cocotb

pytestmark = pytest.mark.sim
TOP = "gnn_agg_burst_split"


@pytest.mark.parametrize("bus_bits,max_burst,beats_w,seed", [(64, 32, 40, 1), (128, 256, 16, 2)],
                         ids=["bus64_burst32", "bus128_burst256"])
def test_gnn_agg_burst_split(tmp_path, bus_bits, max_burst, beats_w, seed):
    build_dir = build({"BUS_BITS": bus_bits, "MAX_BURST": max_burst, "BEATS_W": beats_w}, top=TOP,
                      sources=leaf_sources(TOP))
    run_cocotb(build_dir, "test_gnn_agg_burst_split", top=TOP, test_dir=tmp_path,
               extra_env={"LEAF_SEED": str(seed)})
