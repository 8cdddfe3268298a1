"""Text-aware message passing (text in the GNN's layer-0 features), its export to the
accelerator, review-pooled text embeddings without leakage, the sampled protocol's metric, and
the loaders on the real files of ../shared/data when they are there."""
import dataclasses
import math
import pathlib

import numpy as np
import pytest
import torch

from golden.fixed import FEAT
from host.driver import Accelerator
from host.rec.data import load
from host.rec.data.synthetic import generate_default
from host.rec.metrics import evaluate, sampled_metrics
from host.rec.model import GNN, sparse_adjacency, unified_graph
from host.rec.protocol import Protocol, Split, split, text_embeddings, training_reviews
from host.rec.quant import export_fixed, propagate_fixed
from host.rec.train import TrainConfig, train_embedding_model

from .test_model import golden_propagation, hashed_words
from .test_protocol import tiny_dataset

torch.set_num_threads(1)
SHARED = pathlib.Path(__file__).resolve().parents[3] / "shared" / "data"


def text_graph(data_seed: int, n_users: int, n_items: int, mean_interactions: int, text_seed: int) -> dict:
    """A generated data set's split, its unified graph and random unit text vectors (dim 24) per node."""
    ds = generate_default(seed=data_seed, n_users=n_users, n_items=n_items, mean_interactions=mean_interactions)
    proto = Protocol(seed=0)
    sp = split(ds, proto)
    csr, norm = unified_graph(sp.graph())
    rng = np.random.default_rng(text_seed)
    text = rng.normal(size=(sp.n_users + sp.n_items, 24)).astype(np.float32)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    return dict(ds=ds, proto=proto, sp=sp, csr=csr, norm=norm, adj=sparse_adjacency(csr, norm),
                text=torch.from_numpy(text))


@pytest.fixture(scope="module")
def graph():
    return text_graph(4, 80, 150, 25, 3)


def test_text_enters_layer0_and_propagates(graph):
    sp, adj, text = graph["sp"], graph["adj"], graph["text"]
    torch.manual_seed(0)
    gnn = GNN(sp.n_users, sp.n_items, 16, 2, text=text)
    with torch.no_grad():
        x0 = gnn.layer0()
        assert torch.equal(x0, gnn.embedding + text @ gnn.text_proj.weight.T)
        outs = gnn.layer_outputs(adj)
        assert torch.equal(outs[0], x0) and torch.allclose(outs[1], adj @ x0)
        # a node's text reaches its neighbours: change one item's text, its users' embeddings move
        item = int(np.argmax(sp.item_train_count()))
        users_of_item = sp.train[0][sp.train[1] == item]
        other = np.setdiff1d(np.arange(sp.n_users), sp.train[0][np.isin(sp.train[1], sp.train[1][np.isin(
            sp.train[0], users_of_item)])])  # users more than 3 hops from the item
        before_u, _ = gnn(adj)
        gnn.text[sp.n_users + item] = -gnn.text[sp.n_users + item]
        after_u, _ = gnn(adj)
    moved = (before_u - after_u).abs().sum(1) > 0
    assert moved[users_of_item].all() and not moved[other].any()
    with pytest.raises(ValueError, match="rows"):
        GNN(sp.n_users, sp.n_items, 16, 2, text=text[:-1])


def test_text_gnn_trains_its_projection_and_helps_a_cold_item(graph):
    sp, proto, adj, text = graph["sp"], graph["proto"], graph["adj"], graph["text"]
    torch.manual_seed(0)
    gnn = GNN(sp.n_users, sp.n_items, 16, 2, text=text)
    start = gnn.text_proj.weight.detach().clone()
    train_embedding_model(gnn, adj, sp, proto, TrainConfig(epochs=10, eval_every=5, batch=256), "text GNN")
    assert not torch.equal(gnn.text_proj.weight, start)
    # an item with no training edge: its graph embedding is its own x0 (text + free row) / (L + 1)
    with torch.no_grad():
        _, items = gnn(adj)
        x0 = gnn.layer0()
    cold = np.flatnonzero(sp.item_train_count() == 0)
    if len(cold):
        assert torch.allclose(items[cold], x0[sp.n_users + cold] / 3)


def test_text_gnn_export_is_bit_exact_with_the_golden_model(graph):
    sp, adj, text = graph["sp"], graph["adj"], graph["text"]
    torch.manual_seed(2)
    gnn = GNN(sp.n_users, sp.n_items, 64, 2, text=text)
    fixed = export_fixed(gnn, adj)
    with torch.no_grad():  # x0 is the text-aware layer 0, scaled into FEAT
        np.testing.assert_array_equal(fixed.x0_q, FEAT.quantize(gnn.layer0().double().numpy() * fixed.scale))
    with Accelerator("cpu") as acc:
        hu, hi = propagate_fixed(fixed, acc, acc.load_graph(graph["csr"], graph["norm"]))
    gu, gi = golden_propagation(fixed, graph["csr"], graph["norm"], sp.n_users)
    assert np.array_equal(hu, gu) and np.array_equal(hi, gi)
    with torch.no_grad():
        fu, fi = gnn(adj)
    float_ndcg = evaluate(lambda u: (fu[torch.from_numpy(u)] @ fi.T).numpy(), sp, graph["proto"])
    quant_ndcg = evaluate(lambda u: hu[u] @ hi.T, sp, graph["proto"])
    assert abs(quant_ndcg["overall"]["NDCG@10"] - float_ndcg["overall"]["NDCG@10"]) \
        <= 0.01 * float_ndcg["overall"]["NDCG@10"]


def test_review_pooled_text_uses_training_reviews_only():
    ds = tiny_dataset()
    proto = Protocol(seed=3)
    sp = split(ds, proto)
    calls = []

    def embed(texts, what):
        calls.append(what)
        return hashed_words(texts, dim=16)
    e_user, e_item = text_embeddings(ds, sp, proto, embed)
    assert calls == ["items", "users", "training reviews"]
    rows, texts = training_reviews(ds, sp)
    assert set(rows.tolist()) == set(sp.train_rows.tolist()) and texts == [ds.reviews[r] for r in rows]
    # an item's vector: the normalized mean of its training reviews' embeddings, by hand
    e_rev = hashed_words(texts, dim=16)
    for i in np.unique(ds.items[rows]):
        mean = e_rev[ds.items[rows] == i].mean(0)
        np.testing.assert_allclose(e_item[i], mean / np.linalg.norm(mean), rtol=1e-5, atol=1e-6)
    for u in np.unique(ds.users[rows]):
        mean = e_rev[ds.users[rows] == u].mean(0)
        np.testing.assert_allclose(e_user[u], mean / np.linalg.norm(mean), rtol=1e-5, atol=1e-6)
    # changing every held-out review changes nothing
    altered = tiny_dataset()
    for u, i in set(zip(*sp.test)) | set(zip(*sp.valid)):
        altered.reviews[np.flatnonzero((altered.users == u) & (altered.items == i))[0]] = "CHANGED"
    a_user, a_item = text_embeddings(altered, split(altered, proto), proto, embed)
    assert np.array_equal(a_user, e_user) and np.array_equal(a_item, e_item)


def hand_split():
    """101 items. User 0: train {0}, test {1}; user 1: train {3}, test {5}; user 2: train {6},
    valid {7}, test {8} -- only 98 unseen items, too few for 99 negatives."""
    t = lambda a: np.array(a, dtype=np.int64)  # noqa: E731
    return Split(3, 101, (t([0, 1, 2]), t([0, 3, 6])), (t([2]), t([7])), (t([0, 1, 2]), t([1, 5, 8])), t([0, 1, 2]))


def test_sampled_metric_hand_computed():
    # users 0 and 1 have exactly 99 unseen items, so the 99 negatives are all of them
    sp = hand_split()
    by_id = {0: np.arange(101.0), 1: -np.arange(101.0), 2: np.zeros(101)}
    res = sampled_metrics(lambda users: np.stack([by_id[u] for u in users]), sp, Protocol())
    assert res["user"].tolist() == [0, 1]
    # user 0 scores by id: all 99 negatives (2..100) beat item 1 -> rank 99, outside the top 10;
    # user 1 scores by minus id: negatives 0, 1, 2, 4 beat item 5 -> rank 4
    assert res["NDCG@10"].tolist() == [0.0, 1 / math.log2(4 + 2)] and res["HR@10"].tolist() == [0.0, 1.0]
    # ties: a constant scorer ranks the lower ids first -- user 0: none below item 1 is unseen
    # (item 0 is train) -> rank 0; user 1: 0, 1, 2, 4 -> rank 4
    flat = sampled_metrics(lambda users: np.zeros((len(users), 101)), sp, Protocol())
    assert flat["NDCG@10"].tolist() == [1.0, 1 / math.log2(6)]
    top3 = sampled_metrics(lambda users: np.stack([by_id[u] for u in users]), sp, Protocol(), k=3)
    assert top3["HR@3"].tolist() == [0.0, 0.0]


@pytest.mark.skipif(not (SHARED / "ml-100k" / "u.data").exists(), reason="../shared/data/ml-100k not present")
def test_movielens_100k_real_files():
    ds = load("ml-100k", str(SHARED / "ml-100k"))
    assert (ds.n_users, ds.n_items, len(ds.users)) == (943, 1682, 100000)
    assert ds.item_titles[ds.item_ids.index("1")] == "Toy Story (1995)"
    assert "Animation" in ds.item_attributes[ds.item_ids.index("1")] and ds.user_profiles[0].count(",") == 2


AMAZON = SHARED / "amazon-musical-instruments" / "reviews_Musical_Instruments_5.json.gz"


@pytest.mark.skipif(not AMAZON.exists(), reason="../shared/data/amazon-musical-instruments not present")
def test_amazon_real_file_has_summary_and_review_text():
    ds = load("amazon", str(AMAZON))
    assert (ds.n_users, ds.n_items, len(ds.users)) == (1429, 900, 10261)
    assert ds.reviews[0].startswith("good. Not much to write about here")
    sp = split(ds, Protocol())
    rows, texts = training_reviews(ds, sp)
    assert len(rows) == len(sp.train[0]) and all(texts)
