"""Fuzzer of the serving path (host.rec.serve.OnlineRecommender): random requests, valid and not
(negative / too large / bool / float / None / string user ids, k <= 0, k = True, k beyond the
catalogue, numpy integers), made first one at a time, then all at once from many threads
through recommend() and recommendations() on one recommender (one HeadScorer, one Accelerator).
Every concurrent answer must equal the same request made alone: the same top-k ids and scores,
or the same ValueError message."""
from __future__ import annotations

import collections
import concurrent.futures

import numpy as np
import torch

from golden.graph import synthetic_bipartite
from host.driver import Accelerator
from host.rec.model import GNN, FusionHead, sparse_adjacency, unified_graph
from host.rec.quant import export_fixed
from host.rec.serve import OnlineGNN, OnlineRecommender


def recommender(acc, seed: int = 0, n_users: int = 60, n_items: int = 80, f: int = 16):
    graph = synthetic_bipartite(n_users, n_items, 600, seed=seed)
    torch.manual_seed(seed)
    gnn = GNN(graph.n_users, graph.n_items, f, 2, "lightgcn")
    csr, norm = unified_graph(graph)
    fixed = export_fixed(gnn, sparse_adjacency(csr, norm))
    e_user, e_item = torch.randn(graph.n_users, 8), torch.randn(graph.n_items, 8)
    head = FusionHead(f, 8, hidden=16, proj=8, degree_bounds=(3, 8))
    known = [graph.items[graph.users == u] for u in range(graph.n_users)]
    return OnlineRecommender(OnlineGNN(acc, fixed, graph), head, e_user, e_item, known)


def _request(rng, n_users, n_items):
    if rng.random() < 0.8:
        user = int(rng.integers(n_users))
        user = np.int64(user) if rng.random() < 0.2 else user
        k = int(rng.integers(1, n_items + 1)) if rng.random() < 0.2 else int(rng.integers(1, 15))
        return user, k
    bad_users = [-1, -n_users, n_users, n_users + 5, True, False, 1.0, None, "3", np.float64(2)]
    bad_ks = [0, -1, True, 2.5, None, n_items + 1, "10"]
    if rng.random() < 0.5:
        return bad_users[int(rng.integers(len(bad_users)))], int(rng.integers(1, 10))
    return int(rng.integers(n_users)), bad_ks[int(rng.integers(len(bad_ks)))]


def _answer(rec, req, api):
    """('ok', ids, scores) or ('error', type name, message) of one request."""
    user, k = req
    try:
        if api == "recommend":
            return "ok", tuple(int(i) for i in rec.recommend(user, k)), ()
        recs = rec.recommendations(user, k)
        return "ok", tuple(r.item for r in recs), tuple(r.score for r in recs)
    except ValueError as e:
        return "error", type(e).__name__, str(e)
    except Exception as e:  # noqa: BLE001 -- any other exception is a finding
        return "crash", type(e).__name__, str(e)


def run(n: int, seed: int = 0, threads: int = 16, backend: str = "cpu", **options) -> dict:
    torch.set_num_threads(1)
    stats = {"backend": backend, "threads": threads, "requests": n, "outcomes": collections.Counter(),
             "invalid_requests": 0, "failures": []}
    with Accelerator(backend, **options) as acc:
        rec = recommender(acc, seed)
        rng = np.random.default_rng(seed)
        reqs = [(_request(rng, rec.n_users, rec.n_items), "recommend" if rng.random() < 0.5 else "recommendations")
                for _ in range(n)]
        alone = [_answer(rec, r, api) for r, api in reqs]
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            together = list(pool.map(lambda ra: _answer(rec, *ra), reqs))
        for (req, api), a, b in zip(reqs, alone, together):
            if a[0] == "crash" or b[0] == "crash":
                outcome = "crash"
            elif a != b:
                outcome = "wrong"
            else:
                outcome = "ok" if a[0] == "ok" else "rejected"
            stats["invalid_requests"] += a[0] == "error"
            stats["outcomes"][outcome] += 1
            if outcome in ("wrong", "crash") and len(stats["failures"]) < 20:
                stats["failures"].append(f"{api}{req!r}: alone {a[:2]}, concurrent {b[:2]}")
        # valid requests must be served: a request in range that errs is a finding too
        for (req, api), a in zip(reqs, alone):
            user, k = req
            valid = (not isinstance(user, bool) and isinstance(user, (int, np.integer)) and 0 <= user < rec.n_users
                     and not isinstance(k, bool) and isinstance(k, (int, np.integer)) and 0 < k <= rec.n_items)
            if valid != (a[0] == "ok"):
                stats["outcomes"]["wrong"] += 1
                stats["failures"].append(f"{api}{req!r}: {'refused' if valid else 'served'} alone: {a[:3]}")
    stats["outcomes"] = dict(stats["outcomes"])
    return stats
