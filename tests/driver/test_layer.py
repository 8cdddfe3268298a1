"""host.driver.GraphLayer: the float layer over Accelerator, against PyTorch Geometric (GCNConv,
LGConv, SimpleConv) on seeded random graphs within its own error bound, F padding, the scale
policy, input checks, and sim == cpu bit for bit through the layer."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from golden.contract import BOARDS
from golden.graph import CSR
from golden.norm import normalization
from host.driver import FLOWS, Accelerator, GraphLayer

SIZES = [(8, 12, 1), (40, 160, 5), (200, 1500, 20)]  # nodes, edges, isolated nodes


def random_edges(rng, n, n_edges, isolated):
    """PyG edge_index [2, E] on n nodes: the last `isolated` nodes have no edges; some edges are
    repeated and some are self loops (PyG keeps both; add_remaining_self_loops drops the loops)."""
    m = n - isolated
    ei = rng.integers(0, m, (2, n_edges))
    dup = ei[:, rng.integers(0, n_edges, max(1, n_edges // 10))]
    loops = np.repeat(rng.integers(0, m, max(1, n_edges // 20))[None], 2, axis=0)
    return np.concatenate([ei, dup, loops], axis=1)


def features(rng, n, f, spread=0.5):
    return np.clip(rng.normal(0, spread, (n, f)), -7.5, 7.5)


def check_within_bound(layer, y, ref, x, w, scale=1.0):
    """|y - ref| <= the layer's per-element bound, and the bound is a useful one."""
    bounds = layer.error_bounds(x, w, scale=scale)
    err = np.abs(y - ref)
    assert np.all(np.isfinite(bounds))
    assert np.all(err <= bounds * (1 + 1e-9) + 1e-12), (err.max(), bounds.max())
    bound = layer.error_bound(x, w, scale=scale)
    assert bound == bounds.max()
    # not vacuous: within 1e-2 of the output's scale, and the error reaches a fair part of it
    assert bound <= 1e-2 * np.abs(ref).max()
    assert err.max() >= 0.05 * bound
    return err.max(), bound


@pytest.fixture(scope="module")
def acc():
    with Accelerator("cpu") as a:
        yield a


# -- against PyTorch Geometric ------------------------------------------------------------------

@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("self_loops", [True, False])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("apply_w", [False, True])
def test_gcn_matches_pyg_gcnconv(acc, flow, self_loops, size, apply_w):
    torch = pytest.importorskip("torch")
    gnn = pytest.importorskip("torch_geometric.nn")
    n, n_edges, isolated = size
    rng = np.random.default_rng(n * 7 + (flow == "target_to_source") + 2 * self_loops + 4 * apply_w)
    f = 10
    ei = random_edges(rng, n, n_edges, isolated)
    x = features(rng, n, f)
    w = rng.normal(0, 0.3, (f, f))
    conv = gnn.GCNConv(f, f, bias=False, flow=flow, add_self_loops=self_loops).double()
    with torch.no_grad():
        conv.lin.weight.copy_(torch.from_numpy(w) if apply_w else torch.eye(f, dtype=torch.float64))
    ref = conv(torch.from_numpy(x), torch.from_numpy(ei)).detach().numpy()
    # torch tensors go in by duck typing (.detach().cpu().numpy())
    layer = GraphLayer(acc, torch.from_numpy(ei), num_nodes=n, flow=flow, norm="gcn", self_loops=self_loops)
    wt = w if apply_w else None
    np.testing.assert_allclose(layer.float_reference(x, wt), ref, rtol=0, atol=1e-12)
    y = layer(torch.from_numpy(x), weight=wt)
    assert y.shape == (n, f) and y.dtype == np.float64
    check_within_bound(layer, y, ref, x, wt)
    y_relu = layer(x, weight=wt, relu=True)
    np.testing.assert_array_equal(y_relu, np.maximum(y, 0))
    assert np.all(np.abs(y_relu - np.maximum(ref, 0)) <= layer.error_bounds(x, wt) + 1e-12)
    layer.release()


@pytest.mark.parametrize("flow", FLOWS)
@pytest.mark.parametrize("size", SIZES)
def test_lightgcn_matches_pyg_lgconv(acc, flow, size):
    torch = pytest.importorskip("torch")
    gnn = pytest.importorskip("torch_geometric.nn")
    n, n_edges, isolated = size
    rng = np.random.default_rng(100 + n + (flow == "target_to_source"))
    ei = random_edges(rng, n, n_edges, isolated)  # directed: in- and out-degrees differ
    x = features(rng, n, 16)
    ref = gnn.LGConv(normalize=True, flow=flow).double()(torch.from_numpy(x), torch.from_numpy(ei)).detach().numpy()
    layer = GraphLayer(acc, ei, num_nodes=n, flow=flow, norm="lightgcn")
    assert not layer.self_loops
    check_within_bound(layer, layer(x), ref, x, None)


@pytest.mark.parametrize("size", SIZES)
def test_symmetric_is_lgconv_on_undirected_graphs_only(acc, size):
    torch = pytest.importorskip("torch")
    gnn = pytest.importorskip("torch_geometric.nn")
    n, n_edges, isolated = size
    rng = np.random.default_rng(200 + n)
    ei = random_edges(rng, n, n_edges, isolated)
    und = np.concatenate([ei, ei[::-1]], axis=1)  # every edge in both directions
    x = features(rng, n, 16)
    conv = gnn.LGConv(normalize=True).double()
    ref = conv(torch.from_numpy(x), torch.from_numpy(und)).detach().numpy()
    layer = GraphLayer(acc, und, num_nodes=n, norm="symmetric")
    check_within_bound(layer, layer(x), ref, x, None)
    # on the directed graph gnn_agg's source out-degree is not PyG's in-degree (docs/NUMERICS.md)
    ref_dir = conv(torch.from_numpy(x), torch.from_numpy(ei)).detach().numpy()
    ours_dir = GraphLayer(acc, ei, num_nodes=n, norm="symmetric").float_reference(x)
    assert np.abs(ours_dir - ref_dir).max() > 1e-2


@pytest.mark.parametrize("aggr", ["mean", "sum"])
@pytest.mark.parametrize("flow", FLOWS)
def test_mean_and_sum_match_pyg_simpleconv(acc, aggr, flow):
    torch = pytest.importorskip("torch")
    gnn = pytest.importorskip("torch_geometric.nn")
    n, n_edges, isolated = SIZES[1]
    rng = np.random.default_rng(300 + len(aggr) + (flow == "target_to_source"))
    ei = random_edges(rng, n, n_edges, isolated)
    x = features(rng, n, 12, spread=0.3)
    ref = gnn.SimpleConv(aggr=aggr, flow=flow).double()(torch.from_numpy(x), torch.from_numpy(ei)).detach().numpy()
    layer = GraphLayer(acc, ei, num_nodes=n, flow=flow, norm=aggr)
    check_within_bound(layer, layer(x), ref, x, None)


# -- graph inputs, padding, scale ---------------------------------------------------------------

@pytest.mark.parametrize("norm", ["gcn", "symmetric", "mean", "sum"])
def test_edge_index_scipy_and_csr_give_the_same_bits(acc, norm):
    rng = np.random.default_rng(400)
    n = 40
    ei = random_edges(rng, n, 160, 5)
    x = features(rng, n, 16, spread=0.2)
    w = rng.normal(0, 0.1, (16, 16))  # small enough that the sum's magnitude bound stays in Q4.12
    y = GraphLayer(acc, ei, num_nodes=n, norm=norm)(x, w)
    src, dst = ei
    m = sp.coo_matrix((np.ones(len(src)), (dst, src)), shape=(n, n))  # adj_t: y = M x; repeats add up
    y_sp = GraphLayer(acc, m.tocsr(), norm=norm)(x, w)
    y_csr = GraphLayer(acc, CSR.from_edges(dst, src, n, n), norm=norm, self_loops=norm == "gcn")(x, w)
    np.testing.assert_array_equal(y_sp, y)
    np.testing.assert_array_equal(y_csr, y)
    # target_to_source on edge_index == source_to_target on the reversed edges
    y_rev = GraphLayer(acc, ei[::-1], num_nodes=n, flow="target_to_source", norm=norm)(x, w)
    np.testing.assert_array_equal(y_rev, y)


@pytest.mark.parametrize("board,f,padded", [("pynq-z2", 10, 16), ("pynq-z2", 16, 16), ("pynq-z2", 17, 32),
                                            ("kv260", 10, 64)])
def test_feature_dim_padded_to_the_lane_multiple_and_cut_off(board, f, padded):
    hw = BOARDS[board]
    rng = np.random.default_rng(500 + f)
    n = 30
    ei = random_edges(rng, n, 100, 3)
    x = features(rng, n, f)
    w = rng.normal(0, 0.3, (f, f))
    with Accelerator("cpu", hw=hw) as a:
        layer = GraphLayer(a, ei, num_nodes=n, norm="gcn")
        assert layer.padded_dim(f) == padded
        y = layer(x, w, relu=True)
        assert y.shape == (n, f)
        fmt = a.formats
        xp = np.zeros((n, padded), fmt.feat.dtype)
        xp[:, :f] = fmt.feat.quantize(x)
        wp = np.zeros((padded, padded), fmt.wgt.dtype)
        wp[:f, :f] = fmt.wgt.quantize(w)
        y_q = a.aggregate(layer.graph, xp, wp, relu=True)
        assert not y_q[:, f:].any()  # the padded columns stay zero
        np.testing.assert_array_equal(y, fmt.feat.to_float(y_q[:, :f]))
        assert np.all(np.abs(y - layer.float_reference(x, w, relu=True)) <= layer.error_bounds(x, w) + 1e-12)


def test_features_outside_feat_are_refused_and_scale_brings_them_in(acc):
    rng = np.random.default_rng(600)
    n = 40
    ei = random_edges(rng, n, 160, 5)
    x = features(rng, n, 16, spread=1.0)
    x[3, 4] = 20.0
    layer = GraphLayer(acc, ei, num_nodes=n, norm="gcn")
    with pytest.raises(ValueError, match=r"max \|value\| 20, outside the FEAT range \[-8.0, 7.99.*scale= \(e.g. 0.25\)"):
        layer(x)
    y = layer(x, scale=0.25)
    np.testing.assert_array_equal(y, layer(x * 0.25) / 0.25)  # a power of two: exact
    ref = layer.float_reference(x)
    err, bound = check_within_bound(layer, y, ref, x, None, scale=0.25)
    assert bound > layer.error_bound(x * 0.25)  # the bound grows by 1/scale


def test_possible_saturation_is_refused_unless_allowed(acc):
    n = 101  # a hub with 100 neighbours; the sum of 100 x 0.5 leaves Q4.12
    ei = np.stack([np.arange(1, n), np.zeros(n - 1, np.int64)])
    x = np.full((n, 16), 0.5)
    layer = GraphLayer(acc, ei, num_nodes=n, norm="sum")
    with pytest.raises(ValueError, match="may saturate.*output \\[0, 0\\].*scale="):
        layer(x)
    assert layer.error_bound(x) == np.inf
    y = layer(x, check=False)
    assert y[0, 0] == acc.formats.feat.max  # AP_SAT, asked for
    y = layer(x, scale=1 / 8)
    np.testing.assert_allclose(y[0], 50.0, atol=layer.error_bound(x, scale=1 / 8))
    assert np.isfinite(layer.error_bound(x, scale=1 / 8))


def test_a_given_normalization_on_a_csr(acc):
    rng = np.random.default_rng(700)
    dst, src = rng.integers(0, 20, 80), rng.integers(0, 30, 80)  # bipartite: 20 dst, 30 src
    csr = CSR.from_edges(dst, src, 20, 30)
    nrm = normalization(csr, "weighted", edge_w=rng.uniform(0, 0.5, 80))
    layer = GraphLayer(acc, csr, norm=nrm)
    x = features(rng, 30, 16)
    check_within_bound(layer, layer(x), layer.float_reference(x), x, None)
    sym = GraphLayer(acc, csr, norm="symmetric")  # ours works on a bipartite graph
    check_within_bound(sym, sym(x), sym.float_reference(x), x, None)


# -- errors ---------------------------------------------------------------------------------

def _bad_layers():
    ei = np.array([[0, 1, 2], [1, 2, 3]])
    csr = CSR.from_edges(np.array([0, 1]), np.array([2, 3]), 2, 4)
    return [
        ("edge_index shape", (ei.T,), {}, r"\[2, E\]"),
        ("edge_index 1-D", (ei[0],), {}, r"\[2, E\]"),
        ("edge_index floats", (ei.astype(float),), {}, "integers"),
        ("edge_index bool", (ei > 0,), {}, "integers"),
        ("negative index", (np.array([[0, -1], [1, 2]]),), {}, "negative"),
        ("num_nodes too small", (ei,), {"num_nodes": 3}, "node 3 .*num_nodes=3"),
        ("num_nodes negative", (ei,), {"num_nodes": -1}, "non-negative integer"),
        ("num_nodes float", (ei,), {"num_nodes": 4.0}, "non-negative integer"),
        ("bad flow", (ei,), {"flow": "in"}, "flow must be"),
        ("bad norm", (ei,), {"norm": "gcn2"}, "norm must be"),
        ("bad self_loops", (ei,), {"self_loops": 1}, "self_loops must be"),
        ("num_nodes with CSR", (csr,), {"num_nodes": 4}, "num_nodes is for an edge_index"),
        ("flow with CSR", (csr,), {"flow": "target_to_source"}, "flow is for an edge_index"),
        ("gcn on bipartite", (csr,), {"norm": "gcn", "self_loops": False}, "square graph"),
        ("self loops on bipartite", (csr,), {"norm": "mean", "self_loops": True}, "square graph"),
        ("weighted sparse", (sp.csr_matrix(np.array([[0, 0.5], [1, 0]])),), {}, "multiplicities"),
        ("norm object with edge_index", (ei,), {"norm": normalization(csr, "sum")}, "needs the graph as"),
    ]


@pytest.mark.parametrize("name,args,kwargs,match", _bad_layers(), ids=[c[0] for c in _bad_layers()])
def test_bad_graphs_are_refused(acc, name, args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        GraphLayer(acc, *args, **kwargs)


def test_not_an_accelerator():
    with pytest.raises(ValueError, match="Accelerator"):
        GraphLayer("cpu", np.array([[0], [1]]))


def _bad_calls():
    x = np.zeros((4, 10))
    nan = x.copy()
    nan[1, 2] = np.nan
    return [
        ("x rows", (np.zeros((3, 10)),), {}, "3 rows, the graph has n_src=4"),
        ("x 1-D", (np.zeros(4),), {}, "2-D"),
        ("x NaN", (nan,), {}, r"x\[1, 2\] is nan"),
        ("x strings", (np.full((4, 10), "a"),), {}, "real numbers"),
        ("x bool", (np.zeros((4, 10), bool),), {}, "real numbers"),
        ("F = 0", (np.zeros((4, 0)),), {}, "F=0"),
        ("F > max_feat", (np.zeros((4, 257)),), {}, "F=257 .*1..256"),
        ("W shape", (x, np.zeros((10, 9))), {}, r"\[F, F\]"),
        ("W NaN", (x, np.full((10, 10), np.inf)), {}, r"weight\[0, 0\] is inf"),
        ("W outside WGT", (x, np.full((10, 10), 9.0)), {}, "WGT range"),
        ("scale 0", (x,), {"scale": 0}, "scale must be"),
        ("scale NaN", (x,), {"scale": np.nan}, "scale must be"),
        ("scale bool", (x,), {"scale": True}, "scale must be"),
        ("bad gather", (x,), {"gather": "hbm"}, "gather must be"),
        ("relu not bool", (x,), {"relu": 1}, "relu must be"),
    ]


@pytest.mark.parametrize("name,args,kwargs,match", _bad_calls(), ids=[c[0] for c in _bad_calls()])
def test_bad_calls_are_refused(acc, name, args, kwargs, match):
    layer = GraphLayer(acc, np.array([[0, 1, 2], [1, 2, 3]]), norm="gcn")
    with pytest.raises(ValueError, match=match):
        layer(*args, **kwargs)


# -- the sim backend ------------------------------------------------------------------------

@pytest.mark.sim
def test_sim_equals_cpu_bit_for_bit_through_the_layer(sim_library):
    rng = np.random.default_rng(800)
    n, f = 40, 10  # F padded to 16 on the default build
    ei = random_edges(rng, n, 160, 5)
    x = features(rng, n, f)
    w = rng.normal(0, 0.3, (f, f))
    with Accelerator("sim", library=sim_library) as sim, Accelerator("cpu") as cpu:
        for norm in ("gcn", "symmetric"):
            ls, lc = (GraphLayer(a, ei, num_nodes=n, norm=norm) for a in (sim, cpu))
            for gather in ("table", "dram"):
                for weight, relu in ((None, False), (w, True)):
                    y = ls(x, weight, relu=relu, gather=gather)
                    np.testing.assert_array_equal(y, lc(x, weight, relu=relu, gather=gather))
                    assert sim.status.cycles > 0 and sim.status.error == 0
