"""gnn_agg bit-exact under the cocotb memory model's DDR realism (sim/cocotb/test_gnn_agg_ddr.py),
on the main cocotb build of tests/rtl/test_gnn_agg.py; no random backpressure, so the ideal run
and the realistic one differ only by the DDR model."""
from __future__ import annotations

import pytest

from sim.runner import build, hw_env, kernel_impl, run_cocotb
from tests.rtl.test_gnn_agg import MAIN, params

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(kernel_impl() == "hls", reason="the RTL's build (MAIN parameters)")]


def test_ddr_realism_is_exact_and_slower(tmp_path):
    run_cocotb(build(params(MAIN)), "test_gnn_agg_ddr", test_dir=tmp_path,
               extra_env={"GNN_HW": hw_env(MAIN), "GNN_LATENCY": "16", "GNN_PAUSE": "0", "GNN_SEED": "6"})
