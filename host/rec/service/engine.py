"""One accelerator worker's model: a batch of requests scored as one accelerator call and one head
evaluation (host.rec.serve's OnlineRecommender underneath, unchanged).

A request is a `Query`: the user's training index (None for a user the model has not seen), the
user's current item row (training neighbours + interactions stored since, uint32 item indices),
the items never to recommend (train + valid + stored) and k. `Engine.run(queries)` serves B of
them:

    accelerator  one B-row request graph, one call per layer group (OnlineGNN.user_layers): the
                 same integer rows as B single calls, because the kernel's sums are exact
    head         the hidden layer w2 . relu(first + a), a = A_h h + [A_e e + b1], one user at a
                 time over an [n_items, H] buffer that stays in cache (a [B, n_items, H] buffer
                 was slower per user than B = 1), as w2 . max(first, -a) + w2 . a (one pass over
                 the items; the constant rides with the output bias); the item half `first` and
                 every training user's text half A_e e + b1 (and P e) are tables made once per
                 model, so a request computes only A_h h; the dot terms (g h_u . h_i,
                 P e_u . P e_i, the bias) as one matrix-vector product per user (NumPy's OpenBLAS
                 on a [D+1, n_items] table, one thread); gemm=True makes the batch's dot terms
                 one [B, D+1] x [D+1, n_items] matrix product at the price of bit-identity
    rank         top_k per row (host.rec.metrics.top_k, the one ranking rule; a whole-batch
                 version, argpartition along rows, was 1.3-2.5x slower per row at B = 1..32)

Every per-user number is made by the same calls on the same data whatever B is (the batch only
shares the accelerator call, whose integer sums are exact), so a user's scores in a batch are
bit-identical to the same user served alone (B = 1); tests/rec/test_service_engine.py checks it
for every B up to the batch limit, and that the graph rows are the offline ones.

Cold start: a user the model has not seen gets x^(0) = 0, the mean training user text embedding
and a row from their stored items on the accelerator; with no items at all, the most popular
training items (by training degree).
"""
from __future__ import annotations

import dataclasses
import threading
import time

import numpy as np
import torch

from ..metrics import top_k
from ..quant import combine_layers
from ..serve import OnlineRecommender, RequestTiming

#: gemm=True: the dot terms' matrix product always has at least this many rows (zeros padded):
#: products of 1-3 rows take a matrix-vector path that rounds differently; from 4 rows on the rows
#: agreed in isolated tests, but inside the service a row still came out 2 ulp off now and then
#: (the BLAS's blocking / threading is not ours to fix), so gemm=False is the default
MIN_GEMM_ROWS = 4


@dataclasses.dataclass
class Query:
    k: int
    index: int | None          # the model's user index; None: a user the model has not seen
    items: np.ndarray          # uint32 item indices of the user's row (train + stored)
    exclude: np.ndarray        # item indices never recommended to this user


@dataclasses.dataclass
class Result:
    items: np.ndarray          # item indices, best first
    scores: np.ndarray         # float scores of those items
    strategy: str              # "graph" (accelerator row + head) | "popularity" (cold start, no items)


@dataclasses.dataclass
class BatchTiming(RequestTiming):
    """RequestTiming of one batch (its parts summed over the batch), with its size and total time."""

    size: int = 0
    total_s: float = 0.0


_BLAS_LIMIT = []


def single_threaded() -> None:
    """torch and NumPy's BLAS on one thread each, for the whole process (a worker is one thread:
    the workers are the parallelism). Also the same BLAS code path for every call, so a row's
    matrix-vector product never depends on how many threads the library happened to use."""
    torch.set_num_threads(1)
    if not _BLAS_LIMIT:
        from threadpoolctl import threadpool_limits
        _BLAS_LIMIT.append(threadpool_limits(1, user_api="blas"))


class Engine:
    """Batch scoring over one OnlineRecommender (one Accelerator). One batch at a time (a lock):
    a worker owns its engine."""

    def __init__(self, rec: OnlineRecommender, max_batch: int = 64, gemm: bool = False):
        single_threaded()
        self.rec, self.max_batch, self.gemm = rec, max_batch, gemm
        sc = rec.scorer
        self.scorer = sc
        self.e_mean = rec.e_user_np.mean(axis=0).astype(np.float32) if rec.e_user_np.size else \
            np.zeros(sc.text_dim, np.float32)
        self.x0_zero = np.zeros_like(rec.gnn.fixed.x0_q[0])
        degree = np.asarray(rec.gnn.item_degree, np.float64)
        self.popular = np.lexsort((np.arange(rec.n_items), -degree))  # most interactions first, ties by id
        self.popularity = degree
        self.dots_t = sc.dots.t().contiguous()   # [D + 1, n_items]
        self.dots_t_np = self.dots_t.numpy()     # the same table for NumPy's (OpenBLAS) matrix-vector product
        self.w2_np = sc.w2.numpy()
        # the user's text half of the head, made once per model: A_e e_u + b1 and P e_u of every
        # training user (row n_users: the cold-start user, e = the mean training user); a request
        # adds only its graph half A_h h_u. A table row is the same bits whatever the batch
        n_users = rec.e_user_np.shape[0]
        e_all = np.vstack([rec.e_user_np.astype(np.float32), self.e_mean[None]]) if sc.text_dim else None
        self.text_first = (e_all @ sc.w_e.T + sc.b1).astype(np.float32) if sc.text_dim else \
            np.broadcast_to(sc.b1, (n_users + 1, len(sc.b1)))
        self.text_proj = (e_all @ sc.proj.T).astype(np.float32) if sc.proj is not None else None
        self.cold_row = n_users
        self._vec = self._hidden = None
        self._lock = threading.Lock()

    @property
    def n_items(self) -> int:
        return self.rec.n_items

    def run(self, queries: list[Query]) -> tuple[list[Result], BatchTiming]:
        with self._lock, torch.inference_mode():
            return self._run(queries)

    def _run(self, queries):
        t_start = time.perf_counter()
        bt = BatchTiming(size=len(queries))
        results: list[Result | None] = [None] * len(queries)
        graph = []  # the queries with a graph row; the others get popularity
        for j, q in enumerate(queries):
            if q.index is not None or len(q.items):
                graph.append(j)
            else:
                results[j] = self._popular(q)
        if graph:
            qs = [queries[j] for j in graph]
            h = self.user_rows(qs, bt)
            t0 = time.perf_counter()
            scores = self.score(h, qs)
            t1 = time.perf_counter()
            for j, q, row in zip(graph, qs, scores):
                top = top_k(row, q.exclude, q.k, inplace=True)
                results[j] = Result(top, row[top].astype(np.float64), "graph")
            bt.head_s, bt.rank_s = t1 - t0, time.perf_counter() - t1
        bt.total_s = time.perf_counter() - t_start
        return results, bt

    def user_rows(self, queries: list[Query], timing: RequestTiming | None = None) -> np.ndarray:
        """float [B, F] graph embeddings: x^(0) of known users (0 for new ones), x^(1..L) of all B
        from one B-row request graph on the accelerator."""
        x0 = np.stack([self.rec.gnn.fixed.x0_q[q.index] if q.index is not None else self.x0_zero for q in queries])
        layers = [x0] + self.rec.gnn.user_layers([q.items for q in queries], timing)
        return combine_layers(layers, self.rec.gnn.fixed)

    def score(self, h: np.ndarray, queries: list[Query]) -> np.ndarray:
        """float32 [B, n_items] head scores of B users (the head over every item as one batch)."""
        sc, b = self.scorer, len(queries)
        n, hid = sc.first.shape
        d = sc.dots.shape[1]
        rows = np.fromiter((self.cold_row if q.index is None else q.index for q in queries), np.int64, b)
        a = self.text_first[rows]                 # [B, H]: the text half of the first layer, + b1
        vec = np.empty((b, d), np.float32)        # [B, D + 1]: the user's side of the dot terms
        vec[:, -1] = sc._bias
        k = 0
        if sc.gnn_dim:
            h32 = np.asarray(h, dtype=np.float32)
            for r in range(b):  # small matrix-vector products, per row: the same bits whatever B
                a[r] += sc.w_h @ h32[r]
            if sc.gnn_weight is not None:
                if len(sc.degree_bounds):
                    degree = np.fromiter((len(q.items) for q in queries), np.int64, b)
                    weight = sc.gnn_weight[np.searchsorted(sc.degree_bounds, degree, side="left")]
                else:
                    weight = np.full(b, sc.gnn_weight[0], np.float32)
                np.multiply(h32, weight[:, None], out=vec[:, :sc.gnn_dim])
                k = sc.gnn_dim
        if self.text_proj is not None:
            vec[:, k:k + self.text_proj.shape[1]] = self.text_proj[rows]
        # w2 . relu(first + a) = w2 . max(first, -a) + w2 . a: one elementwise pass over the items
        # instead of two (add, then ReLU); the per-user constant w2 . a rides with the output bias
        # in the dot terms' column of ones
        for r in range(b):
            vec[r, -1] = np.float32(sc._bias) + np.dot(a[r], self.w2_np)
        np.negative(a, out=a)
        scores = np.empty((b, n), np.float32)
        if self.gemm:  # the dot terms of the whole batch: one [m, D+1] x [D+1, n_items] matrix product
            m = max(b, MIN_GEMM_ROWS)
            if self._vec is None or self._vec.shape[0] < m:
                self._vec = torch.zeros(max(m, min(self.max_batch, 256)), d)
            v = self._vec[:m]
            v[:b] = torch.from_numpy(vec)
            v[b:] = 0
            scores[:] = torch.mm(v, self.dots_t)[:b].numpy()
        else:  # the same matrix-vector product per row as B = 1: the same bits whatever the batch
            for r in range(b):
                np.dot(vec[r], self.dots_t_np, out=scores[r])
        if self._hidden is None:
            self._hidden = torch.empty(n, hid)
            self._mlp = np.empty(n, np.float32)
        # the hidden layer, one user at a time over one [n_items, H] buffer that stays in cache
        # (a [B, n_items, H] buffer would not: it was slower per user than B = 1); torch for the
        # elementwise max, NumPy's OpenBLAS for the products (single-threaded: 3-4x torch.mv here)
        hidden, mlp, neg_a = self._hidden, self._mlp, torch.from_numpy(a)
        hidden_np = hidden.numpy()
        for r in range(b):
            torch.maximum(sc.first, neg_a[r], out=hidden)
            np.dot(hidden_np, self.w2_np, out=mlp)
            scores[r] += mlp
        return scores

    def _popular(self, q: Query) -> Result:
        order = self.popular
        if len(q.exclude):
            order = order[~np.isin(order, q.exclude)]
        top = order[:q.k]
        return Result(top, self.popularity[top], "popularity")
