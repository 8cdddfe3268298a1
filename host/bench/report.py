"""The benchmark's report: the machine and tree it ran on, and the Markdown tables of every section."""
from __future__ import annotations

import os
import platform
from pathlib import Path

import numpy as np


def git_state() -> dict:
    """Commit of this tree and whether it has uncommitted changes (RTL included)."""
    import subprocess
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.split("\n")
    except (OSError, subprocess.CalledProcessError):
        return {}
    changed = [line[3:] for line in dirty if line.strip()]
    return {"commit": commit, "dirty": bool(changed),
            "rtl_dirty": any(p.startswith(("rtl/", "sim/")) for p in changed)}


def machine_info() -> dict:
    import torch
    from threadpoolctl import threadpool_info
    info = {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
            "numpy": np.__version__, "torch": torch.__version__, "torch_threads": torch.get_num_threads(),
            "blas_threads": {p["internal_api"]: p["num_threads"] for p in threadpool_info()},
            "load_average": os.getloadavg()}
    try:
        info["cpu_model"] = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                                 if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return info


def markdown_report(results: dict) -> str:
    lines = [f"# gnn_agg benchmark ({results['config']['label']})", ""]
    for layer in results["layers"]:
        lines += [f"## One Eq. 1 layer: {layer['graph']} ({layer['n_nodes']:,} nodes, "
                  f"{layer['n_edges']:,} edges, F={layer['feat_dim']})", "",
                  "| implementation | where | min ms | median ms |", "|---|---|---:|---:|"]
        for name, t in layer["cpu"].items():
            lines.append(f"| {name} | this CPU, measured | {t['min_ms']:.2f} | {t['median_ms']:.2f} |")
        for a in layer["accelerator"]:
            for clock, p in a["projected"].items():
                lines.append(f"| gnn_agg RTL, {a['gather']} gather, {a['board']} "
                             f"| **projected** from {a['cycles']:,} simulated cycles at {clock} "
                             f"(bandwidth bound {p['bandwidth_bound_ms']:.2f} ms) | {p['ms']:.2f} | {p['ms']:.2f} |")
        if layer["accelerator"]:
            lines += ["", "| board | gather | cycles | edges/cycle | read-bus util. | cycles / bound | bit-exact |",
                      "|---|---|---:|---:|---:|---:|---|"]
            for a in layer["accelerator"]:
                lines.append(f"| {a['board']} | {a['gather']} | {a['cycles']:,} | {a['edges_per_cycle']:.3f} | "
                             f"{a['read_bus_utilization']:.2f} | {a['cycles_over_bound']:.3f} | {a['bit_exact']} |")
        lines.append("")
    sc = results.get("scaling")
    if sc:
        for key, title in (("edges", "graph size"), ("feat_dim", "feature dim")):
            pts = sc[key]
            if not pts:
                continue
            names = list(pts[0]["cpu_ms"])
            acc = "cycles" in pts[0]
            lines += [f"## Scaling with {title} (ML-1M-shaped synthetic, min of repeats)", "",
                      "| edges | F | " + " | ".join(f"{n} ms" for n in names)
                      + (f" | gnn_agg {pts[0]['board']} cycles | projected ms |" if acc else " |"),
                      "|---:|---:|" + "---:|" * len(names) + ("---:|---:|" if acc else "")]
            for p in pts:
                lines.append(f"| {p['n_edges']:,} | {p['feat_dim']} | "
                             + " | ".join(f"{p['cpu_ms'][n]:.3f}" for n in names)
                             + (f" | {p['cycles']:,} | {p['projected_ms']:.3f} |" if acc else " |"))
            lines.append("")
    req = results.get("requests")
    if req:
        cfg = results["config"]
        epochs = ("epochs", "head_epochs", "hybrid_epochs")
        short = (f" (models trained {cfg['epochs'] or 'default'} epochs, head {cfg['head_epochs'] or 'default'}, "
                 f"hybrid fine-tuning {cfg.get('hybrid_epochs') or 'default'}: short training, accuracy below a "
                 "full run's)" if any(cfg.get(k) for k in epochs) else "")
        lines += [f"## Online requests: {req['dataset']} ({req['n_users']:,} users, {req['n_items']:,} items, "
                  f"{req['n_train_interactions']:,} training interactions), {req['n_requests']} requests per path, "
                  "top-10 over all items"
                  + short, "", "| serving path | p50 ms | p95 ms | p99 ms | max ms | req/s (unbatched) | NDCG@10 | "
                  "cold items | cold users | how |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
        for name, b in req["backends"].items():
            how = (f"**projected**: host {b['host_ms_median']:.3f} ms + {b['kernel_cycles_median']:,.0f} cycles at "
                   f"{b['clock_mhz']:g} MHz + modelled PS-PL ({b['reg_accesses_per_call']:.0f} register accesses)"
                   if b["projected"] else "measured")
            lines.append(f"| {name} | {b['p50_ms']:.3f} | {b['p95_ms']:.3f} | {b['p99_ms']:.3f} | {b['max_ms']:.3f} | "
                         f"{req['throughput'][name]['unbatched_req_per_s']:,.0f} | {b['ndcg@10']:.4f} | "
                         f"{b['ndcg@10_cold_items']:.4f} | {b['ndcg@10_cold_users']:.4f} | {how} |")
        lines += ["", "Where a request's host time goes (ms, p50 / p99 per part; for simulated boards "
                  "`aggregate` is the simulator's own wall time, not part of the latency):", "",
                  "| serving path | graph build | aggregate | head | rank | thread CPU time p50 / p99 / max "
                  "| GC runs / longest ms | served top-10 = score_all top-10 |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for name, b in req["backends"].items():
            parts = b.get("parts_ms", {})
            same = b.get("top10_same_as_score_all")
            lines.append(f"| {name} | " + " | ".join(
                f"{parts[p]['p50']:.3f} / {parts[p]['p99']:.3f}" if p in parts else "-"
                for p in ("graph", "aggregate", "head", "rank"))
                + (" | {p50:.3f} / {p99:.3f} / {max:.3f}".format(**b["cpu_time_ms"]) if b.get("cpu_time_ms") else " | -")
                + (" | {collections} / {longest_ms:.3f}".format(**b["gc"]) if "gc" in b else " | -")
                + f" | {'-' if same is None else f'{same:.0%}'} |")
        lines += ["", "Batched (Hybrid + quant., cpu backend, B users per accelerator call and head evaluation): "
                  + ", ".join(f"{k}: {v['req_per_s']:,.0f} req/s" for k, v in req["batched"].items()), ""]
    m = results["machine"]
    lines += [f"Machine: {m.get('cpu_model', m['processor'])}, {m['cpus']} CPUs, load average at start "
              f"{m['load_average'][0]:.1f}, at end {m.get('load_average_end', [float('nan')])[0]:.1f}; "
              f"torch {m['torch']} ({m['torch_threads']} thread), numpy {m['numpy']}; "
              f"git {results.get('git', {}).get('commit', '?')}"
              + (" with uncommitted changes" + (" (RTL too)" if results.get("git", {}).get("rtl_dirty") else "")
                 if results.get("git", {}).get("dirty") else "")
              + f"; bench wall time {results.get('wall_s', 0):.0f} s.", ""]
    return "\n".join(lines)

