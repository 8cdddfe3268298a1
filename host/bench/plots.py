"""Plots of a host.bench result (the dict written to bench.json). Each function writes one PNG and
returns its path, or None when the result holds nothing to plot."""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_layer(results: dict, out: Path) -> Path | None:
    """One Eq. 1 layer: measured CPU times next to projected accelerator times (log scale)."""
    if not results["layers"]:
        return None
    layer = results["layers"][0]
    names, ms, colors = [], [], []
    for name, t in layer["cpu"].items():
        names.append(name)
        ms.append(t["median_ms"])
        colors.append("tab:gray")
    for a in layer["accelerator"]:
        clock, p = next(iter(a["projected"].items()))
        names.append(f"gnn_agg {a['board']} {a['gather']} @ {clock} (projected)")
        ms.append(p["ms"])
        colors.append("tab:blue" if a["gather"] == "table" else "tab:cyan")
    if not names:
        return None
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(names) + 1.5))
    ax.barh(names, ms, color=colors)
    ax.set_xscale("log")
    ax.invert_yaxis()
    ax.set_xlabel("ms per layer (log)")
    ax.set_title(f"One Eq. 1 layer, {layer['graph']}: {layer['n_edges']:,} edges, F={layer['feat_dim']}")
    for y, v in enumerate(ms):
        ax.text(v, y, f" {v:.2f}", va="center", fontsize=8)
    return _save(fig, out / "layer_time.png")


def plot_scaling(results: dict, out: Path) -> Path | None:
    sc = results.get("scaling")
    if not sc or not sc["edges"]:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for ax, key, xlabel in ((axes[0], "edges", "edges"), (axes[1], "feat_dim", "feature dim F")):
        pts = sc[key]
        xs = [p["n_edges"] if key == "edges" else p["feat_dim"] for p in pts]
        for name in pts[0]["cpu_ms"]:
            ax.plot(xs, [p["cpu_ms"][name] for p in pts], "o-", label=name)
        if "cycles" in pts[0]:
            ax.plot(xs, [p["projected_ms"] for p in pts], "s--", color="tab:blue",
                    label=f"gnn_agg {pts[0]['board']} (projected from cycles)")
        ax.set_xscale("log" if key == "edges" else "linear")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("ms per layer")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_title("scaling with graph size")
    axes[1].set_title(f"scaling with F ({sc['feat_dim'][0]['n_edges']:,} edges)")
    axes[0].legend(fontsize=7)
    return _save(fig, out / "scaling.png")


def plot_latency(results: dict, out: Path) -> Path | None:
    """Distribution of online request latency per backend."""
    req = results.get("requests")
    if not req:
        return None
    labels = list(req["backends"])
    fig, ax = plt.subplots(figsize=(9, 0.5 * len(labels) + 1.5))
    data = [req["backends"][b]["latencies_ms"] for b in labels]
    ax.boxplot(data, orientation="horizontal", showfliers=True, whis=(1, 99))
    ax.set_yticks(range(1, len(labels) + 1), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("ms per request (log); projected paths: host + kernel cycles + modelled PS-PL")
    ax.set_title(f"online request latency, {req['n_requests']} requests (whiskers p1-p99)")
    ax.grid(True, axis="x", which="both", alpha=0.3)
    return _save(fig, out / "latency.png")


def plot_pareto(results: dict, out: Path) -> Path | None:
    """Latency (p99) against NDCG@10 per configuration: the trade-off of Fig. 5."""
    rows = results.get("tradeoff")
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    markers = "osD^v<>p*hX"
    for n, r in enumerate(rows):
        dot = ax.scatter(r.get("p50_ms", r["p99_ms"]), r["ndcg@10"], s=50, marker=markers[n % len(markers)],
                         label=r["label"], zorder=3)
        if "p50_ms" in r:  # a line from p50 to p99 (open marker)
            ax.plot([r["p50_ms"], r["p99_ms"]], [r["ndcg@10"]] * 2, "-", color=dot.get_facecolor()[0], lw=1)
            ax.scatter(r["p99_ms"], r["ndcg@10"], s=30, marker="|", color=dot.get_facecolor()[0])
    ax.legend(fontsize=7, loc="lower right")
    ax.set_xscale("log")
    ax.set_xlabel("request latency, ms (log): marker p50, line to p99")
    ax.set_ylabel("NDCG@10")
    ax.set_title("latency vs accuracy")
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, out / "pareto.png")


def plot_all(results: dict, out: Path) -> list[Path]:
    return [p for p in (plot_layer(results, out), plot_scaling(results, out), plot_latency(results, out),
                        plot_pareto(results, out)) if p is not None]
