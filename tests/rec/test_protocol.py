"""Split, leakage, and the ranking metrics against hand-computed cases."""
import dataclasses
import math

import numpy as np
import pytest

from host.rec.data import Dataset
from host.rec.data.synthetic import generate_default
from host.rec.metrics import evaluate, paired_difference, per_user_metrics, ranking_metrics, top_k
from host.rec.model import unified_graph
from host.rec.protocol import Protocol, Split, item_texts, split, user_texts


def tiny_dataset(reviews: bool = True) -> Dataset:
    """User u rated items with ratings; titles are unique tokens so texts can be searched."""
    rng = np.random.default_rng(5)
    users, items, ratings = [], [], []
    for u, n in enumerate([10, 2, 1, 7, 20, 3]):
        chosen = rng.choice(30, size=n, replace=False)
        users += [u] * n
        items += chosen.tolist()
        ratings += [5.0] * n
    users += [0, 0]          # a repeated pair and a negative (rating 2): neither may count
    items += [items[0], 29 if 29 not in items[:10] else 28]
    ratings += [4.0, 2.0]
    n = len(users)
    return Dataset("tiny", np.array(users), np.array(items), np.array(ratings),
                   np.arange(n, dtype=np.int64), [f"TITLE{i}X" for i in range(30)],
                   [f"Genres: G{i % 3}" for i in range(30)], [f"profile {u}" for u in range(6)],
                   [f"REVIEW{r}Z" for r in range(n)] if reviews else None)


def test_split_sizes_and_disjointness():
    ds = tiny_dataset()
    sp = split(ds, Protocol(seed=1))
    per = {part: sp.per_user(part) for part in ("train", "valid", "test")}
    # n = 10 -> 1 test, 1 valid, 8 train; 2 -> 1, 0, 1; 1 -> 0, 0, 1; 20 -> 2, 2, 16; 3 -> 1, 1, 1
    expect = {0: (8, 1, 1), 1: (1, 0, 1), 2: (1, 0, 0), 3: (5, 1, 1), 4: (16, 2, 2), 5: (1, 1, 1)}
    for u, sizes in expect.items():
        assert tuple(len(per[p][u]) for p in ("train", "valid", "test")) == sizes
        allp = np.concatenate([per[p][u] for p in per])
        assert len(np.unique(allp)) == len(allp)  # disjoint
        positives = np.unique(ds.items[(ds.users == u) & (ds.ratings >= 4)])
        assert np.array_equal(np.sort(allp), positives)
    again = split(ds, Protocol(seed=1))
    assert all(np.array_equal(a, b) for a, b in zip(sp.test, again.test))
    other = split(ds, Protocol(seed=2))
    assert not all(np.array_equal(a, b) for a, b in zip(per["test"], other.per_user("test")))
    assert len(split(ds, Protocol(threshold=5.5)).train[0]) == 0


def test_no_leakage_into_graph_texts_or_profiles():
    ds = tiny_dataset()
    # the richest user text; "profile-else-history" is a part of it (the next test)
    proto = Protocol(seed=3, user_text="profile+history")
    sp = split(ds, proto)
    held_out = set(zip(*sp.test)) | set(zip(*sp.valid))
    train = set(zip(*sp.train))
    assert not held_out & train
    # graph: exactly the training pairs, both directions of the unified graph
    csr, _ = unified_graph(sp.graph())
    dst = csr.dst_of_edges()
    edges = {(int(d), int(s) - ds.n_users) for d, s in zip(dst, csr.col_idx) if d < ds.n_users}
    assert edges == {(int(u), int(i)) for u, i in train}
    # item texts: only reviews of training rows
    train_rows = set(sp.train_rows.tolist())
    texts = " ".join(item_texts(ds, sp, reviews_per_item=100))
    for row, review in enumerate(ds.reviews):
        assert (review in texts) == (row in train_rows)
    # user texts: only the user's training items, and every one of them (up to the limit)
    for u, text in enumerate(user_texts(ds, sp, proto)):
        mentioned = {i for i in range(ds.n_items) if f"TITLE{i}X" in text}
        train_items = set(sp.per_user("train")[u].tolist())
        assert mentioned <= train_items
        assert len(mentioned) == min(len(train_items), proto.user_text_items)
        assert text.startswith(f"User: profile {u}.")
    # and changing anything about held-out interactions changes nothing the models see
    altered = tiny_dataset()
    for u, i in held_out:
        row = np.flatnonzero((altered.users == u) & (altered.items == i))[0]
        altered.reviews[row] = "CHANGED"
        altered.timestamps[row] = 10 ** 9
    sp2 = split(altered, proto)
    assert item_texts(altered, sp2) == item_texts(ds, sp)
    assert user_texts(altered, sp2, proto) == user_texts(ds, sp, proto)


def test_profile_else_history_lists_training_items_only_without_a_profile():
    ds = tiny_dataset()
    ds.user_profiles[3] = ""  # a user the data set has no profile for
    proto = Protocol(seed=3, user_text="profile-else-history")
    sp = split(ds, proto)
    both = user_texts(ds, sp, dataclasses.replace(proto, user_text="profile+history"))
    for u, text in enumerate(user_texts(ds, sp, proto)):
        if u == 3:  # falls back to the training items, as "profile+history" lists them
            assert text == both[u] and "TITLE" in text
        else:
            assert text == f"User: profile {u}." and "TITLE" not in text
    no_profiles = dataclasses.replace(ds, user_profiles=None)
    assert user_texts(no_profiles, sp, proto) == user_texts(
        no_profiles, sp, dataclasses.replace(proto, user_text="profile+history"))
    with pytest.raises(ValueError, match="user_text"):
        Protocol(user_text="history")


def test_top_k_ties_and_exclusion():
    scores = np.array([[0.5, 0.9, 0.9, 0.1, 0.7], [1, 1, 1, 1, 1]])
    exclude = np.array([[False, False, False, False, True], [True, False, False, False, False]])
    assert top_k(scores, exclude, 3).tolist() == [[1, 2, 0], [1, 2, 3]]


def test_ranking_metrics_hand_computed():
    top = np.array([[1, 2, 0, 3], [4, 3, 2, 1], [0, 1, 2, 3]])
    relevant = np.zeros((3, 5), dtype=bool)
    relevant[0, [2, 3]] = True  # hits at ranks 2 and 4
    relevant[1, [4]] = True     # hit at rank 1
    m = ranking_metrics(top, relevant, (2, 4))
    d = [1 / math.log2(r + 1) for r in range(1, 5)]
    assert m["P@2"][:2].tolist() == [0.5, 0.5]
    assert m["R@2"][:2].tolist() == [0.5, 1.0]
    assert m["R@4"][:2].tolist() == [1.0, 1.0]
    assert m["NDCG@2"][0] == pytest.approx(d[1] / (d[0] + d[1]))
    assert m["NDCG@4"][0] == pytest.approx((d[1] + d[3]) / (d[0] + d[1]))
    assert m["NDCG@4"][1] == pytest.approx(1.0)
    assert all(np.isnan(m[k][2]) for k in m)  # no relevant item: left out of the means


def test_evaluate_slices_hand_computed():
    # 2 users, 6 items; item train counts: item 0 popular (7 > cold=5 is impossible with 2 users,
    # so use cold=0: items with no training interaction are cold)
    sp = Split(2, 6, train=(np.array([0, 0, 1]), np.array([0, 1, 0])),
               valid=(np.array([1]), np.array([5])), test=(np.array([0, 0, 1]), np.array([2, 3, 4])),
               train_rows=np.arange(3))
    proto = Protocol(cold=1, ks=(1, 2))
    # item train counts: [2, 1, 0, 0, 0, 0] -> cold (<= 1): items 1..5; user train counts [2, 1]
    scores = np.array([[9, 8, 1, 3, 2, 0], [9, 0, 5, 6, 4, 7]], dtype=float)
    res = evaluate(lambda u: scores[u], sp, proto, "test")
    # user 0 ranks (excluding train 0, 1): 3, 4, 2, 5 -> test {2, 3}: hit at 1; user 1 ranks
    # (excluding train 0 and valid 5): 3, 2, 4, 1 -> test {4}: no hit in top 2
    d = [1 / math.log2(r + 1) for r in range(1, 3)]
    assert res["overall"]["P@1"] == pytest.approx((1 + 0) / 2)
    assert res["overall"]["R@2"] == pytest.approx((0.5 + 0) / 2)
    assert res["overall"]["NDCG@2"] == pytest.approx((d[0] / (d[0] + d[1]) + 0) / 2)
    assert res["overall"]["users"] == 2
    # cold users (<= 1 train interaction): user 1 only
    assert res["cold_users"]["users"] == 1 and res["cold_users"]["R@2"] == 0.0
    # cold items: ranked among cold items only; all test items are cold here -> same as overall
    assert res["cold_items"]["NDCG@2"] == pytest.approx(res["overall"]["NDCG@2"])
    val = evaluate(lambda u: scores[u], sp, proto, "valid")
    assert set(val) == {"overall"} and val["overall"]["users"] == 1
    # user 1's valid item 5 ranks 2nd among non-train items {1..5}: 5? scores 7 -> order 5? no:
    # order by score: item 3 (6), item 5 (7) -> 5 first
    assert val["overall"]["P@1"] == 1.0


def test_cold_item_slice_ranks_among_cold_items_only():
    # train counts with cold=1: item 0 -> 1 (cold), item 1 -> 2 (warm), items 2, 3 -> 0 (cold)
    sp = Split(2, 4, train=(np.array([0, 1, 1]), np.array([0, 1, 1])),
               valid=(np.zeros(0, int), np.zeros(0, int)), test=(np.array([0]), np.array([3])),
               train_rows=np.arange(3))
    scores = np.array([[0.0, 5.0, 2.0, 3.0], [0.0] * 4])
    res = evaluate(lambda u: scores[u], sp, Protocol(cold=1, ks=(1,)), "test")
    assert res["overall"]["R@1"] == 0.0      # the warm item 1 wins the full ranking
    assert res["cold_items"]["R@1"] == 1.0   # among cold items {2, 3} the test item 3 wins
    assert res["cold_items"]["users"] == 1


def test_embedded_default_split_has_cold_slices():
    ds = generate_default(seed=1, n_users=150, n_items=300, mean_interactions=30)
    sp = split(ds, Protocol())
    assert (sp.item_train_count() <= 5).sum() > 20
    assert (sp.user_train_count() <= 5).sum() > 5


def test_paired_difference_hand_computed():
    users = np.array([0, 2, 3])
    a = {"overall": {"user": users, "NDCG@10": np.array([0.5, 0.25, 1.0])}}
    b = {"overall": {"user": users, "NDCG@10": np.array([0.25, 0.25, 0.25])}}
    diff = np.array([0.25, 0.0, 0.75])
    got = paired_difference(a, b, "overall")
    assert got["users"] == 3 and got["mean"] == pytest.approx(diff.mean())
    assert got["se"] == pytest.approx(np.std(diff, ddof=1) / math.sqrt(3))
    b["overall"]["user"] = np.array([0, 2, 4])
    with pytest.raises(ValueError, match="different users"):
        paired_difference(a, b, "overall")


def test_per_user_metrics_average_to_evaluate():
    ds = tiny_dataset()
    sp = split(ds, Protocol(seed=1))
    scores = np.random.default_rng(2).random((sp.n_users, sp.n_items))
    per_user = per_user_metrics(lambda u: scores[u], sp, Protocol(seed=1), "test")
    means = evaluate(lambda u: scores[u], sp, Protocol(seed=1), "test")
    for name, values in per_user.items():
        assert means[name]["users"] == len(values["user"])
        assert means[name]["NDCG@10"] == pytest.approx(values["NDCG@10"].mean())
