"""A small saved recommender for the service tests: 60 users, 80 items, a LightGCN row of 16
features, a hybrid head with degree buckets and text terms (seeded, built in well under a second)."""
from __future__ import annotations

import numpy as np
import torch

from golden.graph import synthetic_bipartite

N_USERS, N_ITEMS = 60, 80
USER_IDS = [str(100 + u) for u in range(N_USERS)]     # the data set's own ids (MovieLens-like)
ITEM_IDS = [str(5000 + i) for i in range(N_ITEMS)]


def build_recommender(acc, seed: int = 0):
    from host.rec.model import GNN, FusionHead, sparse_adjacency, unified_graph
    from host.rec.quant import export_fixed
    from host.rec.serve import OnlineGNN, OnlineRecommender
    graph = synthetic_bipartite(N_USERS, N_ITEMS, 600, seed=seed + 3)
    torch.manual_seed(seed + 1)
    gnn = GNN(graph.n_users, graph.n_items, 16, 2, "lightgcn")
    csr, norm = unified_graph(graph)
    fixed = export_fixed(gnn, sparse_adjacency(csr, norm))
    e_user, e_item = torch.randn(N_USERS, 8), torch.randn(N_ITEMS, 8)
    head = FusionHead(16, 8, hidden=16, proj=8, degree_bounds=(5, 12))
    known = [np.unique(graph.items[graph.users == u]) for u in range(N_USERS)]
    titles = [f"Title {i}" for i in range(N_ITEMS)]
    return OnlineRecommender(OnlineGNN(acc, fixed, graph), head, e_user, e_item, known, titles, USER_IDS, ITEM_IDS)


def save_model(path, seed: int = 0):
    from host.driver import Accelerator
    with Accelerator("cpu") as acc:
        build_recommender(acc, seed).save(path)
    return path
