"""Score-level fusion of two GNNs (host.rec.model.fused_gnn, host.rec.train.choose_fusion_weight):
the fused GNN scores s_a + a s_b, runs through the driver bit-exact with the golden model, and its
weight is the one of the grid best on valid."""
import numpy as np
import pytest
import torch

from host.driver import Accelerator
from host.rec.metrics import evaluate
from host.rec.model import GNN, fused_gnn
from host.rec.quant import export_fixed, propagate_fixed
from host.rec.train import choose_fusion_weight, score_spread

from .test_model import golden_propagation
from .test_text_gnn import text_graph

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def graph():
    return text_graph(5, 70, 130, 20, 8)


def two_gnns(graph, style, dim=32, layers=2):
    """GNN only (seed 0) and text in GNN (seed 1), random parameters (GCN: W away from I)."""
    sp = graph["sp"]
    torch.manual_seed(0)
    a = GNN(sp.n_users, sp.n_items, dim, layers, style)
    torch.manual_seed(1)
    b = GNN(sp.n_users, sp.n_items, dim, layers, style, text=graph["text"])
    with torch.no_grad():
        for layer in [*a.layers, *b.layers]:
            if layer.weight is not None:
                layer.weight.add_(0.3 * torch.randn_like(layer.weight))
    return a, b


@pytest.mark.parametrize("style", ["lightgcn", "gcn"])
def test_fused_gnn_scores_the_weighted_sum_of_its_parts(graph, style):
    a, b = two_gnns(graph, style)
    weight = 0.37
    fused = fused_gnn(a, b, weight)
    adj = graph["adj"]
    with torch.no_grad():
        assert fused.embedding.shape[1] == 64 and torch.equal(fused.text, b.text)
        root = weight ** 0.5
        torch.testing.assert_close(fused.layer0(), torch.cat([a.layer0(), root * b.layer0()], 1))
        (au, ai), (bu, bi), (fu, fi) = a(adj), b(adj), fused(adj)
        torch.testing.assert_close(fu, torch.cat([au, root * bu], 1), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(fi, torch.cat([ai, root * bi], 1), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(fu @ fi.T, au @ ai.T + weight * (bu @ bi.T), rtol=1e-5, atol=1e-5)
    assert not fused.training
    # weight 0: GNN a's own scores
    with torch.no_grad():
        zu, zi = fused_gnn(a, b, 0.0)(adj)
    torch.testing.assert_close(zu @ zi.T, au @ ai.T, rtol=1e-5, atol=1e-6)


def test_fused_gnn_rejects_what_it_cannot_fuse(graph):
    sp = graph["sp"]
    a, b = two_gnns(graph, "lightgcn")
    with pytest.raises(ValueError, match="same graph, layer count and style"):
        fused_gnn(a, GNN(sp.n_users, sp.n_items, 32, 3), 1.0)
    with pytest.raises(ValueError, match="same graph, layer count and style"):
        fused_gnn(a, GNN(sp.n_users, sp.n_items, 32, 2, "gcn"), 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        fused_gnn(a, b, -0.5)
    with pytest.raises(ValueError, match=">= 0"):
        fused_gnn(a, b, float("nan"))
    with pytest.raises(ValueError, match="differ"):
        fused_gnn(b, GNN(sp.n_users, sp.n_items, 32, 2, text=-graph["text"]), 1.0)


def test_fused_gnn_on_the_accelerator_is_the_golden_model(graph):
    """The fused GNN (F = 64 + 64) through host.driver (cpu backend) bit for bit as golden.hw_model,
    and within 1 % relative NDCG@10 of float."""
    a, b = two_gnns(graph, "lightgcn", dim=64)
    fused = fused_gnn(a, b, 0.6)
    fixed = export_fixed(fused, graph["adj"])
    assert fixed.x0_q.shape[1] == 128
    csr, norm = graph["csr"], graph["norm"]
    with Accelerator("cpu") as acc:
        hu, hi = propagate_fixed(fixed, acc, acc.load_graph(csr, norm))
    gu, gi = golden_propagation(fixed, csr, norm, graph["sp"].n_users)
    assert np.array_equal(hu, gu) and np.array_equal(hi, gi)
    with torch.no_grad():
        fu, fi = fused(graph["adj"])
    sp, proto = graph["sp"], graph["proto"]
    float_ndcg = evaluate(lambda u: (fu[torch.from_numpy(u)] @ fi.T).numpy(), sp, proto)["overall"]["NDCG@10"]
    quant_ndcg = evaluate(lambda u: hu[u] @ hi.T, sp, proto)["overall"]["NDCG@10"]
    assert float_ndcg > 0
    assert abs(quant_ndcg - float_ndcg) <= 0.01 * float_ndcg


def test_score_spread_hand_computed():
    scores = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 6.0]])  # per-user variances 2/3 and 8
    spread = score_spread(lambda users: scores[users], 2, batch=1)
    assert spread == pytest.approx(np.sqrt((2 / 3 + 8) / 2), rel=1e-12)


def test_fusion_weight_is_the_grid_best_on_valid(graph):
    sp, proto = graph["sp"], graph["proto"]
    rng = np.random.default_rng(3)
    base = rng.integers(0, 50, size=(sp.n_users, sp.n_items)).astype(np.float64)
    shift = rng.integers(0, 9, size=(sp.n_users, 1)).astype(np.float64)
    score_a = lambda users: base[users]  # noqa: E731
    # b = 2 a + a per-user shift: spread ratio 1/2, and every weight ranks like a: ties go to the first
    weight, ratio, valid = choose_fusion_weight(score_a, lambda users: 2 * base[users] + shift[users], sp, proto,
                                                (0.0, 0.5, 1.0))
    assert ratio == pytest.approx(0.5, rel=1e-12) and weight == 0.0
    assert valid[0.0] == valid[0.5] == valid[1.0]
    # b = the valid items themselves: the larger its weight, the better valid gets
    oracle = np.zeros((sp.n_users, sp.n_items))
    oracle[sp.valid[0], sp.valid[1]] = 1.0
    weight, ratio, valid = choose_fusion_weight(score_a, lambda users: oracle[users], sp, proto, (0.0, 0.001, 100.0))
    spread = lambda s: np.sqrt(np.var(s, axis=1).mean())  # noqa: E731
    assert ratio == pytest.approx(spread(base) / spread(oracle), rel=1e-9)
    assert weight == pytest.approx(100.0 * ratio, rel=1e-12) and valid[100.0] == max(valid.values())
    assert valid[100.0] == pytest.approx(1.0) and valid[0.0] < 0.5
    with pytest.raises(ValueError, match="do not vary"):
        choose_fusion_weight(score_a, lambda users: shift[users] * np.ones(sp.n_items), sp, proto, (0.0, 1.0))


def test_fused_gnn_serves_online_layer_by_layer(graph):
    """3 layers at F = 128: the stacked table [x^(0) | x^(1) | x^(2)] (384 features) exceeds the
    build's 256, so serving runs the layers one call each, and a user's online row is still the
    offline one bit for bit."""
    from host.rec.serve import OnlineGNN, RequestTiming
    a, b = two_gnns(graph, "lightgcn", dim=64, layers=3)
    fixed = export_fixed(fused_gnn(a, b, 1.3), graph["adj"])
    bip = graph["sp"].graph()
    with Accelerator("cpu") as acc:
        online = OnlineGNN(acc, fixed, bip)
        assert not online.stacked and acc.hw.max_feat < 3 * 128
        for u in range(0, bip.n_users, 9):
            timing = RequestTiming()
            h = online.user_embedding(u, bip.items[bip.users == u], timing)
            np.testing.assert_array_equal(h, online.final[u])
            assert timing.calls == 3
