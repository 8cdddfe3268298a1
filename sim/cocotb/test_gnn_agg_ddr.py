"""cocotb tests of gnn_agg under the memory model's DDR realism (run from
tests/rtl/test_gnn_agg_ddr.py): each mechanism alone (refresh windows, row-buffer misses,
competing traffic) and all together keep the results bit-exact and cost cycles over the ideal
model; the model counts the events it caused."""
from __future__ import annotations

import cocotb
import numpy as np

from gnn_agg_tb import Testbench
from golden.cases import edge_cases, make_vector, random_features, random_graph
from sim.harness.ddr import DdrModel

MODELS = {
    "refresh": (DdrModel(refresh_interval=300, refresh_cycles=60), "refresh_cycles"),
    "row_miss": (DdrModel(row_miss_cycles=6, page_bytes=256, banks=4), "row_misses"),
    "contention": (DdrModel(contention=0.4), "contended_cycles"),
    "all": (DdrModel(refresh_interval=300, refresh_cycles=60, row_miss_cycles=6, page_bytes=256, banks=4,
                     contention=0.4), "row_misses"),
}


@cocotb.test()
async def test_ddr_realism(dut):
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    hw = tb.hw
    tiled = [v for v in edge_cases(hw) if v.name.startswith("tiled_symmetric")][0]
    rng = np.random.default_rng(21)
    g = random_graph(rng, 16, 19, 4)
    small = make_vector("ddr_small", g, random_features(rng, 19, 2 * hw.feat_align, hw=hw), "symmetric", rng, hw=hw)
    for vec in (small, tiled):
        tb.mem.configure_ddr(None)
        for _ in range(2):  # the second ideal run is the reference (the first follows another vector)
            res = await tb.run(vec)
            tb.check(vec, res)
        ideal = res.status["cycles"]
        for name, (ddr, counter) in MODELS.items():
            tb.mem.configure_ddr(ddr, seed=7)
            res = await tb.run(vec)
            tb.check(vec, res)
            assert getattr(tb.mem, counter) > 0, f"{vec.name} {name}: no {counter}"
            tb.log.warning("%s %s: %d cycles (ideal %d)", vec.name, name, res.status["cycles"], ideal)
            assert res.status["cycles"] > ideal, f"{vec.name} {name}: {res.status['cycles']} <= ideal {ideal}"
    tb.mem.configure_ddr(None)
