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
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from golden.contract import BOARDS, HwConfig
from golden.fixed import FEAT
from golden.graph import CSR, synthetic_bipartite
from golden.norm import normalization

from .driver import Accelerator


@dataclasses.dataclass(frozen=True)
class BoardModel:
    """What a projection needs to know about a board: its accelerator build, the PL clocks it
    is built for, and the memory figures that bound any design on it."""

    name: str
    hw: HwConfig
    clocks_mhz: tuple        # PL clocks to project at; the first is the one the design targets
    ddr_gbytes_s: float      # peak DDR bandwidth (data sheet)
    memory: str

    def port_gbytes_s(self, clock_mhz: float) -> float:
        """One AXI HP port of the bus width at the kernel clock."""
        return self.hw.bus_bytes * clock_mhz * 1e-3


BOARD_MODELS = {
    "pynq-z2": BoardModel("pynq-z2", BOARDS["pynq-z2"], (100.0, 150.0), 4.26,
                          "DDR3-1066, 32-bit (PS), one 64-bit HP port"),
    "kv260": BoardModel("kv260", BOARDS["kv260"], (300.0, 250.0), 19.2,
                        "DDR4-2400, 64-bit, one 128-bit HP port"),
    "zcu104": BoardModel("zcu104", BOARDS["zcu104"], (300.0, 250.0), 21.3,
                         "DDR4-2666, 64-bit, one 128-bit HP port"),
}


SECTIONS = ("layer", "scaling", "serving")


def time_ms(fn, reps: int, warmup: int = 1) -> dict:
    """Wall time of `fn()` in ms: warm-ups discarded, then `reps` runs; min and median."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1e3)
    return {"min_ms": min(runs), "median_ms": statistics.median(runs), "runs_ms": runs}


# -- one layer on CPU: what a user would pick instead of the accelerator ----------------------

def cpu_layer_impls(csr: CSR, norm, x: np.ndarray) -> dict:
    """name -> zero-argument callable computing one normalized aggregation of `x` (float32, or
    the fixed-point golden model). Built once, so only the layer itself is timed."""
    import scipy.sparse as sp
    import torch

    vals = norm.edge_values(csr).astype(np.float32)
    a = sp.csr_matrix((vals, csr.col_idx.astype(np.int64), csr.row_ptr.astype(np.int64)),
                      shape=(csr.n_dst, csr.n_src))
    x32 = x.astype(np.float32)
    at = torch.sparse_csr_tensor(torch.from_numpy(a.indptr.astype(np.int64)),
                                 torch.from_numpy(a.indices.astype(np.int64)),
                                 torch.from_numpy(a.data), size=a.shape)
    xt = torch.from_numpy(x32)
    impls = {
        "scipy.sparse CSR @ dense (fp32)": lambda: a @ x32,
        "torch.sparse.mm (fp32)": lambda: torch.sparse.mm(at, xt),
    }
    try:
        from torch_geometric.nn import GCNConv
    except ImportError:  # an optional baseline
        pass
    else:
        conv = GCNConv(x.shape[1], x.shape[1], normalize=False, bias=False)
        edge_index = torch.from_numpy(np.stack([csr.col_idx.astype(np.int64), csr.dst_of_edges()]))
        ew = torch.from_numpy(vals)
        impls["PyG GCNConv.propagate (fp32)"] = lambda: conv.propagate(edge_index, x=xt, edge_weight=ew)
    golden = Accelerator("cpu", hw=BOARDS["kv260"])
    g = golden.load_graph(csr, norm)
    x_q = FEAT.quantize(x)
    impls["golden fixed-point model (NumPy/SciPy)"] = lambda: golden.aggregate(g, x_q)
    return impls


# -- the accelerator: exact cycles from the RTL, projected to each board ---------------------

def accelerator_layer(board: BoardModel, csr: CSR, norm, x_q: np.ndarray, gather: str,
                      expect: np.ndarray, sim_options: dict) -> dict:
    """Run one layer on the simulated RTL of `board`'s build; cycles, counters, projections."""
    hw = board.hw
    with Accelerator("sim", hw=hw, **sim_options) as acc:
        g = acc.load_graph(csr, norm)
        t0 = time.perf_counter()
        y = acc.aggregate(g, x_q, gather=gather)
        sim_s = time.perf_counter() - t0
        st = acc.status
    feat_dim = x_q.shape[1]
    bytes_moved = (st.rd_beats + st.wr_beats) * hw.bus_bytes
    compute_cycles = csr.n_edges * feat_dim / (hw.lanes * (hw.pes if gather == "table" else 1))
    bound = max(st.rd_beats, st.wr_beats, compute_cycles)  # R and W are separate channels
    out = {
        "board": board.name, "gather": gather, "bit_exact": bool(np.array_equal(y, expect)),
        "cycles": st.cycles, "edges": st.edges, "stall_cycles": st.stalls,
        "rd_beats": st.rd_beats, "wr_beats": st.wr_beats, "error": st.error,
        "bytes_moved": bytes_moved, "edges_per_cycle": csr.n_edges / max(st.cycles, 1),
        "read_bus_utilization": st.rd_beats / max(st.cycles, 1),
        "design_bound_cycles": bound, "cycles_over_bound": st.cycles / max(bound, 1),
        "sim_wall_s": sim_s, "sim_cycles_per_s": st.cycles / sim_s if sim_s else 0.0,
        "projected": {},
    }
    busiest_channel = max(st.rd_beats, st.wr_beats) * hw.bus_bytes
    for mhz in board.clocks_mhz:
        out["projected"][f"{mhz:g}MHz"] = {
            "ms": st.cycles / (mhz * 1e3),
            # the port carries reads and writes on separate channels; the DDR carries both
            "bandwidth_bound_ms": max(busiest_channel / (board.port_gbytes_s(mhz) * 1e6),
                                      bytes_moved / (board.ddr_gbytes_s * 1e6)),
        }
    return out


def ml1m_graph(scale: float, seed: int):
    from golden.graph import ML1M_ITEMS, ML1M_RATINGS, ML1M_USERS
    bg = synthetic_bipartite(max(2, int(ML1M_USERS * scale)), max(2, int(ML1M_ITEMS * scale)),
                             max(1, int(ML1M_RATINGS * scale * scale)), seed=seed)
    csr = bg.unified()
    return csr, normalization(csr, "symmetric")


def bench_layer(cfg, csr: CSR, norm, label: str) -> dict:
    rng = np.random.default_rng(cfg.seed)
    x = rng.normal(0, 0.5, (csr.n_src, cfg.feat_dim))
    res = {"graph": label, "n_nodes": csr.n_dst, "n_edges": csr.n_edges, "feat_dim": cfg.feat_dim,
           "cpu": {}, "accelerator": []}
    for name, fn in tqdm(cpu_layer_impls(csr, norm, x).items(), desc=f"{label}: CPU layers",
                         leave=False, disable=cfg.quiet):
        res["cpu"][name] = time_ms(fn, cfg.reps)
    if "sim" in cfg.backends:
        expect = Accelerator("cpu", hw=BOARDS["kv260"])
        g = expect.load_graph(csr, norm)
        y_ref = expect.aggregate(g, FEAT.quantize(x))
        for bname in tqdm(cfg.boards, desc=f"{label}: RTL simulation", leave=False, disable=cfg.quiet):
            board = BOARD_MODELS[bname]
            for gather in cfg.gathers:
                res["accelerator"].append(accelerator_layer(board, csr, norm, FEAT.quantize(x), gather,
                                                            y_ref, sim_options(cfg, bname)))
    return res


def bench_scaling(cfg) -> dict:
    """CPU time and simulated cycles as the graph grows, and as the feature dimension grows."""
    out = {"edges": [], "feat_dim": []}
    steps = cfg.scaling_edges
    for target in tqdm(steps, desc="scaling: edges", disable=cfg.quiet):
        scale = float(np.sqrt(target / 2_000_418))
        csr, norm = ml1m_graph(scale, cfg.seed)
        out["edges"].append(_scaling_point(cfg, csr, norm, cfg.feat_dim))
    csr, norm = ml1m_graph(float(np.sqrt(cfg.scaling_feat_edges / 2_000_418)), cfg.seed)
    for f in tqdm(cfg.scaling_feats, desc="scaling: feature dim", disable=cfg.quiet):
        out["feat_dim"].append(_scaling_point(cfg, csr, norm, f))
    return out


def _scaling_point(cfg, csr, norm, feat_dim) -> dict:
    rng = np.random.default_rng(cfg.seed)
    x = rng.normal(0, 0.5, (csr.n_src, feat_dim))
    impls = cpu_layer_impls(csr, norm, x)
    point = {"n_edges": csr.n_edges, "feat_dim": feat_dim,
             "cpu_ms": {k: time_ms(fn, max(1, cfg.reps // 2))["min_ms"] for k, fn in impls.items()}}
    if "sim" in cfg.backends:
        board = BOARD_MODELS[cfg.boards[0]]
        with Accelerator("sim", hw=board.hw, **sim_options(cfg, board.name)) as acc:
            acc.aggregate(acc.load_graph(csr, norm), FEAT.quantize(x))
            point["board"] = board.name
            point["cycles"] = acc.status.cycles
            point["projected_ms"] = acc.status.cycles / (board.clocks_mhz[0] * 1e3)
    return point


def sim_options(cfg, board: str) -> dict:
    """Options of Accelerator("sim") for `board`: the DDR model, and the library built for it
    at the start (so every section simulates the same RTL, even if the sources change meanwhile)."""
    return dict(cfg.sim_options, library=cfg.sim_libraries[board])


def build_simulations(cfg) -> dict:
    """Build (or find) the RTL simulation of every board before anything is measured; a board
    the RTL cannot be built for stops the benchmark here with a message saying so."""
    from sim.harness.build import BuildError, build
    libraries = {}
    for board in cfg.boards:
        hw = BOARD_MODELS[board].hw
        if not cfg.quiet:
            print(f"RTL simulation for {board} ({hw.bus_bits}-bit bus, {hw.lanes} lanes, {hw.pes} PE): "
                  "building or reusing build/harness/ ...", file=sys.stderr, flush=True)
        try:
            libraries[board] = str(build(hw))
        except BuildError as e:
            detail = str(e).splitlines()
            fatal = [line.strip() for line in detail if "$fatal" in line or "%Error" in line or "gnn_agg:" in line]
            raise SystemExit(
                f"host.bench: the RTL cannot be built for board {board!r} (BUS_BITS={hw.bus_bits}, "
                f"LANES={hw.lanes}, PES={hw.pes}) in this tree, so its cycles cannot be simulated.\n"
                f"  {(fatal or detail)[0][:300]}\n"
                f"  Run without it, e.g. --boards {','.join(b for b in cfg.boards if b != board) or 'pynq-z2'} "
                f"(BENCH_ARGS='--boards ...' for make bench), or --backends cpu.") from None
    return libraries


def git_state() -> dict:
    """Commit of this tree and whether it has uncommitted changes (RTL included)."""
    import subprocess
    root = Path(__file__).resolve().parents[1]
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


# -- the report ------------------------------------------------------------------------------

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
        short = (f" (models trained {cfg['epochs'] or 'default'} epochs, head {cfg['head_epochs'] or 'default'}: "
                 "short training, accuracy below a full run's)" if cfg.get("epochs") or cfg.get("head_epochs") else "")
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


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host.bench", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dataset", default="default",
                    help="data set of the serving part: default (embedded) | ml-1m | ml-100k | amazon | yelp")
    ap.add_argument("--dataset-path", help="where the data set's files are (not for the default)")
    ap.add_argument("--requests", type=int, default=1000, help="online requests per serving path")
    ap.add_argument("--epochs", type=int, help="training epochs of the serving part's models (default: "
                    "host.pipeline's; fewer make a large data set's latency run short, at some accuracy)")
    ap.add_argument("--head-epochs", type=int, help="fusion-head training epochs (default: host.pipeline's)")
    ap.add_argument("--backends", default="cpu,sim", help="comma list of cpu, sim, board")
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
    ap.add_argument("--quiet", action="store_true", help="no progress bars")
    return ap.parse_args(argv)


@dataclasses.dataclass
class BenchConfig:
    backends: tuple
    boards: tuple
    gathers: tuple
    feat_dim: int
    reps: int
    graph_scale: float
    seed: int
    quiet: bool
    scaling_edges: tuple
    scaling_feats: tuple
    scaling_feat_edges: int
    sim_options: dict
    sim_libraries: dict
    label: str
    dataset: str
    dataset_path: str | None
    requests: int
    batches: tuple
    quick: bool
    epochs: int | None
    head_epochs: int | None
    sections: tuple


def make_config(args) -> BenchConfig:
    boards = tuple(b for b in args.boards.split(",") if b)
    for b in boards:
        if b not in BOARD_MODELS:
            raise SystemExit(f"unknown board {b!r}; choose from {sorted(BOARD_MODELS)}")
    if args.clock_mhz:
        for b in boards:
            BOARD_MODELS[b] = dataclasses.replace(BOARD_MODELS[b], clocks_mhz=(args.clock_mhz,))
    quick = args.quick
    sections = tuple(x for x in args.sections.split(",") if x)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {sorted(unknown)}; choose from {SECTIONS}")
    return BenchConfig(
        backends=tuple(args.backends.split(",")), boards=boards, gathers=tuple(args.gathers.split(",")),
        feat_dim=args.feat_dim, reps=2 if quick else args.reps,
        graph_scale=0.03 if quick else args.graph_scale, seed=args.seed, quiet=args.quiet,
        scaling_edges=(1_000, 4_000) if quick else (1_000, 10_000, 100_000, 1_000_000),
        scaling_feats=(64, 128) if quick else (64, 128, 192, 256),
        scaling_feat_edges=2_000 if quick else 100_000, sim_options={"read_latency": 64}, sim_libraries={},
        label="quick" if quick else "full", dataset=args.dataset, dataset_path=args.dataset_path,
        requests=50 if quick else args.requests, batches=(1, 8, 64), quick=quick,
        epochs=10 if quick and args.epochs is None else args.epochs,
        head_epochs=5 if quick and args.head_epochs is None else args.head_epochs,
        sections=sections)


def run(cfg: BenchConfig, out: Path) -> dict:
    if "sim" in cfg.backends:
        cfg.sim_libraries = build_simulations(cfg)
    t_start = time.perf_counter()
    results = {"config": {k: v for k, v in dataclasses.asdict(cfg).items()}, "machine": machine_info(),
               "git": git_state(),
               "boards": {b: dataclasses.asdict(BOARD_MODELS[b]) | {"hw": dataclasses.asdict(BOARD_MODELS[b].hw)}
                          for b in cfg.boards},
               "layers": []}
    if "layer" in cfg.sections:
        csr, norm = ml1m_graph(cfg.graph_scale, cfg.seed)
        results["layers"].append(bench_layer(cfg, csr, norm, "ML-1M-shaped synthetic" if cfg.graph_scale == 1
                                             else f"ML-1M-shaped synthetic x{cfg.graph_scale:g}"))
    if "scaling" in cfg.sections:
        results["scaling"] = bench_scaling(cfg)
    if "serving" in cfg.sections:
        from .bench_serving import bench_serving
        results["requests"] = bench_serving(cfg, out)
        results["tradeoff"] = results["requests"].pop("tradeoff")
    results["machine"]["load_average_end"] = os.getloadavg()
    results["wall_s"] = time.perf_counter() - t_start
    return results


def main(argv=None) -> int:
    import torch
    from threadpoolctl import threadpool_limits
    args = parse_args(argv)
    torch.set_num_threads(args.threads)  # an oversubscribed OpenMP pool makes sparse ops 100x slower
    threadpool_limits(args.threads)      # NumPy's BLAS too: idle pool threads spinning cost tail latency
    cfg = make_config(args)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    results = run(cfg, out)
    (out / "bench.json").write_text(json.dumps(results, indent=1, default=str))
    from .bench_plots import plot_all
    plots = plot_all(results, out)
    report = markdown_report(results)
    (out / "report.md").write_text(report)
    print(report)
    print(f"wrote {out / 'bench.json'}, {out / 'report.md'} and {', '.join(p.name for p in plots)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
