"""The bit-exact fixed-point model: against a scalar re-implementation written from
docs/CONTRACT.md, against float within the documented bound, saturation, determinism."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from golden.contract import HwConfig, Mode
from golden.fixed import COEF, FEAT, FixedFormat
from golden.graph import CSR
from golden.hw_model import error_bound, gnn_agg
from golden.norm import normalization
from golden.reference import aggregate_float

HW = HwConfig(bus_bits=64, lanes=4, pes=1, max_feat=64, table_elems=256)
# the same build with 8-bit features Q4.4, W Q2.6, COEF UQ2.14 and a 24-bit accumulator
HW_FEAT8 = HwConfig(bus_bits=64, lanes=4, pes=1, max_feat=64, table_elems=256, feat_bits=8, feat_frac=4,
                    wgt_frac=6, coef_frac=14, acc_bits=24)


def q_scalar(v: int, shift: int, fmt: FixedFormat) -> int:
    """AP_RND then AP_SAT on one Python int, as the contract words it."""
    if shift:
        v = (v + (1 << (shift - 1))) // (1 << shift)  # floor division == arithmetic shift
    return max(fmt.int_min, min(fmt.int_max, v))


def scalar_model(row_ptr, col_idx, x, mode, s_src, s_dst, w_e, w, hw=HW):
    """The contract's arithmetic, one element at a time, Python ints only, in `hw`'s formats."""
    feat, cf, wf = hw.formats.feat, hw.coef_frac, hw.wgt_frac
    n_dst, f = len(row_ptr) - 1, x.shape[1]
    y = np.zeros((n_dst, f), dtype=np.int64)
    for v in range(n_dst):
        acc = [0] * f
        for e in range(row_ptr[v], row_ptr[v + 1]):
            u = int(col_idx[e])
            for j in range(f):
                t = int(x[u, j])
                if mode & Mode.PRE_SCALE:
                    t = q_scalar(int(s_src[u]) * t, cf, feat)
                if mode & Mode.EDGE_WEIGHT:
                    t = q_scalar(int(w_e[e]) * t, cf, feat)
                acc[j] += t
        if mode & Mode.POST_SCALE:
            out = [q_scalar(int(s_dst[v]) * a, cf, feat) for a in acc]
        else:
            out = [q_scalar(a, 0, feat) for a in acc]
        if mode & Mode.APPLY_W:
            out = [q_scalar(sum(int(w[j, k]) * out[k] for k in range(f)), wf, feat) for j in range(f)]
        if mode & Mode.RELU:
            out = [max(o, 0) for o in out]
        y[v] = out
    return y


def random_problem(rng, kind, n_dst=7, n_src=9, f=8, spread=1.0):
    deg = rng.integers(0, 6, n_dst)
    csr = CSR(np.concatenate([[0], np.cumsum(deg)]), rng.integers(0, n_src, deg.sum()), n_src)
    edge_w = rng.uniform(0, 1.99, csr.n_edges) if kind == "weighted" else None
    norm = normalization(csr, kind, edge_w=edge_w)
    x = rng.normal(0, spread, (n_src, f))
    return csr, norm, x


@pytest.mark.parametrize("kind", ["symmetric", "mean", "sum", "weighted"])
@pytest.mark.parametrize("apply_w,relu", [(False, False), (True, True), (True, False)])
@pytest.mark.parametrize("n_src", [9, 80])  # 80: fewer edges than rows, the gather-only path
@pytest.mark.parametrize("small_edges", [0, 1 << 12])  # sparse-matrix sum, gathered-row sum
@pytest.mark.parametrize("hw", [HW, HW_FEAT8], ids=["default_formats", "feat8"])
def test_vectorized_model_equals_scalar_model(kind, apply_w, relu, n_src, small_edges, hw, monkeypatch):
    monkeypatch.setattr("golden.hw_model.SMALL_EDGES", small_edges)
    rng = np.random.default_rng(sum(map(ord, f"{kind}{apply_w}{relu}{n_src}")))
    fmt = hw.formats
    for _ in range(4):
        csr, norm, x = random_problem(rng, kind, n_src=n_src, spread=rng.choice([0.5, 3.0, 20.0]))
        qn = norm.quantized(fmt.coef)
        x_q = fmt.feat.quantize(x)
        mode = qn.mode | (Mode.APPLY_W if apply_w else 0) | (Mode.RELU if relu else 0)
        w_q = fmt.wgt.quantize(rng.normal(0, 0.5, (8, 8))) if apply_w else None
        got = gnn_agg(csr.row_ptr, csr.col_idx, x_q, n_src=csr.n_src, mode=mode, src_scale=qn.src_scale,
                      dst_scale=qn.dst_scale, edge_w=qn.edge_w, weight=w_q, hw=hw)
        want = scalar_model(csr.row_ptr, csr.col_idx, x_q, mode, qn.src_scale, qn.dst_scale, qn.edge_w, w_q, hw)
        assert got.dtype == fmt.feat.dtype
        np.testing.assert_array_equal(got, want)


def test_rounding_is_half_up_and_saturating():
    v = np.array([-3, -2, -1, 0, 1, 2, 3]) * (1 << 14)  # multiples of half an LSB after >> 15
    assert FEAT.round_shift(v, 15).tolist() == [-1, -1, 0, 0, 1, 1, 2]  # -1.5->-1, -0.5->0, 0.5->1
    assert FEAT.round_shift(np.array([2 ** 40, -2 ** 40]), 3).tolist() == [32767, -32768]
    assert FEAT.quantize([8.0, -9.0, 2 ** -13, -2 ** -13]).tolist() == [32767, -32768, 1, 0]
    assert COEF.quantize([1.0, 2.5, -0.1]).tolist() == [32768, 65535, 0]
    with pytest.raises(ValueError, match="NaN"):
        FEAT.quantize([np.nan])


def test_saturation_at_the_limits():
    n = 64
    csr = CSR(np.array([0, n, 2 * n]), np.concatenate([np.zeros(n), np.ones(n)]).astype(np.int64), 2)
    x_q = np.array([[FEAT.int_max] * 4, [FEAT.int_min] * 4], dtype=np.int16)
    y = gnn_agg(csr.row_ptr, csr.col_idx, x_q, n_src=2, mode=Mode.SUM, hw=HW)
    assert (y[0] == FEAT.int_max).all() and (y[1] == FEAT.int_min).all()
    d = COEF.quantize(np.full(2, 1 / n))  # mean of n equal extremes is (almost) the extreme itself
    y = gnn_agg(csr.row_ptr, csr.col_idx, x_q, n_src=2, mode=Mode.MEAN, dst_scale=d, hw=HW)
    assert abs(int(y[0, 0]) - FEAT.int_max) <= 1 and y[1, 0] == FEAT.int_min
    y = gnn_agg(csr.row_ptr, csr.col_idx, x_q, n_src=2, mode=Mode.SUM | Mode.RELU, hw=HW)
    assert (y[1] == 0).all()


def test_max_degree_row_cannot_overflow_the_accumulator():
    deg = 1 << 16
    csr = CSR(np.array([0, deg]), np.zeros(deg, np.int64), 1)
    x_q = np.full((1, 4), FEAT.int_min, np.int16)
    d = COEF.quantize([1 / deg])
    y = gnn_agg(csr.row_ptr, csr.col_idx, x_q, n_src=1, mode=Mode.MEAN, dst_scale=d, hw=HW)
    assert (y == FEAT.int_min).all()  # exact -2^31 * 2^-16 = -2^15


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["symmetric", "mean", "sum", "weighted"]),
       apply_w=st.booleans(), spread=st.sampled_from([0.05, 0.5, 2.0]), hw=st.sampled_from([HW, HW_FEAT8]))
def test_error_within_documented_bound(seed, kind, apply_w, spread, hw):
    rng = np.random.default_rng(seed)
    fmt = hw.formats
    csr, norm, x = random_problem(rng, kind, n_dst=10, n_src=12, f=8, spread=spread)
    x_q = fmt.feat.quantize(x)
    qn = norm.quantized(fmt.coef)
    w = rng.normal(0, 0.4, (8, 8)) if apply_w else None
    w_q = fmt.wgt.quantize(w) if apply_w else None
    mode = qn.mode | (Mode.APPLY_W if apply_w else 0)
    got = fmt.feat.to_float(gnn_agg(csr.row_ptr, csr.col_idx, x_q, n_src=csr.n_src, mode=mode,
                                    src_scale=qn.src_scale, dst_scale=qn.dst_scale, edge_w=qn.edge_w,
                                    weight=w_q, hw=hw))
    ref = aggregate_float(csr, fmt.feat.to_float(x_q), norm, w)
    bound, valid = error_bound(csr.row_ptr, csr.col_idx, x_q, n_src=csr.n_src, mode=mode,
                               src_scale=norm.src_scale, dst_scale=norm.dst_scale, edge_w=norm.edge_w,
                               weight=w, fmt=fmt)
    inside = valid & (np.abs(ref) + bound < fmt.feat.max)  # the bound holds where nothing saturates
    err = np.abs(got - ref)
    assert np.all(err[inside] <= bound[inside] * (1 + 1e-9) + 1e-12)
    # and it is a useful bound, not a vacuous one: 0.05 in the default Q4.12 is 205 FEAT lsb
    assert np.all(bound[inside] < 205 * fmt.feat.lsb)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_deterministic_and_order_independent(seed):
    """Same inputs, same bits; permuting a row's edges (or splitting sources) changes nothing,
    because the sum is exact -- the property that frees the hardware to reorder."""
    rng = np.random.default_rng(seed)
    csr, norm, x = random_problem(rng, "symmetric", n_dst=12, n_src=10, f=8, spread=2.0)
    qn = norm.quantized()
    x_q = FEAT.quantize(x)
    args = dict(n_src=csr.n_src, mode=qn.mode, src_scale=qn.src_scale, dst_scale=qn.dst_scale, hw=HW)
    a = gnn_agg(csr.row_ptr, csr.col_idx, x_q, **args)
    b = gnn_agg(csr.row_ptr, csr.col_idx, x_q, **args)
    col = csr.col_idx.copy()
    for v in range(csr.n_dst):
        lo, hi = csr.row_ptr[v], csr.row_ptr[v + 1]
        col[lo:hi] = rng.permutation(col[lo:hi])
    c = gnn_agg(csr.row_ptr, col, x_q, **args)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
