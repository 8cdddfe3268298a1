"""The hybrid GNN+LLM recommender end to end, every configuration side by side.

    python -m host.pipeline                       # embedded default, aggregation on the cpu backend
    python -m host.pipeline --backend sim         # ... on the cycle-accurate RTL simulation
    python -m host.pipeline --data ml-1m --path ~/data/ml-1m

Configurations (all on the same split, scored by the same full-ranking evaluation):
  Popularity          training interaction counts
  BPR-MF              matrix factorization, BPR loss
  GNN only            Eq. 1 LightGCN-style propagation (float), dot product
  LLM only            fusion head over [e_u | e_i] (MiniLM text embeddings)
  Hybrid (float)      fusion head over [h_u | e_u | h_i | e_i], h from the float GNN: starts as
                      g_b <h_u, h_i> + (LLM-only head), the graph weight g_b chosen on validation
                      per bucket b of user training degree, then fine-tuned with BPR (early
                      stopping keeps the start if fine-tuning does not help)
  Hybrid + quant.     the same head, h from the accelerator: FEAT x0 (and WGT W) through
                      host.driver.Accelerator layer by layer -- what the hardware computes

The table, and the paired per-user differences of NDCG@10 between the hybrid and its parts (mean
and standard error per slice), go to stdout and to <out>/results.md, <out>/results.json and a plot
<out>/results.png;
the Hybrid + quant. recommender is saved as <out>/recommender.pt for `python -m host.recommend`.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import pathlib
import time

import numpy as np
import torch

from .data import load
from .embed import DEFAULT_CACHE, embed_texts, load_encoder, resolve_device
from .metrics import paired_difference, per_user_metrics, summarize
from .model import (GNN, MF, FusionHead, export_fixed, hybrid_from_text_head, propagate_fixed,
                    sparse_adjacency, unified_graph)
from .protocol import USER_TEXT_SOURCES, Protocol, item_texts, split, user_texts
from .recommend import Recommender, format_recommendations
from .train import (Features, TrainConfig, choose_gnn_weight, head_scorer, train_embedding_model,
                    train_head)

PAIRED_COMPARISONS = [("Hybrid (float)", "GNN only"), ("Hybrid (float)", "LLM only")]
TABLE_COLUMNS = [("overall", "P@10"), ("overall", "R@10"), ("overall", "NDCG@10"), ("overall", "NDCG@20"),
                 ("cold_items", "R@10"), ("cold_items", "NDCG@10"), ("cold_users", "R@10"),
                 ("cold_users", "NDCG@10")]


def markdown_table(results: dict) -> str:
    head = "| configuration | " + " | ".join(
        f"{m}" if s == "overall" else f"{m} {s.replace('_', '-')}" for s, m in TABLE_COLUMNS) + " |"
    lines = [head, "|---" * (len(TABLE_COLUMNS) + 1) + "|"]
    for name, res in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{res[s][m]:.4f}" for s, m in TABLE_COLUMNS) + " |")
    any_res = next(iter(results.values()))
    lines.append("")
    lines.append("Users evaluated: " + ", ".join(f"{s} {any_res[s]['users']}" for s in any_res))
    return "\n".join(lines)


def paired_differences(per_user: dict) -> dict:
    """{"A - B": {slice: {mean, se, users}}}: per-user NDCG@10 differences of PAIRED_COMPARISONS."""
    return {f"{a} - {b}": {s: paired_difference(per_user[a], per_user[b], s) for s in per_user[a]}
            for a, b in PAIRED_COMPARISONS}


def paired_table(paired: dict) -> str:
    """Markdown: mean +- standard error of each paired difference per slice; '*' marks a mean
    more than two standard errors above zero."""
    slices = list(next(iter(paired.values())))
    lines = ["Paired per-user difference of NDCG@10 (mean +- standard error; * = mean > 2 SE):", "",
             "| difference | " + " | ".join(s.replace("_", " ") for s in slices) + " |",
             "|---" * (len(slices) + 1) + "|"]
    for name, by_slice in paired.items():
        cells = [f"{d['mean']:+.4f} +- {d['se']:.4f}{' *' if d['mean'] > 2 * d['se'] else ''}"
                 for d in by_slice.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_results(results: dict, title: str, path: pathlib.Path) -> None:
    """Grouped bars: NDCG@10 of every configuration, overall and on the cold-start slices."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    slices = [("overall", "overall"), ("cold_items", "cold items"), ("cold_users", "cold users")]
    names = list(results)
    width = 0.8 / len(names)
    fig, ax = plt.subplots(figsize=(9, 4))
    for k, name in enumerate(names):
        xs = np.arange(len(slices)) + (k - (len(names) - 1) / 2) * width
        ax.bar(xs, [results[name][s]["NDCG@10"] for s, _ in slices], width, label=name)
    ax.set_xticks(np.arange(len(slices)), [label for _, label in slices])
    ax.set_ylabel("NDCG@10")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def popularity_scorer(counts: np.ndarray):
    def score(users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(counts.astype(np.float64), (len(users), len(counts)))
    return score


@dataclasses.dataclass
class PipelineRun:
    """Everything one run trained, for callers that serve or benchmark it (host.bench)."""

    results: dict                # configuration -> metrics (the printed table)
    dataset: object              # host.data.Dataset
    split: object                # host.protocol.Split
    protocol: Protocol
    mf: MF
    gnn: GNN
    fixed: object                # host.model.FixedGNN: the GNN in the accelerator's formats
    llm: FusionHead
    hybrid: FusionHead
    e_user: torch.Tensor
    e_item: torch.Tensor
    known: list                  # per user: train + valid items (never recommended)


def run(args) -> PipelineRun:
    torch.set_num_threads(args.threads)
    t_start = time.time()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = TrainConfig(epochs=args.epochs, head_epochs=args.head_epochs, layers=args.layers,
                      seed=args.seed)
    ds = load(args.data, args.path, args.meta)
    proto = Protocol(threshold=args.threshold, seed=args.split_seed, user_text=args.user_text)
    sp = split(ds, proto)
    print(ds.summary())
    print(proto.describe(ds))
    n_cold_items = int((sp.item_train_count() <= proto.cold).sum())
    n_cold_users = int((sp.user_train_count() <= proto.cold).sum())
    print(f"Split: train {len(sp.train[0])}, valid {len(sp.valid[0])}, test {len(sp.test[0])} pairs; "
          f"{n_cold_items} cold items, {n_cold_users} cold users")

    device = resolve_device(args.device)
    print(f"== text embeddings ({device})")
    encoder = lambda: load_encoder(device)  # noqa: E731 -- loaded only on a cache miss
    e_item = torch.from_numpy(embed_texts(item_texts(ds, sp), what="items", encoder_factory=encoder,
                                          cache_dir=args.cache))
    e_user = torch.from_numpy(embed_texts(user_texts(ds, sp, proto), what="users",
                                          encoder_factory=encoder, cache_dir=args.cache))

    csr, norm = unified_graph(sp.graph())
    adj = sparse_adjacency(csr, norm)
    results: dict[str, dict] = {}
    per_user: dict[str, dict] = {}

    def report(name, scorer):
        per_user[name] = per_user_metrics(scorer, sp, proto, "test")
        results[name] = r = summarize(per_user[name])
        print(f"   {name}: NDCG@10 {r['overall']['NDCG@10']:.4f}, cold items {r['cold_items']['NDCG@10']:.4f}, "
              f"cold users {r['cold_users']['NDCG@10']:.4f}")

    print("== Popularity")
    report("Popularity", popularity_scorer(sp.item_train_count()))

    print("== BPR-MF")
    torch.manual_seed(cfg.seed)  # every model's initialization depends on the seed only
    mf = MF(sp.n_users, sp.n_items, cfg.dim)
    train_embedding_model(mf, None, sp, proto, cfg, "BPR-MF")
    report("BPR-MF", _dot_scorer(mf(None)))

    print(f"== GNN only ({args.style}, {cfg.layers} layers, F={cfg.dim}, float)")
    torch.manual_seed(cfg.seed)
    gnn = GNN(sp.n_users, sp.n_items, cfg.dim, cfg.layers, args.style)
    train_embedding_model(gnn, adj, sp, proto, cfg, f"GNN ({args.style})")
    with torch.no_grad():
        h_user, h_item = gnn(adj)
    report("GNN only", _dot_scorer((h_user, h_item)))

    print("== LLM only")
    torch.manual_seed(cfg.seed)
    text_feats = Features(None, None, e_user, e_item)
    llm = FusionHead(0, e_item.shape[1], cfg.head_hidden)
    train_head(llm, text_feats, sp, proto, cfg, sp.train, "LLM-only head")
    report("LLM only", head_scorer(llm, text_feats))

    print("== Hybrid (float): head over [h_u | e_u | h_i | e_i], started from the GNN and LLM parts")
    torch.manual_seed(cfg.seed)
    user_degree = torch.from_numpy(sp.user_train_count())
    hybrid_feats = Features(h_user, h_item, e_user, e_item, user_degree)
    hybrid = hybrid_from_text_head(llm, cfg.dim, degree_bounds=cfg.degree_bounds)
    balance, start = choose_gnn_weight(hybrid, hybrid_feats, sp, proto, cfg.gnn_weights)
    buckets = degree_bucket_names(cfg.degree_bounds)
    chosen_weights = hybrid.gnn_weight.tolist()
    for name, scores, chosen in zip(buckets, balance, chosen_weights):
        print(f"   users with {name} training items: graph weight g -> valid NDCG@10 "
              + ", ".join(f"{w:g}: {v:.4f}" for w, v in scores.items()) + f"; chosen g = {chosen:g}")
    best = train_head(hybrid, hybrid_feats, sp, proto, cfg, sp.train, "hybrid head fine-tuning",
                      epochs=cfg.hybrid_epochs)
    print(f"   fine-tuning: valid NDCG@10 {start:.4f} -> {best:.4f}"
          + (" (kept the starting point)" if best <= start else ""))
    report("Hybrid (float)", head_scorer(hybrid, hybrid_feats))

    from .driver import Accelerator
    print(f"== Hybrid + quantization: Eq. 1 on the accelerator, backend '{args.backend}'"
          + (" (cycle-accurate RTL simulation)" if args.backend == "sim" else ""))
    fixed = export_fixed(gnn, adj)
    print(f"   export: x0 scaled by {fixed.scale:.3f} into FEAT Q4.12 (peak |x| = 4 of the [-8, 8) range)")
    t0 = time.time()
    with Accelerator(args.backend) as acc:
        handle = acc.load_graph(csr, norm)
        hq_user, hq_item = propagate_fixed(fixed, acc, handle, progress=True)
        cycles = acc.status.cycles
    print(f"   {len(fixed.weights_q)} layers x ({csr.n_dst} nodes, {csr.n_edges} edges, F={cfg.dim}) "
          f"on '{args.backend}' in {time.time() - t0:.1f} s; last layer {cycles} cycles")
    quant_feats = Features(torch.from_numpy(hq_user).float(), torch.from_numpy(hq_item).float(), e_user, e_item,
                           user_degree)
    report("Hybrid + quant.", head_scorer(hybrid, quant_feats))

    table = markdown_table(results)
    paired = paired_differences(per_user)
    weights_line = "Hybrid graph weight g per user training degree, chosen on valid: " + ", ".join(
        f"{name}: {w:g}" for name, w in zip(buckets, chosen_weights))
    text = "\n".join([f"# {ds.name}", "", "```", proto.describe(ds), "```", "",
                      f"GNN: {args.style}, {cfg.layers} layers, F={cfg.dim}; "
                      f"accelerator backend: {args.backend}", "", table, "", paired_table(paired), "",
                      weights_line, ""])
    print("\n" + proto.describe(ds) + "\n\n" + table + "\n\n" + paired_table(paired) + "\n\n" + weights_line)
    (out / "results.md").write_text(text)
    plot_results(results, f"{ds.name}: NDCG@10 (Eq. 1 on backend '{args.backend}')", out / "results.png")
    (out / "results.json").write_text(json.dumps({
        "dataset": ds.name, "protocol": dataclasses.asdict(proto), "protocol_text": proto.describe(ds),
        "train_config": dataclasses.asdict(cfg), "style": args.style, "backend": args.backend,
        "results": results, "paired_ndcg10": paired,
        "hybrid_gnn_weight": {"buckets": buckets, "chosen_on_valid": chosen_weights,
                              "after_fine_tuning": hybrid.gnn_weight.tolist(), "valid_ndcg10": balance}},
        indent=2))
    labels = [f"{t} [{a.split('. ')[0]}]" if a else t for t, a in zip(ds.item_titles, ds.item_attributes)]
    rec = Recommender(hybrid, quant_feats, labels,
                      [np.concatenate(p) for p in zip(sp.per_user("train"), sp.per_user("valid"))])
    rec.save(out / "recommender.pt")
    print(f"\nSaved {out / 'results.md'}, {out / 'results.json'}, {out / 'results.png'}, "
          f"{out / 'recommender.pt'}")

    counts = sp.user_train_count()
    cold = np.flatnonzero((counts > 0) & (counts <= proto.cold))
    samples = [int(np.argmax(counts))] + ([int(cold[0])] if len(cold) else [])
    print("\nSample recommendations (Hybrid + quant.):")
    for u in samples:
        liked = [labels[i] for i in sp.per_user("train")[u][:3]]
        print(f"(user {u}: {counts[u]} training items, e.g. {'; '.join(liked)})")
        print(format_recommendations(u, rec.recommend(u, 10)))
    print(f"\nTotal {time.time() - t_start:.0f} s")
    return PipelineRun(results, ds, sp, proto, mf, gnn, fixed, llm, hybrid, e_user, e_item, rec.known)


def degree_bucket_names(bounds) -> list[str]:
    """'<= 5', '6-20', '> 20' for bounds (5, 20)."""
    if not bounds:
        return ["any"]
    return [f"<= {bounds[0]}"] + [f"{lo + 1}-{hi}" for lo, hi in zip(bounds, bounds[1:])] + [f"> {bounds[-1]}"]


def _dot_scorer(embeddings):
    u, i = (e.detach() for e in embeddings)

    def score(users: np.ndarray) -> np.ndarray:
        return (u[torch.from_numpy(users)] @ i.T).numpy()
    return score


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="default",
                    help="default (generated, ML-100K-sized) | default-1m (generated, ML-1M-sized) | "
                         "ml-1m | ml-100k | amazon | yelp")
    ap.add_argument("--path", help="data directory (MovieLens) or review file (Amazon, Yelp)")
    ap.add_argument("--meta", help="Amazon metadata file / Yelp business.json")
    ap.add_argument("--threshold", type=float, help="implicit feedback: rating >= threshold (default: data set's)")
    ap.add_argument("--user-text", default=Protocol.user_text, choices=tuple(USER_TEXT_SOURCES),
                    help="what a user's text says (host.protocol.Protocol.user_text)")
    ap.add_argument("--backend", default="cpu", help="accelerator backend: cpu | sim | board")
    ap.add_argument("--style", default="lightgcn", choices=("lightgcn", "gcn"))
    ap.add_argument("--layers", type=int, default=TrainConfig.layers)
    ap.add_argument("--epochs", type=int, default=TrainConfig.epochs)
    ap.add_argument("--head-epochs", type=int, default=TrainConfig.head_epochs)
    ap.add_argument("--device", default="auto", help="text encoder device: auto | cpu | cuda")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--out", default="results/pipeline")
    ap.add_argument("--seed", type=int, default=TrainConfig.seed)
    ap.add_argument("--split-seed", type=int, default=Protocol.seed)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 is fastest for these small models on a shared machine)")
    return ap.parse_args(argv)


def main(argv=None) -> None:
    run(parse_args(argv))


if __name__ == "__main__":
    main()
