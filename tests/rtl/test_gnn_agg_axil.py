"""gnn_agg's AXI-Lite slave under partial strobes and stalled B / R (sim/cocotb/test_gnn_agg_axil.py),
on the main cocotb build of tests/rtl/test_gnn_agg.py."""
from __future__ import annotations

import pytest

from sim.runner import build, hw_env, kernel_impl, run_cocotb
from tests.rtl.test_gnn_agg import MAIN, params

pytestmark = [pytest.mark.sim,
              pytest.mark.skipif(kernel_impl() == "hls", reason="the RTL's build (MAIN parameters)")]


def test_partial_strobes_and_stalled_responses(tmp_path):
    run_cocotb(build(params(MAIN)), "test_gnn_agg_axil", test_dir=tmp_path,
               extra_env={"GNN_HW": hw_env(MAIN), "GNN_LATENCY": "16", "GNN_PAUSE": "0.2", "GNN_SEED": "4"})
