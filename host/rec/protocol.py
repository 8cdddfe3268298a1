"""The evaluation protocol: implicit feedback, per-user split, candidate sets, slices, and the
texts the models may see -- all derived from the training part only.

`Protocol.describe()` is printed with every result table.
"""
from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from golden.graph import BipartiteGraph

from .data import Dataset


USER_TEXT_SOURCES = {
    "profile-else-history": "profile fields where the user has them, else the most recent training items",
    "profile+history": "profile fields (where present) + the most recent training items",
}


@dataclasses.dataclass(frozen=True)
class Protocol:
    threshold: float | None = None  # rating >= threshold is a positive; None: the data set's default
    seed: int = 2024
    valid_frac: float = 0.1
    test_frac: float = 0.1
    cold: int = 5                   # cold-start: <= this many training interactions
    ks: tuple[int, ...] = (10, 20)
    user_text_items: int = 12       # training items listed in a user's text
    # What a user's text says. "profile-else-history": the profile alone where the user has one,
    # the most recent training items only where not. The items are what the graph already sees;
    # listed next to the profile they dominate the text, and the text head learns little the
    # graph does not know (valid cold users and overall were better profile-only, docs/RESULTS.md).
    # "profile+history": both.
    user_text: str = "profile-else-history"

    def __post_init__(self):
        if self.user_text not in USER_TEXT_SOURCES:
            raise ValueError(f"user_text must be one of {list(USER_TEXT_SOURCES)}, got {self.user_text!r}")

    def describe(self, dataset: Dataset | None = None) -> str:
        thr = self.threshold if self.threshold is not None or dataset is None else dataset.default_threshold
        return "\n".join([
            f"Protocol: implicit feedback rating >= {thr if thr is not None else 'data-set default'}; "
            f"repeated (user, item) pairs merged.",
            f"  Per-user random split, seed {self.seed}: test = max(1, round({self.test_frac:g} n)) of a "
            f"user's n positives (n >= 2), valid = max(1, round({self.valid_frac:g} n)) (n >= 3), rest train.",
            "  Full ranking: test ranks every item not in the user's train or valid set; valid ranks "
            "every item not in train.",
            f"  Metrics: Precision/Recall/NDCG@{', @'.join(map(str, self.ks))}, mean over users with >= 1 "
            "relevant test item.",
            f"  Slices: cold items = test interactions whose item has <= {self.cold} train interactions, "
            "ranked among all such cold items (item cold start); cold users = users with "
            f"<= {self.cold} train interactions, full ranking.",
            "  Graph, item texts (reviews), user texts and user profiles are built from train only.",
            f"  User text: {USER_TEXT_SOURCES[self.user_text]}.",
        ])


@dataclasses.dataclass
class Split:
    n_users: int
    n_items: int
    train: tuple[np.ndarray, np.ndarray]  # (users, items) of positive pairs
    valid: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    train_rows: np.ndarray                # dataset row of each train pair (for reviews and times)

    def graph(self) -> BipartiteGraph:
        return BipartiteGraph(self.n_users, self.n_items, *self.train)

    def item_train_count(self) -> np.ndarray:
        return np.bincount(self.train[1], minlength=self.n_items)

    def user_train_count(self) -> np.ndarray:
        return np.bincount(self.train[0], minlength=self.n_users)

    def per_user(self, part: str) -> list[np.ndarray]:
        """Items of each user in 'train', 'valid' or 'test', sorted."""
        users, items = getattr(self, part)
        order = np.lexsort((items, users))
        bounds = np.searchsorted(users[order], np.arange(self.n_users + 1))
        return np.split(items[order], bounds[1:-1])


def split(dataset: Dataset, protocol: Protocol) -> Split:
    thr = dataset.default_threshold if protocol.threshold is None else protocol.threshold
    rows = np.flatnonzero(dataset.ratings >= thr)
    # merge repeated pairs, keeping the first row of each
    key = dataset.users[rows] * dataset.n_items + dataset.items[rows]
    _, first = np.unique(key, return_index=True)
    rows = rows[np.sort(first)]
    users = dataset.users[rows]
    rng = np.random.default_rng(protocol.seed)
    order = np.lexsort((rng.random(len(rows)), users))  # random order within each user
    rows, users = rows[order], users[order]
    counts = np.bincount(users, minlength=dataset.n_users)
    start = np.concatenate([[0], np.cumsum(counts)])[users]
    rank = np.arange(len(rows)) - start                  # position within the user's shuffled list
    n = counts[users]
    n_test = np.where(n >= 2, np.maximum(1, np.round(protocol.test_frac * n)), 0)
    n_valid = np.where(n >= 3, np.maximum(1, np.round(protocol.valid_frac * n)), 0)
    part = np.where(rank < n_test, 2, np.where(rank < n_test + n_valid, 1, 0))
    pairs = lambda p: (dataset.users[rows[part == p]], dataset.items[rows[part == p]])  # noqa: E731
    return Split(dataset.n_users, dataset.n_items, pairs(0), pairs(1), pairs(2), rows[part == 0])


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")


def item_texts(dataset: Dataset, sp: Split, reviews_per_item: int = 2) -> list[str]:
    """Title + attributes (+ up to `reviews_per_item` review snippets of *training* interactions)."""
    texts = [f"{t}. {a}" if a else t for t, a in zip(dataset.item_titles, dataset.item_attributes)]
    if dataset.reviews is not None:
        snippets: list[list[str]] = [[] for _ in range(dataset.n_items)]
        for row in sp.train_rows:
            bucket = snippets[dataset.items[row]]
            if len(bucket) < reviews_per_item and dataset.reviews[row]:
                bucket.append(dataset.reviews[row])
        texts = [f"{t}. Reviews: {' | '.join(s)}" if s else t for t, s in zip(texts, snippets)]
    return texts


def user_texts(dataset: Dataset, sp: Split, protocol: Protocol) -> list[str]:
    """Per `protocol.user_text`: profile fields (when the data set has them) and/or the most
    recent training items, each as its title and the first sentence of its attributes. Nothing
    from valid or test."""
    times = dataset.timestamps[sp.train_rows]
    users, items = sp.train
    order = np.lexsort((-times, users))  # per user, most recent first
    liked: list[list[str]] = [[] for _ in range(dataset.n_users)]
    for u, i in zip(users[order], items[order]):
        if len(liked[u]) < protocol.user_text_items:
            attr = _first_sentence(dataset.item_attributes[i])
            liked[u].append(f"{dataset.item_titles[i]}" + (f" ({attr})" if attr else ""))
    profiles = dataset.user_profiles or [""] * dataset.n_users
    out = []
    for profile, items_ in zip(profiles, liked):
        if profile and protocol.user_text == "profile-else-history":
            out.append(f"User: {profile}.")
            continue
        parts = ([f"User: {profile}."] if profile else []) + (
            [f"Liked: {'; '.join(items_)}."] if items_ else ["No ratings yet."])
        out.append(" ".join(parts))
    return out


def training_reviews(dataset: Dataset, sp: Split) -> tuple[np.ndarray, list[str]]:
    """The dataset rows of the training interactions that have review text, and those texts."""
    if dataset.reviews is None:
        return np.zeros(0, dtype=np.int64), []
    rows = np.array([r for r in sp.train_rows if dataset.reviews[r]], dtype=np.int64)
    return rows, [dataset.reviews[r] for r in rows]


def text_embeddings(dataset: Dataset, sp: Split, protocol: Protocol,
                    embed: Callable[[list[str], str], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(user, item) text embeddings, float32 unit rows, from `embed(texts, what)` (host.rec.embed).

    Without reviews: the embeddings of item_texts and user_texts. With reviews (Amazon, Yelp),
    each training review ("summary. text") is embedded on its own and a node's vector is the
    normalized mean over its training reviews -- an item's reviews by its training users, a
    user's own training reviews -- so every review counts and none is cut to fit one encoder
    window; a node without training reviews (a cold item or user) keeps its title/profile text.
    Valid and test reviews are never read."""
    e_item = embed(item_texts(dataset, sp, reviews_per_item=0), "items")
    e_user = embed(user_texts(dataset, sp, protocol), "users")
    rows, texts = training_reviews(dataset, sp)
    if len(rows):
        e_review = embed(texts, "training reviews")
        for e, owner in ((e_item, dataset.items[rows]), (e_user, dataset.users[rows])):
            sums = np.zeros_like(e)
            np.add.at(sums, owner, e_review)
            has = np.bincount(owner, minlength=len(e)) > 0
            e[has] = sums[has] / np.linalg.norm(sums[has], axis=1, keepdims=True)
    return e_user.astype(np.float32), e_item.astype(np.float32)
