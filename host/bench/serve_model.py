"""python -m host.bench.serve_model: an ML-1M-scale recommender for the serving benchmarks in seconds
instead of a training run (docs/SERVING.md).

What a request costs depends on the shapes and the graph, not on the trained weights: this saves
the `default-1m` training graph (the protocol's split, seed 2024: 6,040 users, 3,706 items,
448,015 training pairs; train + valid items excluded per user, as a trained pipeline saves them)
with an *untrained* model of the shapes `python -m host.rec --data default-1m` serves (LightGCN,
2 layers, F = 64; the hybrid head with hidden 64, text projection 64, degree buckets (5, 20);
384-d text embeddings drawn at random, the all-MiniLM-L6-v2 width). Its recommendations are
meaningless; its request path is the trained model's, call for call and shape for shape.
"""
from __future__ import annotations

import argparse
import pathlib


def build(out: pathlib.Path, seed: int = 1, layers: int = 2, dim: int = 64, text_dim: int = 384) -> pathlib.Path:
    import numpy as np
    import torch

    from host.driver import Accelerator
    from host.rec import data
    from host.rec.model import GNN, FusionHead, sparse_adjacency, unified_graph
    from host.rec.protocol import Protocol, split
    from host.rec.quant import export_fixed
    from host.rec.serve import OnlineGNN, OnlineRecommender
    from host.rec.train import TrainConfig

    tc = TrainConfig()
    ds = data.load("default-1m")
    sp = split(ds, Protocol())
    graph = sp.graph()
    torch.manual_seed(seed)
    gnn = GNN(graph.n_users, graph.n_items, dim, layers, "lightgcn")
    csr, norm = unified_graph(graph)
    fixed = export_fixed(gnn, sparse_adjacency(csr, norm))
    e_user, e_item = torch.randn(graph.n_users, text_dim), torch.randn(graph.n_items, text_dim)
    head = FusionHead(dim, text_dim, hidden=tc.head_hidden, proj=64, degree_bounds=tc.degree_bounds)
    (tu, ti), (vu, vi) = sp.train, sp.valid
    order_t, order_v = np.argsort(tu, kind="stable"), np.argsort(vu, kind="stable")
    t_split = np.split(ti[order_t], np.cumsum(np.bincount(tu, minlength=graph.n_users))[:-1])
    v_split = np.split(vi[order_v], np.cumsum(np.bincount(vu, minlength=graph.n_users))[:-1])
    known = [np.unique(np.concatenate([a, b])) for a, b in zip(t_split, v_split)]
    out.parent.mkdir(parents=True, exist_ok=True)
    with Accelerator("cpu") as acc:
        rec = OnlineRecommender(OnlineGNN(acc, fixed, graph), head, e_user, e_item, known, list(ds.item_titles),
                                ds.user_ids, ds.item_ids)
        rec.save(out)
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m host.bench.serve_model", description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="results/serve-1m-shape/recommender.pt")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    path = build(pathlib.Path(args.out), args.seed)
    print(f"wrote {path} (default-1m training graph, untrained model of the served shapes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
