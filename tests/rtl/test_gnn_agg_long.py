"""Cases too long for the Python-driven cocotb bench, run on the RTL through the C++ harness
(sim/harness): a row whose degree passes the 65,536 limit of the exact 32-bit accumulator, and
(-m slow) the KV260 build (PES = 4) on ML-1M-shaped graphs: chunked early-start loads of thousands
of rows, two partitions, edge weights, DRAM-gather."""
from __future__ import annotations

import numpy as np
import pytest

from golden.contract import BOARDS, BUFFER_NAMES, MAX_DEGREE, Err, Mode, Problem
from golden.vectors import Vector

pytestmark = pytest.mark.sim

HW = BOARDS["pynq-z2"]


def run_raw(vec: Vector, hw=HW, mem_bytes: int = 1 << 22) -> dict:
    """Run a vector's DDR image through the driver's register sequence; the status and feat_out."""
    from host.driver.backends.device import execute
    from host.driver.backends.sim import SimTransport
    from sim.harness.build import build

    t = SimTransport(build(hw), mem_bytes=mem_bytes, read_latency=32, write_latency=16)
    try:
        ptrs, image = vec.image(hw, image_base=t.mem_base)
        t.memory[:len(image)] = np.frombuffer(image, dtype=np.uint8)
        layout, _ = vec.layout(hw, t.mem_base)
        t.expect_writes([layout[n] for n in ("feat_out", "acc_buf") if n in layout])
        status = execute(t, dict(zip(BUFFER_NAMES, ptrs)), vec.problem, timeout_s=300)  # raises on a bus-rule violation
        assert vec.changed_outside_outputs(t.memory, hw, t.mem_base).size == 0, "bytes outside feat_out/acc_buf changed"
        a, n = layout["feat_out"]
        out = t.memory[a - t.mem_base:a - t.mem_base + n].view("<i2").reshape(vec.problem.n_dst, vec.problem.feat_dim)
        return {"error": status.error, "edges": status.edges, "feat_out": out.copy()}
    finally:
        t.close()


@pytest.mark.parametrize("mode", [int(Mode.SUM), int(Mode.DRAM_GATHER)], ids=["table", "gather"])
def test_degree_over_limit_is_a_row_ptr_error(mode):
    """Row 1 has MAX_DEGREE + 1 edges: ROW_PTR, the row is clamped to MAX_DEGREE edges, the
    rest is drained, ap_done comes and nothing outside feat_out is written."""
    n_edges = MAX_DEGREE + 1 + 3
    row_ptr = np.array([0, 3, n_edges], dtype="<u4")
    col_idx = (np.arange(n_edges) % 5).astype("<u4")
    x = np.arange(5 * HW.feat_align, dtype="<i2").reshape(5, HW.feat_align)
    vec = Vector("degree_over_limit", Problem(2, 5, n_edges, HW.feat_align, mode),
                 {"row_ptr": row_ptr, "col_idx": col_idx, "feat_in": x}, None, int(Err.ROW_PTR))
    res = run_raw(vec)
    assert res["error"] == int(Err.ROW_PTR)
    assert res["edges"] == 3 + MAX_DEGREE


def test_degree_at_limit_is_exact():
    """A row of exactly MAX_DEGREE edges of the largest feature value sums without overflow."""
    from golden.hw_model import gnn_agg
    n_edges = MAX_DEGREE
    row_ptr = np.array([0, n_edges], dtype="<u4")
    col_idx = np.zeros(n_edges, dtype="<u4")
    x = np.full((1, HW.feat_align), 32767, dtype="<i2")
    x[0, 1::2] = -32768
    expect = gnn_agg(row_ptr, col_idx, x, n_src=1, mode=int(Mode.MEAN),
                     dst_scale=np.array([1], dtype=np.uint16), hw=HW)
    vec = Vector("degree_at_limit", Problem(1, 1, n_edges, HW.feat_align, int(Mode.MEAN)),
                 {"row_ptr": row_ptr, "col_idx": col_idx, "feat_in": x,
                  "dst_scale": np.array([1], dtype="<u2")}, expect)
    res = run_raw(vec)
    assert res["error"] == 0 and res["edges"] == n_edges
    assert np.array_equal(res["feat_out"], expect)


@pytest.mark.slow
@pytest.mark.parametrize("scale,feat_dim,norm,gather", [
    (0.25, 64, "symmetric", False),   # one partition: 2,436 rows loaded in 10 chunks while the PEs run
    (0.25, 64, "weighted", False),    # every PE multiplies its own edges
    (0.5, 256, "symmetric", False),   # 4,873 rows of 256: two partitions, acc_buf
    (0.1, 64, "symmetric", True),     # DRAM-gather: every edge on PE 0
], ids=["table", "weighted", "two_partitions", "gather"])
def test_kv260_pe_array_ml1m_shaped(scale, feat_dim, norm, gather):
    """The KV260 build (128-bit bus, 64 lanes, PES = 4, 2^20-element table) bit-exact on
    ML-1M-shaped graphs (IDX16), every edge counted, nothing written outside feat_out/acc_buf."""
    from golden.cases import make_vector
    from golden.fixed import FEAT
    from golden.graph import ML1M_ITEMS, ML1M_RATINGS, ML1M_USERS, synthetic_bipartite

    hw = BOARDS["kv260"]
    csr = synthetic_bipartite(int(ML1M_USERS * scale), int(ML1M_ITEMS * scale),
                              int(ML1M_RATINGS * scale * scale), seed=5).unified()
    rng = np.random.default_rng(5)
    x = FEAT.quantize(rng.normal(0, 0.5, (csr.n_src, feat_dim)))
    vec = make_vector("kv260", csr, x, norm, rng, dram=gather, idx16=True, hw=hw)
    assert gather or hw.partitions(csr.n_src, feat_dim) == (2 if feat_dim == 256 else 1)
    image_bytes = vec.layout(hw, 0x1000_0000)[1]
    res = run_raw(vec, hw, mem_bytes=1 << int(image_bytes + 4096).bit_length())
    assert res["error"] == 0 and res["edges"] == csr.n_edges
    assert np.array_equal(res["feat_out"], vec.expect)
