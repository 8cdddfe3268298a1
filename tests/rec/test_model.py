"""Embedding cache, the Eq. 1 GNN through the driver in fixed point, the fusion head, serving."""
import dataclasses
import hashlib

import numpy as np
import pytest
import torch

from golden.fixed import FEAT
from golden.hw_model import gnn_agg
from host.rec.data.synthetic import generate_default
from host.driver import Accelerator
from host.rec.embed import embed_texts
from host.rec.metrics import evaluate, per_user_metrics
from host.rec.model import GNN, FusionHead, hybrid_from_text_head, sparse_adjacency, unified_graph
from host.rec.quant import export_fixed, propagate_fixed
from host.rec.protocol import Protocol, item_texts, split, user_texts
from host.rec.serve import OnlineGNN, OnlineRecommender
from host.rec.train import (Features, TrainConfig, choose_gnn_weight, head_scorer, train_embedding_model,
                        train_head)

torch.set_num_threads(1)


def hashed_words(texts, dim=32):
    """A stand-in text encoder for tests: sum of per-word pseudo-random vectors, unit norm.
    Shared words give similar vectors, so the text carries the generator's genre signal."""
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for r, t in enumerate(texts):
        for w in t.lower().replace(",", " ").replace(".", " ").split():
            seed = int.from_bytes(hashlib.sha256(w.encode()).digest()[:4], "little")
            out[r] += np.random.default_rng(seed).normal(size=dim)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def test_embedding_cache(tmp_path):
    calls = []

    def factory():
        calls.append(1)
        return hashed_words
    texts = ["a comedy", "a war film", "a comedy"]
    first = embed_texts(texts, encoder_factory=factory, cache_dir=tmp_path, batch_size=2)
    assert len(calls) == 1 and first.shape == (3, 32)
    assert np.array_equal(first, hashed_words(texts))
    again = embed_texts(texts, encoder_factory=factory, cache_dir=tmp_path)
    assert len(calls) == 1 and np.array_equal(again, first)       # served from the cache
    embed_texts(texts[:2], encoder_factory=factory, cache_dir=tmp_path)
    embed_texts(texts, model_name="other-model", encoder_factory=factory, cache_dir=tmp_path)
    assert len(calls) == 3                                         # new texts / model: new entries
    assert len(list(tmp_path.glob("*/*.npy"))) == 3


def test_minilm_loads_offline_and_embeds(tmp_path):
    emb = embed_texts(["A funny romantic comedy", "A hilarious love story", "A brutal war film"],
                      cache_dir=tmp_path, device="cpu")
    assert emb.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert emb[0] @ emb[1] > emb[0] @ emb[2]


@pytest.fixture(scope="module")
def tiny():
    """A small generated data set, split, hashed-word text features and a trained LightGCN."""
    ds = generate_default(seed=2, n_users=120, n_items=200, mean_interactions=30)
    proto = Protocol(seed=0)
    sp = split(ds, proto)
    e_item = torch.from_numpy(hashed_words(item_texts(ds, sp)))
    e_user = torch.from_numpy(hashed_words(user_texts(ds, sp, proto)))
    csr, norm = unified_graph(sp.graph())
    adj = sparse_adjacency(csr, norm)
    cfg = TrainConfig(epochs=10, head_epochs=10, eval_every=5, batch=512)
    torch.manual_seed(0)
    gnn = GNN(sp.n_users, sp.n_items, 64, 2)
    train_embedding_model(gnn, adj, sp, proto, cfg, "tiny GNN")
    return dict(ds=ds, proto=proto, sp=sp, e_item=e_item, e_user=e_user, csr=csr, norm=norm,
                adj=adj, cfg=cfg, gnn=gnn)



def golden_propagation(fixed, csr, norm, n_users):
    """The exported layers of `fixed` on golden.hw_model directly: (h_u, h_i) as propagate_fixed
    returns them (the mean of layer 0 and every layer's output, unscaled)."""
    q = norm.quantized()
    x, total = fixed.x0_q, FEAT.to_float(fixed.x0_q)
    for w, relu in zip(fixed.weights_q, fixed.relu):
        mode = int(q.mode) | (8 if w is not None else 0) | (16 if relu else 0)
        x = gnn_agg(csr.row_ptr, csr.col_idx, x, n_src=csr.n_src, mode=mode,
                    src_scale=q.src_scale, dst_scale=q.dst_scale, weight=w)
        total += FEAT.to_float(x)
    golden = total / (len(fixed.weights_q) + 1) / fixed.scale
    return golden[:n_users], golden[n_users:]

@pytest.mark.parametrize("style", ["lightgcn", "gcn"])
def test_fixed_propagation_is_the_driver_and_close_to_float(tiny, style):
    torch.manual_seed(1)
    gnn = GNN(tiny["sp"].n_users, tiny["sp"].n_items, 64, 2, style=style)
    if style == "lightgcn":
        gnn.load_state_dict(tiny["gnn"].state_dict())
    fixed = export_fixed(gnn, tiny["adj"])
    assert np.abs(FEAT.to_float(fixed.x0_q)).max() <= 4.0 + FEAT.lsb
    assert (fixed.weights_q[0] is None) == (style == "lightgcn") and fixed.relu == ((style == "gcn"),) * 2
    with Accelerator("cpu") as acc:
        hu, hi = propagate_fixed(fixed, acc, acc.load_graph(tiny["csr"], tiny["norm"]))
    gu, gi = golden_propagation(fixed, tiny["csr"], tiny["norm"], tiny["sp"].n_users)
    assert np.array_equal(hu, gu) and np.array_equal(hi, gi)
    with torch.no_grad():
        fu, fi = gnn(tiny["adj"])
    err = np.abs(np.concatenate([hu, hi]) - torch.cat([fu, fi]).double().numpy()).max()
    peak = torch.cat([fu, fi]).abs().max().item()
    assert err < 2e-3 * peak  # a few FEAT LSBs at the export scale


def test_head_is_user_dependent_and_item_side_consistent(tiny):
    torch.manual_seed(0)
    head = FusionHead(64, 32, hidden=16)
    torch.nn.init.normal_(head.out.weight)
    with torch.no_grad():
        hu, hi = tiny["gnn"](tiny["adj"])
    feats = Features(hu, hi, tiny["e_user"], tiny["e_item"])
    scores = head_scorer(head, feats)(np.array([0, 1]))
    assert not np.array_equal(np.argsort(-scores[0]), np.argsort(-scores[1]))
    # score_all with the precomputed item side equals scoring every pair from scratch
    with torch.no_grad():
        items = torch.arange(tiny["sp"].n_items)
        pair = head.score_pairs(hu[[1] * len(items)], tiny["e_user"][[1] * len(items)], hi[items],
                                tiny["e_item"][items])
    np.testing.assert_allclose(scores[1], pair.numpy(), rtol=1e-5, atol=1e-5)


def test_quantized_hybrid_within_one_percent_of_float(tiny):
    sp, proto, cfg = tiny["sp"], tiny["proto"], tiny["cfg"]
    with torch.no_grad():
        hu, hi = tiny["gnn"](tiny["adj"])
    feats = Features(hu, hi, tiny["e_user"], tiny["e_item"])
    torch.manual_seed(0)
    head = FusionHead(64, 32, hidden=32)
    train_head(head, feats, sp, proto, cfg, sp.train, "tiny hybrid head")
    float_ndcg = evaluate(head_scorer(head, feats), sp, proto)["overall"]["NDCG@10"]
    fixed = export_fixed(tiny["gnn"], tiny["adj"])
    with Accelerator("cpu") as acc:
        qu, qi = propagate_fixed(fixed, acc, acc.load_graph(tiny["csr"], tiny["norm"]))
    qfeats = dataclasses.replace(feats, h_user=torch.from_numpy(qu).float(), h_item=torch.from_numpy(qi).float())
    quant_ndcg = evaluate(head_scorer(head, qfeats), sp, proto)["overall"]["NDCG@10"]
    assert float_ndcg > 0.05
    assert abs(quant_ndcg - float_ndcg) <= 0.01 * float_ndcg


def test_recommend_excludes_known_and_round_trips(tiny, tmp_path):
    """The served recommender (host.rec.serve): unseen items only, best first, the same best item
    as the offline scorer over the accelerator's embeddings, and identical after save/load."""
    sp = tiny["sp"]
    torch.manual_seed(0)
    head = FusionHead(64, 32, hidden=16)
    known = [np.concatenate(p) for p in zip(sp.per_user("train"), sp.per_user("valid"))]
    fixed = export_fixed(tiny["gnn"], tiny["adj"])
    with Accelerator("cpu") as acc:
        rec = OnlineRecommender(OnlineGNN(acc, fixed, sp.graph()), head, tiny["e_user"], tiny["e_item"], known,
                                tiny["ds"].item_titles)
        u = int(np.argmax([len(k) for k in known]))
        top = rec.recommendations(u, k=10)
        assert len(top) == 10 and not {r.item for r in top} & set(known[u].tolist())
        assert [r.score for r in top] == sorted((r.score for r in top), reverse=True)
        assert top[0].title == tiny["ds"].item_titles[top[0].item]
        hu, hi = propagate_fixed(fixed, acc, acc.load_graph(tiny["csr"], tiny["norm"]))
        feats = Features(torch.from_numpy(hu).float(), torch.from_numpy(hi).float(), tiny["e_user"], tiny["e_item"])
        full = head_scorer(head, feats)(np.array([u]))[0]
        full[known[u]] = -np.inf
        assert top[0].item == int(np.argmax(full))
        rec.save(tmp_path / "r.pt")
        assert OnlineRecommender.load(tmp_path / "r.pt", acc).recommendations(u, k=10) == top
        for bad_user in (sp.n_users, -1, True):
            with pytest.raises(ValueError, match="user must be"):
                rec.recommendations(bad_user)
        with pytest.raises(ValueError, match="k must be"):
            rec.recommendations(u, k=0)


def test_hybrid_starts_as_graph_dot_plus_text_head(tiny):
    torch.manual_seed(3)
    text = FusionHead(0, 32, hidden=16)
    torch.nn.init.normal_(text.out.weight)
    with torch.no_grad():
        hu, hi = tiny["gnn"](tiny["adj"])
    users = np.array([0, 5, 7])
    text_scores = head_scorer(text, Features(None, None, tiny["e_user"], tiny["e_item"]))(users)
    hybrid = hybrid_from_text_head(text, 64, gnn_weight=2.5)
    hybrid_scores = head_scorer(hybrid, Features(hu, hi, tiny["e_user"], tiny["e_item"]))(users)
    dot = (hu[users] @ hi.T).numpy()
    np.testing.assert_allclose(hybrid_scores, 2.5 * dot + text_scores, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="text-only"):
        hybrid_from_text_head(hybrid, 64)


def random_text_head(seed: int) -> FusionHead:
    torch.manual_seed(seed)
    text = FusionHead(0, 32, hidden=16)
    torch.nn.init.normal_(text.out.weight)
    return text


def test_graph_weight_per_user_degree_bucket(tiny):
    """g_b(u) <h_u, h_i> + text score, b the bucket of u's training degree; bounds are inclusive."""
    text = random_text_head(4)
    with torch.no_grad():
        hu, hi = tiny["gnn"](tiny["adj"])
    users = np.array([0, 1, 2, 3, 4, 5])
    degree = torch.tensor([1, 2, 3, 5, 6, 40])
    text_scores = head_scorer(text, Features(None, None, tiny["e_user"], tiny["e_item"]))(users)
    hybrid = hybrid_from_text_head(text, 64, degree_bounds=(2, 5))
    with torch.no_grad():
        hybrid.gnn_weight.copy_(torch.tensor([4.0, 2.0, 0.5]))
        got = hybrid.score_all(hu[users], tiny["e_user"][users], hybrid.item_side(hi, tiny["e_item"]), degree)
    weight = np.array([4.0, 4.0, 2.0, 2.0, 0.5, 0.5])[:, None]
    np.testing.assert_allclose(got.numpy(), weight * (hu[users] @ hi.T).numpy() + text_scores, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="training degrees"):
        hybrid.score_all(hu[users], tiny["e_user"][users], hybrid.item_side(hi, tiny["e_item"]))
    with pytest.raises(ValueError, match="strictly increasing"):
        FusionHead(64, 32, degree_bounds=(5, 2))


def test_graph_weight_per_bucket_is_chosen_on_valid_only(tiny):
    """Each bucket gets the weight with the best mean validation NDCG@10 over its own validation
    users; the test part of the split plays no role."""
    sp, proto = tiny["sp"], tiny["proto"]
    with torch.no_grad():
        hu, hi = tiny["gnn"](tiny["adj"])
    degree = torch.from_numpy(sp.user_train_count())
    feats = Features(hu, hi, tiny["e_user"], tiny["e_item"], degree)
    weights, bounds = (0.1, 1.0, 10.0), (5,)
    hybrid = hybrid_from_text_head(random_text_head(6), 64, degree_bounds=bounds)
    scores, start = choose_gnn_weight(hybrid, feats, sp, proto, weights)
    valid = {}
    for w in weights:
        fixed = hybrid_from_text_head(random_text_head(6), 64, gnn_weight=w, degree_bounds=bounds)
        valid[w] = per_user_metrics(head_scorer(fixed, feats), sp, proto, "valid")["overall"]
    cold = sp.user_train_count()[valid[1.0]["user"]] <= 5
    assert 5 < cold.sum() < len(cold)  # both buckets have validation users
    for b, in_bucket in enumerate((cold, ~cold)):
        means = {w: valid[w]["NDCG@10"][in_bucket].mean() for w in weights}
        assert scores[b] == pytest.approx(means)
        assert hybrid.gnn_weight[b].item() == max(means, key=means.get)
    assert start == pytest.approx(evaluate(head_scorer(hybrid, feats), sp, proto, "valid")["overall"]["NDCG@10"])
    rng = np.random.default_rng(0)
    other_test = dataclasses.replace(sp, test=(sp.test[0], rng.integers(sp.n_items, size=len(sp.test[1]))))
    again = hybrid_from_text_head(random_text_head(6), 64, degree_bounds=bounds)
    assert choose_gnn_weight(again, feats, other_test, proto, weights) == (scores, start)
    assert torch.equal(again.gnn_weight, hybrid.gnn_weight)
