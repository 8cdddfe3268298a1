"""Float Eq. 1 (golden.reference) against independent implementations: a dense NumPy build of
D_v^-1/2 A D_u^-1/2 written from the definition, and torch.sparse."""
import numpy as np
import pytest
import torch

from golden.graph import CSR, build_bipartite
from golden.norm import normalization
from golden.reference import aggregate_float, forward_float


def dense_reference(csr: CSR, x, kind, edge_w=None, w=None, relu=False):
    """Eq. 1 by the definition, one edge at a time: no shared code with golden.reference."""
    a = np.zeros((csr.n_dst, csr.n_src))
    deg_v = np.zeros(csr.n_dst)
    deg_u = np.zeros(csr.n_src)
    for v in range(csr.n_dst):
        for e in range(csr.row_ptr[v], csr.row_ptr[v + 1]):
            deg_v[v] += 1
            deg_u[csr.col_idx[e]] += 1
    for v in range(csr.n_dst):
        for e in range(csr.row_ptr[v], csr.row_ptr[v + 1]):
            u = csr.col_idx[e]
            c = {"symmetric": np.sqrt(deg_u[u] * deg_v[v]), "mean": deg_v[v], "sum": 1.0}.get(kind)
            a[v, u] += edge_w[e] if kind == "weighted" else 1.0 / c
    h = a @ x
    if w is not None:
        h = h @ w.T
    return np.maximum(h, 0) if relu else h


def scipy_reference(csr: CSR, x, kind, edge_w=None, w=None, relu=False):
    """Eq. 1 as a scipy.sparse matrix product D_v^-a A D_u^-b, degrees counted by scipy."""
    import scipy.sparse as sp
    data = edge_w if kind == "weighted" else np.ones(csr.n_edges)
    a = sp.csr_matrix((data, csr.col_idx, csr.row_ptr), shape=(csr.n_dst, csr.n_src))
    ones = sp.csr_matrix((np.ones(csr.n_edges), csr.col_idx, csr.row_ptr), shape=a.shape)
    d_v = np.asarray(ones.sum(axis=1)).ravel()
    d_u = np.asarray(ones.sum(axis=0)).ravel()
    inv = lambda d, p: np.divide(1.0, d ** p, out=np.zeros_like(d), where=d > 0)  # noqa: E731
    if kind == "symmetric":
        a = sp.diags(inv(d_v, 0.5)) @ a @ sp.diags(inv(d_u, 0.5))
    elif kind == "mean":
        a = sp.diags(inv(d_v, 1.0)) @ a
    h = a @ x
    if w is not None:
        h = h @ w.T
    return np.maximum(h, 0) if relu else h


def torch_reference(csr: CSR, x, values, w=None, relu=False):
    idx = torch.tensor(np.stack([csr.dst_of_edges(), csr.col_idx.astype(np.int64)]))
    a = torch.sparse_coo_tensor(idx, torch.tensor(values), (csr.n_dst, csr.n_src)).coalesce()
    h = torch.sparse.mm(a, torch.tensor(x, dtype=torch.float64))
    if w is not None:
        h = h @ torch.tensor(w).T
    return (torch.relu(h) if relu else h).numpy()


def graph_zoo(rng):
    """Named graphs covering the edge cases of the issue."""
    zoo = {}
    deg = rng.poisson(3, 40)
    deg[::7] = 0  # empty rows
    src = rng.integers(0, 30, deg.sum())
    src[src == 29] = 28  # source 29 isolated
    zoo["random_empty_rows_isolated"] = CSR(np.concatenate([[0], np.cumsum(deg)]), src, 30)
    n = 25
    d, s = rng.integers(0, n, 80), rng.integers(0, n, 80)
    loops = np.arange(n)
    zoo["self_loops_and_duplicates"] = CSR.from_edges(np.concatenate([d, d[:10], loops]),
                                                      np.concatenate([s, s[:10], loops]), n, n)
    hub = 10_500
    zoo["hub_10500"] = CSR(np.array([0, hub, hub + 3, hub + 3]), rng.integers(0, 200, hub + 3), 200)
    zoo["empty"] = CSR(np.zeros(4, np.int64), np.zeros(0, np.int64), 5)
    bg = build_bipartite(rng.integers(0, 30, 300), rng.integers(0, 50, 300))
    zoo["bipartite_unified"] = bg.unified(self_loops=True)
    return zoo


@pytest.mark.parametrize("kind", ["symmetric", "mean", "sum", "weighted"])
@pytest.mark.parametrize("seed", range(3))
def test_float_matches_dense_and_torch(kind, seed):
    rng = np.random.default_rng(seed)
    for name, csr in graph_zoo(rng).items():
        x = rng.normal(0, 1, (csr.n_src, 8))
        x[0, 0] = 1e6  # extreme values must not lose the rest
        x[-1, -1] = -1e-9 if csr.n_src else 0
        edge_w = rng.uniform(0, 1.9, csr.n_edges) if kind == "weighted" else None
        w = rng.normal(0, 1, (8, 8))
        norm = normalization(csr, kind, edge_w=edge_w)
        for weight, relu in ((None, False), (w, True)):
            got = aggregate_float(csr, x, norm, weight, "relu" if relu else "identity")
            want = dense_reference(csr, x, kind, edge_w, weight, relu) if csr.n_edges < 5000 else None
            if want is not None:
                np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9, err_msg=name)
            np.testing.assert_allclose(got, torch_reference(csr, x, norm.edge_values(csr), weight, relu),
                                       rtol=1e-12, atol=1e-9, err_msg=name)
            np.testing.assert_allclose(got, scipy_reference(csr, x, kind, edge_w, weight, relu),
                                       rtol=1e-12, atol=1e-9, err_msg=name)


def test_empty_rows_and_isolated_nodes_give_zero():
    csr = CSR(np.array([0, 0, 2, 2]), np.array([1, 1]), 3)
    h = aggregate_float(csr, np.ones((3, 4)), normalization(csr, "symmetric"))
    assert np.all(h[0] == 0) and np.all(h[2] == 0)
    np.testing.assert_allclose(h[1], 2 / np.sqrt(2 * 2))  # duplicate edge: |N(u)| = |N(v)| = 2


def test_multi_layer_equals_repeated_layers():
    rng = np.random.default_rng(5)
    csr = build_bipartite(rng.integers(0, 20, 100), rng.integers(0, 30, 100)).unified()
    norm = normalization(csr, "symmetric")
    x = rng.normal(size=(csr.n_src, 4))
    outs = forward_float(csr, x, norm, [(None, "identity")] * 3)
    a = csr.to_scipy(norm.edge_values(csr))
    np.testing.assert_allclose(outs[-1], a @ (a @ (a @ x)), rtol=1e-12, atol=1e-12)


def test_transpose_and_bipartite_directions_agree():
    rng = np.random.default_rng(2)
    bg = build_bipartite(rng.integers(0, 15, 90), rng.integers(0, 12, 90))
    ui, iu = bg.user_to_item(), bg.item_to_user()
    assert (ui.to_scipy().T != iu.to_scipy()).nnz == 0
    assert (ui.transpose().to_scipy() != iu.to_scipy()).nnz == 0
    assert np.array_equal(ui.in_degree, iu.out_degree)


def test_synthetic_graph_shape_and_skew():
    from golden.graph import degree_stats, synthetic_bipartite
    g = synthetic_bipartite(600, 370, 20_000, seed=4)
    assert len(g.users) == 20_000
    assert len(np.unique(g.users * g.n_items + g.items)) == 20_000  # distinct pairs
    csr = g.unified()
    assert csr.n_edges == 40_000 and csr.n_dst == 970
    items = degree_stats(csr.in_degree[g.n_users:])
    assert items["max"] > 5 * items["median"]  # hubs: power-law popularity
    assert items["gini"] > 0.3
    with pytest.raises(ValueError, match="do not fit"):
        synthetic_bipartite(2, 2, 5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_spread_row_order_is_a_permutation_and_the_layer_follows_it_bit_for_bit(seed):
    """take_rows(spread_row_order(n)) reorders the rows only: the bit-exact model's output on it
    is the original output's rows in that order (tiled and untiled builds), for every norm."""
    from golden.cases import make_vector, random_features
    from golden.contract import HwConfig
    from golden.graph import spread_row_order, synthetic_bipartite
    rng = np.random.default_rng(seed)
    csr = synthetic_bipartite(37, 29, 300, seed=seed).unified()
    order = spread_row_order(csr.n_dst)
    assert np.array_equal(np.sort(order), np.arange(csr.n_dst))
    # every prefix samples the rows evenly: no gap between consecutive ids of the first half is
    # more than 3 times the mean gap
    half = np.sort(order[:csr.n_dst // 2])
    assert np.diff(half).max() <= 3 * csr.n_dst / len(half)
    moved = csr.take_rows(order)
    assert np.array_equal(moved.to_scipy().toarray(), csr.to_scipy().toarray()[order])
    for hw in (HwConfig(64, 16, 1, 256, 1024), HwConfig(128, 16, 4, 128, 2048)):
        x_q = random_features(rng, csr.n_src, 64, hw=hw)
        for norm in ("symmetric", "mean", "sum"):   # (weighted: make_vector draws weights per edge position)
            a = make_vector("a", csr, x_q, norm, np.random.default_rng(seed), hw=hw)
            b = make_vector("b", moved, x_q, norm, np.random.default_rng(seed), hw=hw)
            assert np.array_equal(b.expect, a.expect[order])
    with pytest.raises(ValueError, match="permutation"):
        csr.take_rows(order[:-1])


def test_partial_rows_count_the_partitions_a_row_touches_beyond_its_first():
    """CSR.partitions_touched / partial_rows (the acc_buf rows source tiling must move, what the
    RTL's row plans move and lower_bound counts) on a hand-made graph, against a loop."""
    from golden.graph import CSR
    # 3 partitions of 4 sources (the last one of 2): rows read {}, {0}, {0,2}, {1}, {0,1,2}, {2}
    cols = [[], [1, 3], [0, 9], [5, 6], [4, 0, 8, 9, 4], [9, 9]]
    row_ptr = np.concatenate([[0], np.cumsum([len(c) for c in cols])]).astype(np.uint32)
    csr = CSR(row_ptr, np.array(sum(cols, []), np.uint32), 10)
    assert csr.partitions_touched(4).tolist() == [0, 1, 2, 1, 3, 1]
    assert csr.partial_rows(4) == 3
    assert csr.partial_rows(16) == 0                  # one partition: nothing parked
    rng = np.random.default_rng(3)
    from golden.cases import random_graph
    g = random_graph(rng, 50, 40, 6)
    want = sum(max(len({int(u) // 7 for u in g.col_idx[g.row_ptr[v]:g.row_ptr[v + 1]]}) - 1, 0)
               for v in range(g.n_dst))
    assert g.partial_rows(7) == want
