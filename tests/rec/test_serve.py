"""Online requests: the user's row recomputed on the accelerator against item-side state uploaded
once gives exactly the offline full-graph embedding, on the cpu and the cycle-accurate sim backend;
top-k ranking is exact, ties included."""
import numpy as np
import pytest
import torch

from host.driver import Accelerator
from host.rec.model import GNN, FusionHead, sparse_adjacency, unified_graph
from host.rec.quant import export_fixed
from host.rec.metrics import top_k
from host.rec.serve import OnlineGNN, OnlineRecommender, RequestTiming

F = 16


@pytest.fixture(scope="module")
def graph(small_bipartite):
    return small_bipartite


def fixed_model(graph, style, layers=2):
    torch.manual_seed(1)
    gnn = GNN(graph.n_users, graph.n_items, F, layers, style)
    csr, norm = unified_graph(graph)
    return export_fixed(gnn, sparse_adjacency(csr, norm))


@pytest.mark.parametrize("style,layers", [("lightgcn", 2), ("lightgcn", 3), ("gcn", 2)])
@pytest.mark.parametrize("backend", ["cpu", "sim"])
def test_online_user_embedding_is_the_offline_one(graph, style, layers, backend, sim_library):
    fixed = fixed_model(graph, style, layers)
    opts = {"library": sim_library} if backend == "sim" else {}
    with Accelerator(backend, **opts) as acc:
        online = OnlineGNN(acc, fixed, graph)
        assert online.stacked == (style == "lightgcn")
        users = np.arange(graph.n_users)
        for u in users[::7]:
            items = graph.items[graph.users == u]
            timing = RequestTiming()
            h = online.user_embedding(int(u), items, timing)
            np.testing.assert_array_equal(h, online.final[u])  # bit-identical, not close
            assert timing.calls == (1 if style == "lightgcn" else layers)
            assert (timing.cycles > 0) == (backend == "sim")


def test_gather_modes_agree(graph, sim_library):
    fixed = fixed_model(graph, "lightgcn")
    with Accelerator("sim", library=sim_library) as acc:
        dram, table = OnlineGNN(acc, fixed, graph, "dram"), OnlineGNN(acc, fixed, graph, "table")
        items = graph.items[graph.users == 5]
        np.testing.assert_array_equal(dram.user_embedding(5, items), table.user_embedding(5, items))


def test_recommender_serves_unseen_items(graph):
    fixed = fixed_model(graph, "lightgcn")
    torch.manual_seed(2)
    e_user, e_item = torch.randn(graph.n_users, 8), torch.randn(graph.n_items, 8)
    head = FusionHead(F, 8, hidden=16, proj=8)
    known = [graph.items[graph.users == u] for u in range(graph.n_users)]
    with Accelerator("cpu") as acc:
        rec = OnlineRecommender(OnlineGNN(acc, fixed, graph), head, e_user, e_item, known)
        tops = []
        for u in range(graph.n_users):
            timing = RequestTiming()
            top = rec.recommend(u, 10, timing)
            assert len(top) == min(10, graph.n_items - len(known[u]))
            assert not np.isin(top, known[u]).any()
            assert timing.head_s > 0 and timing.rank_s > 0
            tops.append(tuple(top))
        assert len(set(tops)) > 1  # the ranking depends on the user


def test_top_k_matches_a_full_sort_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 60))
        scores = rng.integers(0, 6, n).astype(np.float32)  # many ties
        exclude = rng.choice(n, int(rng.integers(0, n)), replace=False)
        k = int(rng.integers(1, 15))
        s = scores.astype(np.float64)
        s[exclude] = -np.inf
        want = np.lexsort((np.arange(n), -s))[:min(k, n - len(exclude))]
        np.testing.assert_array_equal(top_k(scores, exclude, k), want)


@pytest.mark.parametrize("style", ["lightgcn", "gcn"])
def test_float_online_row_matches_full_propagation(graph, style):
    from host.rec.serve import FloatOnlineGNN
    torch.manual_seed(4)
    gnn = GNN(graph.n_users, graph.n_items, F, 2, style)
    online = FloatOnlineGNN(gnn, graph)
    csr, norm = unified_graph(graph)
    with torch.no_grad():
        h_user, _ = gnn(sparse_adjacency(csr, norm))
    for u in range(0, graph.n_users, 5):
        h = online.user_embedding(u, graph.items[graph.users == u])
        np.testing.assert_allclose(h, h_user[u].double().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("gnn_dim,text_dim,degree_bounds", [(F, 8, ()), (F, 8, (2, 5)), (0, 8, ()), (F, 0, ())])
def test_head_scorer_matches_score_all(gnn_dim, text_dim, degree_bounds):
    """The request path's head (laid-out buffers, NumPy + in-place torch) gives score_all's
    numbers for graph+text, text-only and graph-only heads, with and without a graph weight
    per user-degree bucket, call after call."""
    from host.rec.serve import HeadScorer
    torch.manual_seed(5)
    head = FusionHead(gnn_dim, text_dim, hidden=16, proj=8, degree_bounds=degree_bounds)
    with torch.no_grad():
        for p in head.parameters():
            p.normal_(0, 0.5)
    n_items, n_users = 37, 6
    h_i, h_u = torch.randn(n_items, gnn_dim), torch.randn(n_users, gnn_dim)
    e_i, e_u = torch.randn(n_items, text_dim), torch.randn(n_users, text_dim)
    degree = torch.tensor([1, 2, 3, 5, 6, 40])  # both sides of every bucket bound
    with torch.no_grad():
        side = head.item_side(h_i, e_i)
        want = head.score_all(h_u, e_u, side, degree).numpy()
    scorer = HeadScorer(head, side)
    for u in range(n_users):
        got = scorer(h_u[u].double().numpy() if gnn_dim else None, e_u[u].numpy(), int(degree[u]))
        np.testing.assert_allclose(got, want[u], rtol=1e-5, atol=1e-5)


def test_top_k_in_place_on_float32():
    rng = np.random.default_rng(1)
    scores = rng.integers(0, 4, 50).astype(np.float32)
    exclude = np.array([3, 3, 7], dtype=np.uint32)
    want = top_k(scores, exclude, 10)
    buf = scores.copy()
    np.testing.assert_array_equal(top_k(buf, exclude, 10, inplace=True), want)
    assert np.isneginf(buf[[3, 7]]).all()


# -- issue 19, item 1: serving validates like the offline path and is safe from many threads ----

def _recommender(graph, acc):
    fixed = fixed_model(graph, "lightgcn")
    torch.manual_seed(2)
    e_user, e_item = torch.randn(graph.n_users, 8), torch.randn(graph.n_items, 8)
    head = FusionHead(F, 8, hidden=16, proj=8)
    known = [graph.items[graph.users == u] for u in range(graph.n_users)]
    return OnlineRecommender(OnlineGNN(acc, fixed, graph), head, e_user, e_item, known)


@pytest.mark.parametrize("user,k", [(-1, 10), ("n_users", 10), (True, 10), (1.0, 10), (None, 10),
                                    (0, 0), (0, -3), (0, True), (0, 2.0), (0, "n_items+1")])
def test_recommend_validates_like_recommendations(graph, user, k):
    with Accelerator("cpu") as acc:
        rec = _recommender(graph, acc)
        user = rec.n_users if user == "n_users" else user
        k = rec.n_items + 1 if k == "n_items+1" else k
        with pytest.raises(ValueError) as offline:
            rec.recommendations(user, k)
        with pytest.raises(ValueError) as online:
            rec.recommend(user, k)
        assert str(online.value) == str(offline.value)


def test_concurrent_requests_equal_the_same_request_alone(graph):
    """24 threads x 400 requests on one recommender (one HeadScorer, one Accelerator): every
    answer equals the same request made alone."""
    import concurrent.futures
    torch.set_num_threads(1)
    with Accelerator("cpu") as acc:
        rec = _recommender(graph, acc)
        rng = np.random.default_rng(7)
        reqs = [(int(rng.integers(rec.n_users)), int(rng.integers(1, 15))) for _ in range(400)]
        alone = {r: rec.recommend(*r).copy() for r in set(reqs)}
        scores_alone = {r: [x.score for x in rec.recommendations(*r)] for r in set(reqs)}

        def one(r):
            return r, rec.recommend(*r).copy(), [x.score for x in rec.recommendations(*r)]
        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            bad = [r for r, top, scores in pool.map(one, reqs)
                   if not np.array_equal(top, alone[r]) or scores != scores_alone[r]]
        assert not bad, f"{len(bad)} of {len(reqs)} concurrent answers differ from the same request alone"
