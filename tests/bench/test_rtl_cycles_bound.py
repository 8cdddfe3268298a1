"""host.bench.rtl_cycles.lower_bound: the compute term with APPLY_W is the larger of the adder time
and the epilogue's W @ y time (feat_dim * ceil(feat_dim / lanes) cycles per row)."""
from __future__ import annotations

import numpy as np

from golden.contract import BOARDS, Mode
from golden.graph import CSR
from host.bench.rtl_cycles import lower_bound


def test_apply_w_bound_counts_the_epilogue():
    hw = BOARDS["pynq-z2"]   # 16 lanes, 1 PE, 64-bit bus
    csr = CSR(np.array([0, 3, 5, 6], np.uint32), np.array([0, 1, 2, 0, 2, 1], np.uint32), 3)
    plain = lower_bound(csr, int(Mode.POST_SCALE), 64, hw, gather=False)
    assert plain["compute_cycles"] == 6 * 64 / 16
    w = lower_bound(csr, int(Mode.POST_SCALE | Mode.APPLY_W), 64, hw, gather=False)
    assert w["compute_cycles"] == 3 * 64 * 4            # 3 rows, 64 outputs, 4 lane words each
    assert w["read_cycles"] == plain["read_cycles"] + 2 * 64 * 64 / 8   # W once
    assert w["bound"] == max(w["read_cycles"], w["write_cycles"], w["compute_cycles"])
    # a feat_dim that is not a multiple of the lanes still takes whole lane words
    assert lower_bound(csr, int(Mode.APPLY_W), 20, hw, gather=False)["compute_cycles"] == 3 * 20 * 2
