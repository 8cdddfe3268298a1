"""Board measurement: run on a PYNQ board, it measures what host.bench can only project.

    python -m host.bench.board                               # on the board: $BOARD's bitstream
    python -m host.bench.board --model recommender.pt        # ... and online requests p50/p99
    python -m host.bench.board --backend sim --quick         # anywhere: the same JSON, not a board

Three measurements, written to OUT/board.json (and a summary on stdout):

* ``layers`` -- one Eq. 1 layer (an ML-1M-shaped graph, --graph-scale) timed end to end from
  Python: wall time of `aggregate` (median / min of --reps after a warm-up), its status
  registers, and the kernel time the cycle counter gives at the PL clock the board runs
  (pynq.Clocks.fclk0_mhz on the board; the registry build's clock elsewhere). Same fields as
  host.bench's `layers[].accelerator[]` where they overlap, `measured` in place of `projected`.
* ``ps_pl`` -- the PS-PL overhead: one register read, one cache flush / invalidate of a small
  buffer (sync_to_device / sync_from_device), and a minimal call (one edge, one row of F lanes)
  whose wall time less its kernel time is the fixed cost of a call.
* ``requests`` -- with --model (a recommender.pt from `python -m host.rec` on a workstation; needs
  torch on the board): online requests of host.rec.serve, p50/p95/p99 over --requests users. Same
  fields as host.bench's `requests.backends[name]`.

Every result carries ``"backend"`` and ``"measured_on_board"``: true only for --backend board.
Off a board (--backend sim) the wall times are the simulator's on this machine, and the
`kernel_ms` figures are simulated cycles at an assumed clock: a check of the tool, not a figure
of the design.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

from golden import builds
from golden.contract import Reg
from golden.graph import CSR
from golden.norm import normalization
from host.driver import Accelerator
from host.driver.overlays import accelerator_options, pynq_board

from .workloads import ml1m_graph, percentiles, time_ms

SCHEMA = "gnn_agg.board/1"


def pl_clock_mhz(acc, build) -> tuple[float | None, str]:
    """The kernel clock and where it came from: PYNQ's fclk0 on a board, else the build's target."""
    if acc.backend_name == "board":
        import pynq
        clocks = getattr(pynq, "Clocks", None)
        if clocks is not None:
            return float(clocks.fclk0_mhz), "pynq.Clocks.fclk0_mhz (measured PL clock 0)"
    if build is not None:
        return float(build.clock_mhz), f"build {build.name}'s target clock (assumed, not measured)"
    return None, "unknown"


def measure_layer(acc, build, clock_mhz, *, graph_scale: float, feat_dim: int, gathers, reps: int,
                  seed: int = 0) -> dict:
    """One layer's wall time per gather mode, bit-exact against the golden model (cpu backend)."""
    csr, norm = ml1m_graph(graph_scale, seed)
    rng = np.random.default_rng(seed)
    x_q = acc.formats.feat.quantize(rng.normal(0, 0.5, (csr.n_src, feat_dim)))
    with Accelerator("cpu", hw=acc.hw) as golden:
        expect = golden.aggregate(golden.load_graph(csr, norm), x_q)
    g = acc.load_graph(csr, norm)
    out = {"graph": f"ML-1M-shaped synthetic x{graph_scale:g}", "n_nodes": csr.n_dst, "n_edges": csr.n_edges,
           "feat_dim": feat_dim, "accelerator": []}
    for gather in gathers:
        y = acc.aggregate(g, x_q, gather=gather)
        st = acc.status
        timed = time_ms(lambda: acc.aggregate(g, x_q, gather=gather), reps)
        out["accelerator"].append({
            "board": build.board if build else None, "build": build.name if build else None, "gather": gather,
            "bit_exact": bool(np.array_equal(y, expect)), "cycles": st.cycles, "edges": st.edges,
            "stall_cycles": st.stalls, "rd_beats": st.rd_beats, "wr_beats": st.wr_beats, "error": st.error,
            "bytes_moved": (st.rd_beats + st.wr_beats) * acc.hw.bus_bytes,
            "measured": {"wall_ms": timed, "clock_mhz": clock_mhz,
                         "kernel_ms": st.cycles / (clock_mhz * 1e3) if clock_mhz and st.cycles else None}})
    g.release()
    return out


def measure_ps_pl(acc, clock_mhz, reps: int) -> dict:
    """Register access, cache maintenance of a small buffer, and a minimal call's fixed cost."""
    t = acc.backend.transport if hasattr(acc.backend, "transport") else None
    out = {}
    if t is not None:
        n = max(reps * 20, 100)
        t0 = time.perf_counter()
        for _ in range(n):
            t.read_reg(Reg.HW_MAGIC)
        out["register_read_us"] = (time.perf_counter() - t0) / n * 1e6
        buf = t.allocate(4096)
        try:
            out["sync_to_device_4k_us"] = time_ms(buf.sync_to_device, n)["median_ms"] * 1e3
            out["sync_from_device_4k_us"] = time_ms(buf.sync_from_device, n)["median_ms"] * 1e3
        finally:
            buf.free()
    f = acc.hw.feat_align
    csr = CSR(np.array([0, 1], np.uint32), np.array([0], np.uint32), 1)
    g = acc.load_graph(csr, normalization(csr, "sum"))
    x = acc.formats.feat.quantize(np.zeros((1, f)))
    timed = time_ms(lambda: acc.aggregate(g, x), max(reps * 10, 20))
    cycles = acc.status.cycles
    kernel_us = cycles / clock_mhz if clock_mhz and cycles else 0.0
    out["minimal_call"] = {"n_edges": 1, "feat_dim": f, "cycles": cycles, "wall_ms": timed,
                           "kernel_us": kernel_us, "overhead_us": timed["median_ms"] * 1e3 - kernel_us}
    g.release()
    return out


def measure_requests(acc, model: str, n_requests: int, seed: int = 0) -> dict:
    """Online requests of the saved recommender on `acc` (host.rec.serve), host.bench's fields."""
    import torch
    from host.rec.serve import OnlineRecommender, RequestTiming
    torch.set_num_threads(1)
    rec = OnlineRecommender.load(model, acc)
    active = [u for u in range(rec.n_users) if len(rec.neighbours[u])]
    users = np.random.default_rng(seed).choice(active, n_requests, replace=True)
    for u in users[:min(20, n_requests)]:  # warm-up
        rec.recommend(int(u), 10)
    lat, parts, cycles, calls = [], [], [], []
    for u in users:
        timing = RequestTiming()
        t0 = time.perf_counter()
        rec.recommend(int(u), 10, timing)
        lat.append((time.perf_counter() - t0) * 1e3)
        parts.append([timing.graph_s * 1e3, timing.aggregate_s * 1e3, timing.head_s * 1e3, timing.rank_s * 1e3])
        cycles.append(timing.cycles)
        calls.append(timing.calls)
    p = np.asarray(parts)
    return {"n_requests": int(n_requests), "n_users": rec.n_users, "n_items": rec.n_items, "model": str(model),
            **percentiles(lat), "latencies_ms": lat, "kernel_cycles_median": float(np.median(cycles)),
            "calls_per_request": float(np.median(calls)),
            "parts_ms": {name: {"p50": float(np.percentile(p[:, k], 50)), "p99": float(np.percentile(p[:, k], 99))}
                         for k, name in enumerate(("graph", "aggregate", "head", "rank"))}}


def run(args) -> dict:
    on_board = args.backend == "board"
    options = accelerator_options(args.backend, args.bitfile, args.overlay)
    if args.backend == "sim" and args.library:
        options["library"] = args.library
    quick = args.quick
    scale, reps = (0.02, 2) if quick else (args.graph_scale, args.reps)
    n_requests = 30 if quick else args.requests
    t_start = time.perf_counter()
    with Accelerator(args.backend, **options) as acc:
        build = builds.build_of(acc.hw)
        clock, clock_source = pl_clock_mhz(acc, build)
        transport = getattr(acc.backend, "transport", None)
        result = {
            "schema": SCHEMA, "backend": args.backend, "measured_on_board": on_board,
            "note": "measured on the board" if on_board else
                    f"NOT A BOARD: backend '{args.backend}' on {platform.machine()}; wall times are this machine's "
                    "(the simulator's for sim), kernel_ms are simulated cycles at an assumed clock",
            "board": pynq_board() if on_board else None, "build": build.name if build else None,
            "hw": dataclasses.asdict(acc.hw), "clock_mhz": clock, "clock_source": clock_source,
            "pynq_version": getattr(transport, "pynq_version", None) if on_board else None,
            "bitfile": getattr(transport, "bitfile", None) if on_board else None,
            "machine": {"platform": platform.platform(), "machine": platform.machine(),
                        "python": platform.python_version(), "cpus": os.cpu_count()},
            "config": {"graph_scale": scale, "feat_dim": args.feat_dim, "reps": reps, "gathers": args.gathers.split(","),
                       "requests": n_requests, "model": args.model, "quick": quick},
        }
        result["layers"] = [measure_layer(acc, build, clock, graph_scale=scale, feat_dim=args.feat_dim,
                                          gathers=args.gathers.split(","), reps=reps)]
        result["ps_pl"] = measure_ps_pl(acc, clock, reps)
        if args.model:
            result["requests"] = {"backends": {f"Hybrid + quant. ({args.backend}, measured)":
                                               measure_requests(acc, args.model, n_requests) |
                                               {"projected": False, "measured_on_board": on_board,
                                                "board": result["board"], "clock_mhz": clock}}}
        else:
            result["requests"] = {"skipped": "no --model: pass a recommender.pt written by `python -m host.rec` "
                                             "(docs/BOARD.md) to time online requests"}
    result["wall_s"] = time.perf_counter() - t_start
    return result


def summary(r: dict) -> str:
    lines = [f"gnn_agg board measurement: backend {r['backend']}, build {r['build']}, clock {r['clock_mhz']} MHz "
             f"({r['clock_source']})", f"  {r['note']}"]
    layer = r["layers"][0]
    for a in layer["accelerator"]:
        m = a["measured"]
        kernel = f", kernel {m['kernel_ms']:.3f} ms ({a['cycles']:,} cycles)" if m["kernel_ms"] else ""
        lines.append(f"  layer {layer['graph']} ({layer['n_edges']:,} edges, F={layer['feat_dim']}), {a['gather']}: "
                     f"{m['wall_ms']['median_ms']:.3f} ms median, {m['wall_ms']['min_ms']:.3f} ms min{kernel}; "
                     f"bit-exact {a['bit_exact']}")
    ps = r["ps_pl"]
    if "register_read_us" in ps:
        lines.append(f"  PS-PL: register read {ps['register_read_us']:.2f} us, sync to/from device (4 KiB) "
                     f"{ps['sync_to_device_4k_us']:.2f} / {ps['sync_from_device_4k_us']:.2f} us")
    mc = ps["minimal_call"]
    lines.append(f"  minimal call: {mc['wall_ms']['median_ms'] * 1e3:.1f} us median, of which kernel "
                 f"{mc['kernel_us']:.2f} us: overhead {mc['overhead_us']:.1f} us")
    for name, b in r["requests"].get("backends", {}).items():
        lines.append(f"  online requests ({b['n_requests']}): p50 {b['p50_ms']:.3f} ms, p99 {b['p99_ms']:.3f} ms")
    if "skipped" in r["requests"]:
        lines.append(f"  online requests: skipped ({r['requests']['skipped']})")
    return "\n".join(lines)


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host.bench.board", description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--backend", default="board", choices=("board", "sim", "cpu"),
                    help="board on a board; sim or cpu check the command anywhere (marked as not a board)")
    ap.add_argument("--bitfile", help="board: the gnn_agg.bit (default: host/overlays/<$BOARD>/, then gnn_agg_overlay)")
    ap.add_argument("--overlay", help="board: a board name (pynq-z2 | kv260 | zcu104) or a folder holding gnn_agg.bit")
    ap.add_argument("--library", help="sim: a prebuilt harness library")
    ap.add_argument("--model", help="recommender.pt (python -m host.rec) for online requests; needs torch")
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--graph-scale", type=float, default=1.0, help="ML-1M-shaped graph size (1 = ML-1M)")
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--gathers", default="table,dram")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks the command, not the design")
    ap.add_argument("--out", default="results/board")
    ap.add_argument("--debug", action="store_true", help="a traceback instead of a one-line error")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    from host.rec.cli import user_errors
    args = parse_args(argv)

    def measure() -> None:
        result = run(args)
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        (out / "board.json").write_text(json.dumps(result, indent=1, default=str))
        print(summary(result))
        print(f"wrote {out / 'board.json'}")
    return user_errors(measure, "python -m host.bench.board", args.debug)


if __name__ == "__main__":
    raise SystemExit(main())
