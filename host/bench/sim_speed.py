"""Simulation speed and per-call overheads of the host driver.

    python -m host.bench.sim_speed [--ml1m] [--out results/sim_speed]

Prints a table and writes sim_speed.json and sim_speed.png to --out. For each workload
and gather mode: simulated cycles (stat_cycles), wall time, process CPU time, cycles per wall
second and per CPU second (the CPU figure is what the simulator itself achieves when other jobs
share the two cores), and a bit-exact check against the cpu backend. Per-call overheads: one
control register access through ctypes, a whole call on a tiny graph (register sequence plus a
few hundred kernel cycles), load_graph, and a cpu-backend call.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from golden.cases import random_features, random_graph
from golden.contract import Reg
from golden.graph import synthetic_bipartite
from golden.norm import normalization

from host.driver import Accelerator


def _timed(fn, repeat: int = 1):
    """(result, wall seconds, CPU seconds) of the best of `repeat` runs."""
    best = None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        sample = (out, time.perf_counter() - w, time.process_time() - c)
        best = sample if best is None or sample[1] < best[1] else best
    return best


def workloads(ml1m: bool):
    rng = np.random.default_rng(0)
    yield "random 2k nodes, deg 40, F=64", random_graph(rng, 2000, 2000, 40, skew=0.8), 64
    yield "random 5k nodes, deg 20, F=128", random_graph(rng, 5000, 5000, 20, skew=0.8), 128
    if ml1m:
        yield "ML-1M-shaped (2,000,418 edges), F=64", synthetic_bipartite().unified(), 64


def speed(sim: Accelerator, cpu: Accelerator, ml1m: bool) -> list[dict]:
    rows = []
    for name, csr, feat_dim in tqdm(list(workloads(ml1m)), desc="workloads", unit="graph"):
        x = random_features(np.random.default_rng(1), csr.n_src, feat_dim)
        norm = normalization(csr, "symmetric")
        g = sim.load_graph(csr, norm)
        expect = cpu.aggregate(cpu.load_graph(csr, norm), x)
        for gather in ("table", "dram"):
            y, wall, cpu_s = _timed(lambda: sim.aggregate(g, x, gather=gather))
            s = sim.status
            rows.append({"workload": name, "gather": gather, "n_dst": csr.n_dst, "n_edges": csr.n_edges,
                         "feat_dim": feat_dim, "cycles": s.cycles, "stalls": s.stalls,
                         "rd_beats": s.rd_beats, "wr_beats": s.wr_beats, "wall_s": wall, "cpu_s": cpu_s,
                         "cycles_per_s": s.cycles / wall, "cycles_per_cpu_s": s.cycles / cpu_s,
                         "bit_exact": bool(np.array_equal(y, expect))})
        g.release()
    return rows


def overheads(sim: Accelerator, cpu: Accelerator) -> dict:
    t = sim.backend.transport
    n = 2000
    _, wall, _ = _timed(lambda: [t.read_reg(Reg.HW_MAGIC) for _ in range(n)], repeat=3)
    reg_access = wall / n
    rng = np.random.default_rng(2)
    csr = random_graph(rng, 8, 8, 2)
    x = random_features(rng, 8, 16)
    norm = normalization(csr, "symmetric")
    g = sim.load_graph(csr, norm)
    sim.aggregate(g, x)
    t.clear_write_log()
    _, call_wall, _ = _timed(lambda: sim.aggregate(g, x), repeat=20)
    writes_per_call = len(t.write_log()) // 20
    _, load_wall, _ = _timed(lambda: sim.load_graph(csr, norm).release(), repeat=20)
    gc = cpu.load_graph(csr, norm)
    _, cpu_call, _ = _timed(lambda: cpu.aggregate(gc, x), repeat=50)
    return {"sim_register_access_s": reg_access, "sim_tiny_call_s": call_wall,
            "sim_tiny_call_kernel_cycles": sim.status.cycles, "register_writes_per_call": writes_per_call,
            "sim_load_graph_tiny_s": load_wall,
            "cpu_tiny_call_s": cpu_call}


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    labels = [f"{r['workload']}\n{r['gather']}" for r in rows]
    fig, ax = plt.subplots(figsize=(9, 0.6 * len(rows) + 2.0))
    y = np.arange(len(rows))
    ax.barh(y - 0.2, [r["cycles_per_s"] / 1e6 for r in rows], 0.4, label="per wall second")
    ax.barh(y + 0.2, [r["cycles_per_cpu_s"] / 1e6 for r in rows], 0.4, label="per CPU second")
    ax.axvline(1.0, color="k", ls="--", lw=1, label="1 M cycles/s target")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("simulated cycles per second (millions)")
    ax.set_title("gnn_agg RTL under Verilator + C++ harness (pynq-z2 build)")
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ml1m", action="store_true", help="add the ML-1M-shaped layer (about 2 minutes)")
    ap.add_argument("--out", type=Path, default=Path("results/sim_speed"))
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with Accelerator("sim") as sim, Accelerator("cpu") as cpu:
        rows = speed(sim, cpu, args.ml1m)
        over = overheads(sim, cpu)
        library = sim.backend.transport.library
    print(f"{'workload':40s} {'gather':6s} {'cycles':>11s} {'wall s':>7s} {'cpu s':>7s} "
          f"{'Mcyc/s':>7s} {'Mcyc/cpu-s':>10s} exact")
    for r in rows:
        print(f"{r['workload']:40s} {r['gather']:6s} {r['cycles']:11,d} {r['wall_s']:7.2f} {r['cpu_s']:7.2f} "
              f"{r['cycles_per_s'] / 1e6:7.2f} {r['cycles_per_cpu_s'] / 1e6:10.2f} {r['bit_exact']}")
    print(f"sim: control register access {over['sim_register_access_s'] * 1e6:.1f} us; tiny call "
          f"{over['sim_tiny_call_s'] * 1e3:.2f} ms ({over['register_writes_per_call']} register writes, "
          f"{over['sim_tiny_call_kernel_cycles']} kernel cycles); "
          f"load_graph (tiny) {over['sim_load_graph_tiny_s'] * 1e3:.2f} ms")
    print(f"cpu: tiny call {over['cpu_tiny_call_s'] * 1e3:.3f} ms")
    print(f"simulated design: {library.parent.name} (build/harness/<config>-<hash of RTL and harness>)")
    result = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "load_avg_1min_at_end": os.getloadavg()[0]},
              "library": str(library), "speed": rows, "overheads": over}
    (args.out / "sim_speed.json").write_text(json.dumps(result, indent=2))
    plot(rows, args.out / "sim_speed.png")
    print(f"wrote {args.out / 'sim_speed.json'} and {args.out / 'sim_speed.png'}")
    return 0 if all(r["bit_exact"] for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
