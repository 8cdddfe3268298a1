"""The pipeline's report: the results table, the paired per-user differences, the plot and the
files written to the output directory (results.md, results.json, results.png)."""
from __future__ import annotations

import dataclasses
import json
import pathlib

import numpy as np

from .metrics import paired_difference

TABLE_COLUMNS = [("overall", "R@10"), ("overall", "NDCG@10"), ("overall", "NDCG@20"),
                 ("cold_items", "R@10"), ("cold_items", "NDCG@10"), ("cold_users", "R@10"),
                 ("cold_users", "NDCG@10"), ("sampled", "NDCG@10"), ("sampled", "HR@10")]


def paired_comparisons(best_hybrid: str, controls: tuple = ()) -> list[tuple[str, str]]:
    """The claims a run tests: the best hybrid (chosen on valid) against each of its parts, then
    each (configuration, its control) of `controls`."""
    return [(best_hybrid, "GNN only"), (best_hybrid, "LLM only"), *controls]


def markdown_table(results: dict) -> str:
    """Full-ranking columns, then the sampled protocol's (1 test positive among 99 sampled
    unseen items: not comparable with full ranking), valid NDCG@10 and training seconds."""
    head = "| configuration | " + " | ".join(
        f"{m}" if s == "overall" else f"{m} {s.replace('_', '-')}" for s, m in TABLE_COLUMNS) \
        + " | valid NDCG@10 | train s |"
    lines = [head, "|---" * (len(TABLE_COLUMNS) + 3) + "|"]
    for name, res in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{res[s][m]:.4f}" for s, m in TABLE_COLUMNS)
                     + f" | {res['valid_ndcg10']:.4f} | {res['train_s']:.0f} |")
    any_res = next(iter(results.values()))
    lines.append("")
    lines.append("Users evaluated: " + ", ".join(f"{s} {any_res[s]['users']}" for s in any_res if isinstance(any_res[s], dict))
                 + ". Columns *-sampled: the sampled protocol (each test positive ranked among 99 items the user "
                 "never interacted with, drawn at random), not full ranking.")
    return "\n".join(lines)


def paired_differences(per_user: dict, best_hybrid: str, controls: tuple = ()) -> dict:
    """{"A - B": {slice: {mean, se, users}}}: per-user NDCG@10 differences of paired_comparisons."""
    return {f"{a} - {b}": {s: paired_difference(per_user[a], per_user[b], s) for s in per_user[a]}
            for a, b in dict.fromkeys(paired_comparisons(best_hybrid, controls))}


def fusion_controls(fusion: dict) -> tuple:
    """What a run's score fusions (PipelineRun.fusion) are judged by: each fusion and its control
    against GNN only, and the fusion against its control (is the gain the text or the ensemble?)."""
    pairs = []
    for control, rec in fusion.items():
        if "control_of" in rec:
            pairs += [(rec["control_of"], "GNN only"), (control, "GNN only"), (rec["control_of"], control)]
    return tuple(pairs)


def fusion_lines(fusion: dict) -> list[str]:
    """One line per score fusion: the weight of its second GNN chosen on valid, and the grid."""
    return [f"{name}: weight a = {rec['weight']:.4f} chosen on valid (a = w x {rec['spread_ratio']:.3f}; w -> valid "
            "NDCG@10 " + ", ".join(f"{float(w):g}: {v:.4f}" for w, v in rec["valid_ndcg10"].items()) + ")"
            for name, rec in fusion.items()]


def paired_table(paired: dict) -> str:
    """Markdown: mean +- standard error of each paired difference per slice; '*' marks a mean
    more than two standard errors above zero."""
    slices = [s for s in next(iter(paired.values()))]
    lines = ["Paired per-user difference of NDCG@10 (mean +- standard error; * = mean > 2 SE):", "",
             "| difference | " + " | ".join(s.replace("_", " ") for s in slices) + " |",
             "|---" * (len(slices) + 1) + "|"]
    for name, by_slice in paired.items():
        cells = [f"{d['mean']:+.4f} +- {d['se']:.4f}{' *' if d['mean'] > 2 * d['se'] else ''}"
                 for d in by_slice.values()]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot_results(results: dict, paired: dict, title: str, path: pathlib.Path) -> None:
    """Left: grouped bars of NDCG@10 per configuration, overall and on the cold-start slices.
    Right: the claim itself, each paired per-user difference (mean +- 2 standard errors)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    slices = [("overall", "overall"), ("cold_items", "cold items"), ("cold_users", "cold users")]
    names = list(results)
    width = 0.8 / len(names)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 4), gridspec_kw={"width_ratios": [3, 2]})
    for k, name in enumerate(names):
        xs = np.arange(len(slices)) + (k - (len(names) - 1) / 2) * width
        ax.bar(xs, [results[name][s]["NDCG@10"] for s, _ in slices], width, label=name)
    ax.set_xticks(np.arange(len(slices)), [label for _, label in slices])
    ax.set_ylabel("NDCG@10")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, ncol=2)
    ax.grid(axis="y", alpha=0.3)
    width = 0.8 / len(paired)
    for k, (name, by_slice) in enumerate(paired.items()):
        xs = np.arange(len(slices)) + (k - (len(paired) - 1) / 2) * width
        bx.errorbar(xs, [by_slice[s]["mean"] for s, _ in slices], yerr=[2 * by_slice[s]["se"] for s, _ in slices],
                    fmt="o", capsize=4, label=name)
    bx.axhline(0, color="grey", lw=0.8)
    bx.set_xticks(np.arange(len(slices)), [label for _, label in slices])
    bx.set_ylabel("paired difference of NDCG@10")
    bx.set_title("per-user paired differences, mean +- 2 SE", fontsize=10)
    bx.legend(fontsize=8)
    bx.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def degree_bucket_names(bounds) -> list[str]:
    """'<= 5', '6-20', '> 20' for bounds (5, 20)."""
    if not bounds:
        return ["any"]
    return [f"<= {bounds[0]}"] + [f"{lo + 1}-{hi}" for lo, hi in zip(bounds, bounds[1:])] + [f"> {bounds[-1]}"]


def write_report(out: pathlib.Path, run, cfg, cycles_note: str = "") -> str:
    """results.md, results.json and results.png of a finished run (host.rec.pipeline.PipelineRun
    made with PipelineConfig `cfg`); returns the text printed at the end of the run."""
    ds, proto, hybrid = run.dataset, run.protocol, run.hybrid
    buckets = degree_bucket_names(run.train_config.degree_bounds)
    table = markdown_table(run.results)
    paired = paired_differences(run.per_user, run.best_hybrid, fusion_controls(run.fusion))
    weights_line = ("Hybrid graph weight g per user training degree, chosen on valid: " + ", ".join(
        f"{name}: {w:g}" for name, w in zip(buckets, run.chosen_weights)) if run.chosen_weights else
        "The best hybrid scores <h_u, h_i> alone (no fusion head, no graph weights)")
    acc = run.accelerator
    acc_line = (f"Accelerator: backend {acc['backend']}, build {acc['build']}, "
                + (f"{acc['cycles']:,} cycles for the {len(acc['layers'])} layers, projected "
                   + ", ".join(f"{ms:.2f} ms at {clock}" for clock, ms in acc["projected_ms"].items())
                   + " (simulated cycles at the build's clocks; timing closure not checked)"
                   if acc["cycles"] else "no cycle model (cpu backend: bit-exact arithmetic only)"))
    text = "\n".join([f"# {ds.name}", "", "```", proto.describe(ds), "```", "",
                      f"GNN: {cfg.style}, {len(run.gnn_only.layers)} layers (GNN only, chosen on valid), "
                      f"F={run.train_config.dim}; accelerator backend: {cfg.backend}", "",
                      f"Best hybrid on valid: {run.best_hybrid} (Hybrid + quant. is it on the accelerator)", "",
                      table, "", paired_table(paired), "",
                      weights_line, "", *fusion_lines(run.fusion), "", acc_line, ""])
    (out / "results.md").write_text(text)
    plot_results(run.results, paired, f"{ds.name}: NDCG@10 (Eq. 1 on backend '{cfg.backend}')", out / "results.png")
    (out / "results.json").write_text(json.dumps({
        "dataset": ds.name, "protocol": dataclasses.asdict(proto), "protocol_text": proto.describe(ds),
        "train_config": dataclasses.asdict(run.train_config), "style": cfg.style, "backend": cfg.backend,
        "results": run.results, "paired_ndcg10": paired, "best_hybrid": run.best_hybrid,
        "gnn_layers": len(run.gnn_only.layers),
        "hybrid_gnn_weight": {"buckets": buckets, "chosen_on_valid": run.chosen_weights,
                              "after_fine_tuning": hybrid.gnn_weight.tolist(), "valid_ndcg10": run.weight_scores},
        "score_fusion": run.fusion, "accelerator": acc},
        indent=2))
    return "\n" + "\n".join([table, "", paired_table(paired), "", weights_line, *fusion_lines(run.fusion), acc_line])


def write_baselines_report(out: pathlib.Path, ds, proto, train_config, results: dict, gnn_layers: int, cfg) -> str:
    """results.md and results.json of a baselines-only run (host.rec.pipeline.run_baselines):
    the table and the GNN's layer count chosen on valid, no hybrid and no paired differences."""
    table = markdown_table(results)
    text = "\n".join([f"# {ds.name} (baselines only)", "", "```", proto.describe(ds), "```", "",
                      f"GNN: {cfg.style}, {gnn_layers} layers (GNN only, chosen on valid), F={train_config.dim}; "
                      f"model seed {train_config.seed}", "", table, ""])
    (out / "results.md").write_text(text)
    (out / "results.json").write_text(json.dumps({
        "dataset": ds.name, "protocol": dataclasses.asdict(proto), "protocol_text": proto.describe(ds),
        "train_config": dataclasses.asdict(train_config), "style": cfg.style, "models": "baselines",
        "results": results, "best_hybrid": None, "gnn_layers": gnn_layers}, indent=2))
    return "\n" + table


SUMMARY_COLUMNS = [("overall", "NDCG@10"), ("cold_items", "NDCG@10"), ("cold_users", "NDCG@10"),
                   ("sampled", "NDCG@10"), ("sampled", "HR@10")]


def summary_of_splits(runs: dict, kind: str = "split") -> str:
    """Markdown over several split seeds ({seed: the results.json dict of that split's run}; with
    kind "model", model seeds on one split): per configuration mean +- sd over the runs of the
    full-ranking and sampled NDCG@10, valid NDCG@10 and training time; then per run its best
    hybrid's paired per-user differences against GNN only and LLM only, and Hybrid + quant.
    against the float hybrid it quantizes (baselines-only runs: each run's GNN layers)."""
    first = next(iter(runs.values()))
    names = list(first["results"])

    def cell(values, digits=4):
        v = np.asarray(values, dtype=np.float64)
        return f"{v.mean():.{digits}f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.{digits}f}"
    head = ["configuration"] + [f"{m} {s.replace('_', ' ')}" if s != "overall" else m for s, m in SUMMARY_COLUMNS] \
        + ["valid NDCG@10", "train s"]
    lines = [f"Mean ± sd over {kind} seeds {', '.join(map(str, runs))} (test NDCG@10 and HR@10; *sampled*: each "
             "test positive among 99 sampled unseen items, not full ranking):", "",
             "| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for name in names:
        cells = [cell([r["results"][name][s][m] for r in runs.values()]) for s, m in SUMMARY_COLUMNS]
        cells += [cell([r["results"][name]["valid_ndcg10"] for r in runs.values()]),
                  cell([r["results"][name]["train_s"] for r in runs.values()], 0)]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    if any(r.get("best_hybrid") is None for r in runs.values()):
        fixed = all(len(r["train_config"]["layer_choices"]) == 1 for r in runs.values())
        lines += ["", f"Baselines only (no hybrid). GNN only layers {'(given by --layers)' if fixed else 'chosen on valid'}"
                  f" per {kind} seed: " + ", ".join(f"{seed}: {r['gnn_layers']}" for seed, r in runs.items()) + "."]
        return "\n".join(lines)
    lines += ["", "Per split: the hybrid chosen on valid, and paired per-user differences of NDCG@10 (mean ± SE; "
              "* = mean > 2 SE):", "",
              "| split seed | best hybrid (valid) | GNN layers | − GNN only overall | − GNN only cold items | "
              "− LLM only overall | − LLM only cold items | Hybrid + quant. vs float (relative) |", "|---" * 8 + "|"]
    for seed, r in runs.items():
        best = r["best_hybrid"]

        def diff(other, slice_):
            d = r["paired_ndcg10"][f"{best} - {other}"][slice_]
            return f"{d['mean']:+.4f} ± {d['se']:.4f}{' *' if d['mean'] > 2 * d['se'] else ''}"
        res = r["results"]
        rel = res["Hybrid + quant."]["overall"]["NDCG@10"] / res[best]["overall"]["NDCG@10"] - 1
        lines.append(f"| {seed} | {best} | {r['gnn_layers']} | {diff('GNN only', 'overall')} | "
                     f"{diff('GNN only', 'cold_items')} | {diff('LLM only', 'overall')} | "
                     f"{diff('LLM only', 'cold_items')} | {rel:+.2%} |")
    controls = [(seed, name, f"{rec['control_of']} - GNN only", f"{name} - GNN only", f"{rec['control_of']} - {name}")
                for seed, r in runs.items()
                for name, rec in r.get("score_fusion", {}).items() if "control_of" in rec]
    if controls:
        lines += ["", "Per split: score fusion of two GNNs against its control (the same fusion of two GNN only "
                  "models, model seeds s and s + 1), paired per-user differences of NDCG@10 (mean ± SE; * = mean "
                  "> 2 SE):", "", "| split seed | comparison | overall | cold items | cold users |", "|---" * 5 + "|"]
        for seed, name, *keys in controls:
            for key in keys:
                d = runs[seed]["paired_ndcg10"][key]
                lines.append(f"| {seed} | {key.replace(' - ', ' − ')} | " + " | ".join(
                    f"{d[s]['mean']:+.4f} ± {d[s]['se']:.4f}{' *' if d[s]['mean'] > 2 * d[s]['se'] else ''}"
                    for s in ("overall", "cold_items", "cold_users")) + " |")
    pop = np.mean([r["results"]["Popularity"]["cold_items"]["NDCG@10"] for r in runs.values()])
    best_cold = np.mean([r["results"][r["best_hybrid"]]["cold_items"]["NDCG@10"] for r in runs.values()])
    if pop > 0:
        lines += ["", f"Cold items, mean over the splits: best hybrid {best_cold:.4f}, Popularity {pop:.4f} "
                  f"({best_cold / pop:.1f}x)."]
    return "\n".join(lines)


def write_summary(out: pathlib.Path) -> str:
    """OUT/summary.md from every OUT/split-SEED/results.json (split seeds) or, when there are
    none, every OUT/seed-SEED/results.json (model seeds); returns its text."""
    for prefix, kind in (("split", "split"), ("seed", "model")):
        runs = {int(p.parent.name.split("-", 1)[1]): json.loads(p.read_text())
                for p in sorted(pathlib.Path(out).glob(f"{prefix}-*/results.json"))}
        if runs:
            break
    else:
        raise ValueError(f"{out}: no split-SEED/results.json or seed-SEED/results.json to summarize")
    text = f"# {next(iter(runs.values()))['dataset']}\n\n{summary_of_splits(runs, kind)}\n"
    (pathlib.Path(out) / "summary.md").write_text(text)
    return text
