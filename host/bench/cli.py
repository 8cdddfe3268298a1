"""Host benchmark: one Eq. 1 layer, online requests, throughput, accuracy and scaling, side by side.

    python -m host.bench                      # embedded data set + ML-1M-shaped graph, cpu and sim
    python -m host.bench --quick              # a tiny configuration (what the test runs)
    python -m host.bench --backends cpu --boards kv260 --feat-dim 64 --reps 7

Every number is measured by this script on this machine, except the accelerator times, which are
**projections**: exact cycle counts from the cycle-accurate `sim` backend (the RTL under
Verilator) divided by the clock a board build runs at. On a board (`--backends board`) the
accelerator is timed for real. Output: a Markdown report on stdout and in OUT/report.md, every
number with the machine and configuration in OUT/bench.json, and PNG plots in OUT/.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path

from host.rec.cli import user_errors

from .config import SECTIONS, BenchConfig, make_config
from .layer import bench_layer, bench_scaling, build_simulations
from .workloads import ml1m_graph
from .report import git_state, machine_info, markdown_report


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host.bench", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="default",
                    help="data set of the serving part: default (embedded) | ml-1m | ml-100k | amazon | yelp")
    ap.add_argument("--dataset-path", help="where the data set's files are (not for the default)")
    ap.add_argument("--requests", type=int, default=1000, help="online requests per serving path")
    ap.add_argument("--epochs", type=int, help="training epochs of the serving part's models (default: "
                    "host.rec.pipeline's; fewer make a large data set's latency run short, at some accuracy)")
    ap.add_argument("--head-epochs", type=int, help="fusion-head training epochs (default: host.rec.pipeline's)")
    ap.add_argument("--hybrid-epochs", type=int, help="hybrid-head fine-tuning epochs (default: host.rec.pipeline's)")
    ap.add_argument("--backends", default="cpu,sim", help="comma list of cpu, sim, board")
    ap.add_argument("--bitfile", help="board: the gnn_agg.bit to load (default: host/overlays/<$BOARD>/)")
    ap.add_argument("--overlay", help="board: a board name (pynq-z2 | kv260 | zcu104) or a folder holding gnn_agg.bit")
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"comma list of {', '.join(SECTIONS)}")
    ap.add_argument("--boards", default="pynq-z2,kv260", help="builds to simulate and project")
    ap.add_argument("--gathers", default="table,dram", help="accelerator gather modes")
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--clock-mhz", type=float, help="project at this clock instead of the boards' own")
    ap.add_argument("--reps", type=int, default=5, help="timed repetitions (after one warm-up)")
    ap.add_argument("--graph-scale", type=float, default=1.0, help="ML-1M-shaped graph size (1 = ML-1M)")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads for the CPU baselines (scipy and NumPy use one)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the tool, not the design")
    ap.add_argument("--out", default="results/bench")
    ap.add_argument("--quiet", action="store_true", help="no progress bars; the training log goes to OUT/pipeline/pipeline.log")
    ap.add_argument("--debug", action="store_true", help="a traceback instead of a one-line error")
    return ap.parse_args(argv)


def run(cfg: BenchConfig, out: Path) -> dict:
    if "sim" in cfg.backends:
        cfg = dataclasses.replace(cfg, sim_libraries=build_simulations(cfg))
    t_start = time.perf_counter()
    results = {"config": {k: v for k, v in dataclasses.asdict(cfg).items()}, "machine": machine_info(),
               "git": git_state(),
               "boards": {b: dataclasses.asdict(m) | {"hw": dataclasses.asdict(m.hw)}
                          for b, m in cfg.board_models.items()},
               "layers": []}
    if "layer" in cfg.sections:
        csr, norm = ml1m_graph(cfg.graph_scale, cfg.seed)
        results["layers"].append(bench_layer(cfg, csr, norm, "ML-1M-shaped synthetic" if cfg.graph_scale == 1
                                             else f"ML-1M-shaped synthetic x{cfg.graph_scale:g}"))
    if "scaling" in cfg.sections:
        results["scaling"] = bench_scaling(cfg)
    if "serving" in cfg.sections:
        from .serving import bench_serving
        results["requests"] = bench_serving(cfg, out)
        results["tradeoff"] = results["requests"].pop("tradeoff")
    results["machine"]["load_average_end"] = os.getloadavg()
    results["wall_s"] = time.perf_counter() - t_start
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    return user_errors(lambda: bench(args), "python -m host.bench", args.debug)


def bench(args) -> None:
    import torch
    from threadpoolctl import threadpool_limits
    torch.set_num_threads(args.threads)  # an oversubscribed OpenMP pool makes sparse ops 100x slower
    threadpool_limits(args.threads)      # NumPy's BLAS too: idle pool threads spinning cost tail latency
    cfg = make_config(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = run(cfg, out)
    (out / "bench.json").write_text(json.dumps(results, indent=1, default=str))
    from .plots import plot_all
    plots = plot_all(results, out)
    report = markdown_report(results)
    (out / "report.md").write_text(report)
    print(report)
    print(f"wrote {out / 'bench.json'}, {out / 'report.md'} and {', '.join(p.name for p in plots)}")

