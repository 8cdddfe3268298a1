"""Top-K ranking metrics with full ranking, overall and on the cold-start slices.

A scorer is `score(users: int64[B]) -> float[B, n_items]` (higher is better). Ties are broken by
the lower item id, so results are deterministic.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
from tqdm import tqdm

from .protocol import Protocol, Split

SLICES = ("overall", "cold_items", "cold_users")
Scorer = Callable[[np.ndarray], np.ndarray]


def top_k(scores: np.ndarray, exclude: np.ndarray, k: int, inplace: bool = False) -> np.ndarray:
    """The k best items, best first, ties broken by the lower item id -- the one ranking rule of
    evaluation and serving.

    2-D `scores` [B, n_items] with a boolean `exclude` mask of the same shape (evaluation): every
    row is ranked in full, so excluded items come last; returns [B, min(k, n_items)].
    1-D `scores` [n_items] with `exclude` item ids (a request): an argpartition, then a sort of
    the k candidates only; returns at most k ids, none of them excluded. `inplace` lets it write
    -inf into `scores` (a float array) instead of copying it."""
    if scores.ndim == 2:
        s = np.where(exclude, -np.inf, scores.astype(np.float64))
        ids = np.broadcast_to(np.arange(s.shape[1]), s.shape)
        return np.lexsort((ids, -s), axis=-1)[:, :min(k, s.shape[1])]
    s = scores if inplace else np.array(scores, dtype=np.result_type(scores.dtype, np.float32))
    s[exclude] = -np.inf
    if len(s) - len(exclude) < k:  # fewer than k candidates may be left (exclude may repeat)
        k = min(k, len(s) - len(np.unique(exclude)))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    cand = np.argpartition(s, len(s) - k)[len(s) - k:]
    kth = s[cand].min()
    cand = np.flatnonzero(s >= kth)  # every item tied with the k-th, so ties break by index
    return cand[np.lexsort((cand, -s[cand]))][:k]


def ranking_metrics(top: np.ndarray, relevant: np.ndarray, ks) -> dict[str, np.ndarray]:
    """Per-row metrics. `top` [B, >=max(ks)] ranked item ids, `relevant` bool [B, n_items].
    Rows with no relevant item get NaN (left out of means)."""
    n_rel = relevant.sum(axis=1).astype(np.float64)
    hit = np.take_along_axis(relevant, top, 1).astype(np.float64)
    discount = 1.0 / np.log2(np.arange(2, top.shape[1] + 2))
    out = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for k in ks:
            hits = hit[:, :k].sum(axis=1)
            ideal = np.array([discount[:int(min(n, k))].sum() for n in n_rel])
            valid = n_rel > 0
            out[f"P@{k}"] = np.where(valid, hits / k, np.nan)
            out[f"R@{k}"] = np.where(valid, hits / n_rel, np.nan)
            out[f"NDCG@{k}"] = np.where(valid, (hit[:, :k] * discount[:k]).sum(axis=1) / ideal, np.nan)
    return out


def per_user_metrics(score: Scorer, sp: Split, protocol: Protocol, stage: str = "test",
                     batch: int = 128, progress: str | None = None) -> dict:
    """Per-user metrics per slice: {slice: {"user": int64 ids, metric: float values}}, only the
    users with >= 1 relevant item in the slice (cold slices only for test)."""
    if stage not in ("valid", "test"):
        raise ValueError(f"stage must be valid or test, got {stage!r}")
    known = sp.per_user("train")
    if stage == "test":
        valid = sp.per_user("valid")
        known = [np.concatenate([a, b]) for a, b in zip(known, valid)]
    target = sp.per_user(stage)
    users = np.flatnonzero([len(t) for t in target])
    cold_item = sp.item_train_count() <= protocol.cold
    cold_user = sp.user_train_count() <= protocol.cold
    kmax = max(protocol.ks)
    sums: dict[str, dict[str, list]] = {s: {} for s in SLICES}
    for lo in tqdm(range(0, len(users), batch), desc=progress, disable=progress is None, leave=False):
        ub = users[lo:lo + batch]
        scores = np.asarray(score(ub), dtype=np.float64)
        exclude = np.zeros((len(ub), sp.n_items), dtype=bool)
        relevant = np.zeros_like(exclude)
        for r, u in enumerate(ub):
            exclude[r, known[u]] = True
            relevant[r, target[u]] = True
        slices = {"overall": (exclude, relevant)}
        if stage == "test":
            # item cold start: the user's cold test items ranked among the cold items only
            slices["cold_items"] = (exclude | ~cold_item[None, :], relevant & cold_item[None, :])
            slices["cold_users"] = (exclude, relevant & cold_user[ub][:, None])
        for name, (exc, rel) in slices.items():
            for metric, vals in ranking_metrics(top_k(scores, exc, kmax), rel, protocol.ks).items():
                sums[name].setdefault(metric, []).append(vals)
    result = {}
    for name, metrics in sums.items():
        if not metrics:
            continue
        values = {m: np.concatenate(v) for m, v in metrics.items()}
        counted = np.isfinite(next(iter(values.values())))  # users with a relevant item
        result[name] = {"user": users[counted], **{m: v[counted] for m, v in values.items()}}
    return result


def summarize(per_user: dict) -> dict:
    """Means of `per_user_metrics`: {slice: {metric: mean, "users": count}}."""
    return {name: {**{m: float(v.mean()) if len(v) else float("nan")
                      for m, v in values.items() if m != "user"}, "users": len(values["user"])}
            for name, values in per_user.items()}


def evaluate(score: Scorer, sp: Split, protocol: Protocol, stage: str = "test",
             batch: int = 128, progress: str | None = None) -> dict:
    """Metrics per slice: {slice: {metric: mean, "users": count}} (cold slices only for test)."""
    return summarize(per_user_metrics(score, sp, protocol, stage, batch, progress))


def paired_difference(a: dict, b: dict, slice_: str, metric: str = "NDCG@10") -> dict:
    """Mean and standard error of the per-user difference a - b of `metric` on `slice_`, from
    two `per_user_metrics` results of the same split (so the same users)."""
    ua, ub = a[slice_]["user"], b[slice_]["user"]
    if not np.array_equal(ua, ub):
        raise ValueError(f"the two results cover different users on {slice_}")
    diff = a[slice_][metric] - b[slice_][metric]
    se = float(diff.std(ddof=1) / np.sqrt(len(diff))) if len(diff) > 1 else float("nan")
    return {"mean": float(diff.mean()) if len(diff) else float("nan"), "se": se, "users": len(diff)}


def sampled_metrics(score: Scorer, sp: Split, protocol: Protocol, negatives: int = 99, k: int = 10,
                    seed: int = 0, batch: int = 128) -> dict:
    """The sampled protocol many papers report (not full ranking): each test positive (u, i) is
    ranked among `negatives` items drawn uniformly, without replacement, from the items u has no
    train, valid or test interaction with (one draw per user, shared by the user's test
    positives; the same draws for every scorer, given the same seed, so results pair up); NDCG@k = 1 / log2(rank + 2) when the positive's 0-based
    rank is below k (else 0), HR@k = [rank < k]. Ties rank the lower item id first, as in top_k.
    Per user: the mean over the user's test positives; returns {"user", f"NDCG@{k}", f"HR@{k}"}
    over users with a test item and enough unseen items (comparable to per_user_metrics' slices)."""
    rng = np.random.default_rng(seed)
    seen = [np.concatenate(p) for p in zip(sp.per_user("train"), sp.per_user("valid"), sp.per_user("test"))]
    target = sp.per_user("test")
    users = np.array([u for u in range(sp.n_users) if len(target[u]) and sp.n_items - len(seen[u]) >= negatives],
                     dtype=np.int64)
    ndcg, hr = np.zeros(len(users)), np.zeros(len(users))
    for lo in range(0, len(users), batch):
        ub = users[lo:lo + batch]
        scores = np.asarray(score(ub), dtype=np.float64)
        for r, u in enumerate(ub):
            unseen = np.setdiff1d(np.arange(sp.n_items), seen[u], assume_unique=False)
            neg = rng.choice(unseen, size=negatives, replace=False)
            s_neg = scores[r, neg]
            ranks = np.array([int((s_neg > scores[r, i]).sum() + ((s_neg == scores[r, i]) & (neg < i)).sum())
                              for i in target[u]])
            gain = np.where(ranks < k, 1.0 / np.log2(ranks + 2.0), 0.0)
            ndcg[lo + r], hr[lo + r] = gain.mean(), (ranks < k).mean()
    return {"user": users, f"NDCG@{k}": ndcg, f"HR@{k}": hr}
