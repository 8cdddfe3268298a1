"""Every golden entry point rejects bad input with a ValueError that says what is wrong."""
import numpy as np
import pytest

from golden.contract import HwConfig, Mode
from golden.fixed import COEF, FEAT
from golden.graph import CSR, build_bipartite, validate_csr
from golden.hw_model import gnn_agg
from golden.norm import normalization
from golden.reference import aggregate_float

HW = HwConfig(bus_bits=64, lanes=4, pes=1, max_feat=16, table_elems=64)
RP = np.array([0, 2, 3])
CI = np.array([0, 1, 1])


@pytest.mark.parametrize("row_ptr,col_idx,n_src,msg", [
    ([0, 2, 1], [0, 1], 2, "not monotone"),
    ([1, 2, 3], [0, 1], 2, r"row_ptr\[0\] must be 0"),
    ([0, 2, 4], [0, 1, 1], 2, "does not match len"),
    ([0, 1, 2], [0, 2], 2, r"col_idx\[1\]=2 out of range"),
    ([0, 1, 2], [0, -1], 2, "out of range"),
    ([0, 1], [0.5], 2, "integers"),
    ([], [], 2, "n_dst\\+1 >= 1"),
    ([[0, 1]], [0], 2, "1-D"),
    ([0, 1], [0], -1, "non-negative"),
])
def test_malformed_csr(row_ptr, col_idx, n_src, msg):
    with pytest.raises(ValueError, match=msg):
        validate_csr(np.array(row_ptr), np.array(col_idx), n_src)
    with pytest.raises(ValueError, match=msg):
        CSR(np.array(row_ptr), np.array(col_idx), n_src)


def test_graph_builders_reject_bad_interactions():
    with pytest.raises(ValueError, match="different lengths"):
        build_bipartite([0, 1], [0])
    with pytest.raises(ValueError, match="negative"):
        build_bipartite([0, -1], [0, 1])
    with pytest.raises(ValueError, match="out of range for n_items"):
        build_bipartite([0, 1], [0, 5], n_items=3)
    with pytest.raises(ValueError, match="NaN"):
        build_bipartite([0, 1], [0, 1], ratings=[1.0, np.nan])
    with pytest.raises(ValueError, match="out of range for n_dst"):
        CSR.from_edges([0, 3], [0, 0], 3, 1)


def test_bipartite_dedupes_and_thresholds():
    g = build_bipartite([0, 0, 1, 1], [2, 2, 0, 1], ratings=[5, 4, 1, 4], min_rating=4)
    assert (g.users.tolist(), g.items.tolist()) == ([0, 1], [2, 1])


def test_normalization_rejects_bad_degrees_and_weights():
    csr = CSR(RP, CI, 2)
    with pytest.raises(ValueError, match="unknown normalization"):
        normalization(csr, "softmax")
    with pytest.raises(ValueError, match="negative degree"):
        normalization(csr, "symmetric", src_degree=np.array([-1, 2]))
    with pytest.raises(ValueError, match=r"src_degree\[1\] is 0 but the node has edges"):
        normalization(csr, "symmetric", src_degree=np.array([1, 0]))
    with pytest.raises(ValueError, match=r"dst_degree\[0\] is 0"):
        normalization(csr, "mean", dst_degree=np.array([0, 1]))
    with pytest.raises(ValueError, match="shape"):
        normalization(csr, "mean", dst_degree=np.array([1, 1, 1]))
    with pytest.raises(ValueError, match="needs edge_w"):
        normalization(csr, "weighted")
    with pytest.raises(ValueError, match="must lie in"):
        normalization(csr, "weighted", edge_w=np.array([0.5, 2.5, 1.0]))
    with pytest.raises(ValueError, match="NaN"):
        normalization(csr, "weighted", edge_w=np.array([0.5, np.nan, 1.0]))
    with pytest.raises(ValueError, match="only used by the weighted"):
        normalization(csr, "sum", edge_w=np.ones(3))
    # a degree of 0 is fine for a node without edges (isolated): its scale is 0
    iso = normalization(CSR(np.array([0, 0, 1]), np.array([0]), 2), "symmetric")
    assert iso.dst_scale[0] == 0 and iso.src_scale[1] == 0


def test_float_reference_rejects_bad_features():
    csr = CSR(RP, CI, 2)
    norm = normalization(csr, "sum")
    with pytest.raises(ValueError, match="NaN or inf"):
        aggregate_float(csr, np.array([[1.0, np.inf], [0, 0]]), norm)
    with pytest.raises(ValueError, match="has 3 rows"):
        aggregate_float(csr, np.zeros((3, 2)), norm)
    with pytest.raises(ValueError, match="2-D"):
        aggregate_float(csr, np.zeros(2), norm)
    with pytest.raises(ValueError, match="square"):
        aggregate_float(csr, np.zeros((2, 2)), norm, w=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="sigma"):
        aggregate_float(csr, np.zeros((2, 2)), norm, sigma="tanh")


def fixed(**kw):
    args = dict(row_ptr=RP, col_idx=CI, feat_in=np.zeros((2, 4), np.int16), n_src=2, mode=Mode.SUM, hw=HW)
    args.update(kw)
    return gnn_agg(args.pop("row_ptr"), args.pop("col_idx"), args.pop("feat_in"), **args)


@pytest.mark.parametrize("kw,msg", [
    (dict(feat_in=np.zeros((2, 6), np.int16)), "multiple of 4"),
    (dict(feat_in=np.zeros((2, 20), np.int16)), "at most 16"),
    (dict(feat_in=np.zeros((3, 4), np.int16)), "shape"),
    (dict(feat_in=np.zeros((2, 4), np.float32)), "fixed-point integers"),
    (dict(feat_in=np.full((2, 4), 40000)), "outside"),
    (dict(mode=Mode.PRE_SCALE), "src_scale is missing"),
    (dict(mode=Mode.SUM, dst_scale=np.ones(2, np.uint16)), "dst_scale is given but mode has no POST_SCALE"),
    (dict(mode=Mode.POST_SCALE, dst_scale=np.ones(3, np.uint16)), "dst_scale has shape"),
    (dict(mode=Mode.EDGE_WEIGHT, edge_w=np.array([1, 2, -3])), "outside"),
    (dict(mode=1 << 12), "unknown bits"),
    (dict(col_idx=np.array([0, 1, 2])), "out of range"),
    (dict(row_ptr=np.array([0, 3, 2])), "not monotone"),
])
def test_fixed_model_rejects(kw, msg):
    with pytest.raises(ValueError, match=msg):
        fixed(**kw)


def test_fixed_model_rejects_degree_above_accumulator_limit():
    deg = (1 << 16) + 1
    with pytest.raises(ValueError, match="overflow"):
        fixed(row_ptr=np.array([0, deg]), col_idx=np.zeros(deg, np.int64), feat_in=np.zeros((1, 4), np.int16), n_src=1)


def test_idx16_limit():
    n = (1 << 16) + 1
    with pytest.raises(ValueError, match="IDX16"):
        fixed(row_ptr=np.array([0, 1]), col_idx=np.array([0]), feat_in=np.zeros((n, 4), np.int16), n_src=n,
              mode=Mode.IDX16)


def test_quantize_rejects_nan_and_hwconfig_rejects_nonsense():
    with pytest.raises(ValueError, match="NaN or inf"):
        FEAT.quantize(np.array([0.0, -np.inf]))
    with pytest.raises(ValueError, match="multiple of lanes"):
        HwConfig(bus_bits=64, lanes=6, max_feat=16)
    with pytest.raises(ValueError, match="bus_bits"):
        HwConfig(bus_bits=48)
    assert COEF.quantize([0.5]).dtype == np.uint16
