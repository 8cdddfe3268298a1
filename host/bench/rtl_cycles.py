"""Cycle benchmark of the gnn_agg RTL on a recommender-shaped graph (a benchmark, not a test).

    python -m host.bench.rtl_cycles [--graph ml1m|gowalla|amazon-book] [--scale 0.25] [--feat-dim 64]
                            [--latency 64] [--board pynq-z2] [--idx16] [--modes table,gather]
                            [--row-order natural|spread] [--mhz MHZ]
                            [--format feat_bits=8 --format feat_frac=4 ...]
                            [--latency-sweep docs/img/rtl_latency_sweep.png] [--ddr ideal|realistic|both]
                            [--apply-w]
    python -m host.bench.rtl_cycles --board kv260 --scale 1 --idx16   # ML-1M scale, 2,000,418 edges
    python -m host.bench.rtl_cycles --board kv260 --graph gowalla --scale 1 --modes table --row-order spread

`--apply-w` runs the layer with W (feat_dim x feat_dim, on chip) and ReLU after the aggregation
(MODE APPLY_W | RELU), which the epilogue computes at LANES products per cycle.

`--format FIELD=VALUE` changes one number format of the board's build (golden.contract
FORMAT_FIELDS), e.g. 8-bit features: --format feat_bits=8 --format feat_frac=4
--format wgt_frac=6 --format acc_bits=24.

Runs one layer in table mode and in DRAM-gather mode on the Verilator build with the C++ DDR
model of sim/harness (read latency `--latency` cycles, one beat per cycle each way: the "ideal"
model; `--ddr realistic` adds the board's refresh windows, row-buffer misses and a competing master
taking 20% of the data-bus cycles, sim/harness/ddr.py; `--ddr both` runs each mode under both),
checks the result bit for bit against golden.hw_model, and reports per mode and DDR model:

* cycles (stat_cycles), edges per cycle, read / write beats, read-bus utilization = read beats / cycles;
* the lower bound (`lower_bound`: reads, writes and adder time apart, each byte that must move
  counted once) and cycles / bound; the simulated cycles per second of the run;
* the projected time of the layer at `--mhz` (default: the target clock of the board's registry
  build, golden.builds.board_build; projected: simulated cycles, timing closure not checked).

Writes build/rtl/bench_rtl.json and prints a Markdown table (docs/RTL.md quotes it).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from golden import builds
from golden.cases import make_vector
from golden.contract import BOARDS, BUFFER_NAMES, FORMAT_FIELDS, HwConfig, Mode
from golden.graph import CSR, DATASET_SHAPES, PassTraffic, dataset_shaped, degree_stats, spread_row_order, tile_csr
from golden.vectors import feat_dtype
from host.driver.backends.device import execute
from host.driver.backends.sim import DDR_COUNTERS, SimTransport
from sim.harness.build import build
from sim.harness.ddr import realistic

ROOT = Path(__file__).resolve().parents[2]


def partial_rows(csr: CSR, rows_per_part: int) -> int:
    """Partial rows that source tiling must park in acc_buf (golden.graph.CSR.partial_rows)."""
    return csr.partial_rows(rows_per_part)


def lower_bound(csr: CSR, mode: int, feat_dim: int, hw: HwConfig, gather: bool) -> dict:
    """The cycles no schedule of the mode can beat on this build (docs/RTL.md "Cycle benchmark"):
    max(read bytes / bus bytes, write bytes / bus bytes, edges * F / (lanes * PEs)), reads and
    writes counted apart (AXI runs them in parallel), each byte that must move counted once:
    row_ptr, col_idx (+ edge_w, dst_scale, W) once; table mode: feat_in (+ src_scale) once and,
    with several partitions, 32-bit partial rows written and read back only for the partitions
    a row touches beyond its first (partial_rows); DRAM-gather: one feat_in row per edge (+ the
    bus word holding src_scale[u]) on one PE. Writes: feat_out (+ the partial rows). APPLY_W adds
    the epilogue's time: W @ y takes feat_dim * ceil(feat_dim / lanes) cycles per row (LANES
    products per cycle, one row at a time), in the compute bound when it is the larger."""
    m = Mode(mode)
    n_dst, n_src, n_edges = csr.n_dst, csr.n_src, csr.n_edges
    row = hw.feat_bytes * feat_dim
    if m & Mode.TILED:   # the tiles (pairs, 16-bit local indices), read once
        reads = tile_csr(csr, hw.table_rows(feat_dim)).nbytes
    else:
        reads = 4 * (n_dst + 1) + (2 if m & Mode.IDX16 else 4) * n_edges
    reads += 2 * n_edges if m & Mode.EDGE_WEIGHT else 0
    reads += 2 * n_dst if m & Mode.POST_SCALE else 0
    reads += hw.feat_bytes * feat_dim * feat_dim if m & Mode.APPLY_W else 0
    writes = n_dst * row
    if gather:
        reads += n_edges * (row + (hw.bus_bytes if m & Mode.PRE_SCALE else 0))
        pes = 1
    else:
        reads += n_src * (row + (2 if m & Mode.PRE_SCALE else 0))
        partial = 4 * feat_dim * partial_rows(csr, hw.table_rows(feat_dim))
        reads += partial
        writes += partial
        pes = hw.pes
    matvec = n_dst * feat_dim * -(-feat_dim // hw.lanes) if m & Mode.APPLY_W else 0
    bound = {"read_cycles": reads / hw.bus_bytes, "write_cycles": writes / hw.bus_bytes,
             "compute_cycles": max(n_edges * feat_dim / (hw.lanes * pes), matvec)}
    return {**bound, "bound": max(bound.values())}


def run_mode(transport, hw: HwConfig, vec) -> dict:
    """One call of `vec` through the driver's register sequence; its status registers and wall
    time (AssertionError unless the result is bit-exact and only the outputs were written)."""
    ptrs, image = vec.image(hw, image_base=transport.mem_base)
    transport.memory[:len(image)] = np.frombuffer(image, dtype=np.uint8)
    t0 = time.time()
    st = execute(transport, dict(zip(BUFFER_NAMES, ptrs)), vec.problem, timeout_s=3600)
    wall = time.time() - t0
    layout, _ = vec.layout(hw, transport.mem_base)
    addr, nbytes = layout["feat_out"]
    off = addr - transport.mem_base
    out = transport.memory[off:off + nbytes].view(feat_dtype(hw.feat_bits)).reshape(vec.expect.shape)
    if st.error or not np.array_equal(out, vec.expect) or vec.changed_outside_outputs(
            transport.memory, hw, transport.mem_base).size:
        raise AssertionError(f"wrong result: stat_error={st.error:#x}, "
                             f"{int(np.sum(out != vec.expect))} elements differ")
    return {"cycles": st.cycles, "edges": st.edges, "stalls": st.stalls, "rd_beats": st.rd_beats,
            "wr_beats": st.wr_beats, "error": st.error, "wall_s": wall}


def measure(transport_cls, lib, hw: HwConfig, vec, csr: CSR, gather: bool, latency: int, ddr=None) -> dict:
    """One run of `vec` (the layer on `csr`) at `latency` under `ddr` (a sim.harness.ddr.DdrModel;
    None: ideal); the row of the results table."""
    image_bytes = vec.layout(hw, 0x1000_0000)[1]
    transport = transport_cls(lib, mem_bytes=1 << (int(image_bytes + 4096).bit_length()),
                              read_latency=latency, write_latency=latency // 2, max_reads=64, max_writes=16,
                              **({"ddr": ddr} if ddr is not None else {}))
    try:
        st = run_mode(transport, hw, vec)
        ddr_events = {k: transport.counters()[k] for k in DDR_COUNTERS}
    finally:
        transport.close()
    p = vec.problem
    lb = lower_bound(csr, p.mode, p.feat_dim, hw, gather)
    return {"mode": "dram-gather" if gather else "table", "latency": latency,
            "ddr": ddr.describe() if ddr is not None else "ideal",
            "partitions": 1 if gather else hw.partitions(p.n_src, p.feat_dim),
            "cycles": st["cycles"], "edges": st["edges"], "edges_per_cycle": st["edges"] / st["cycles"],
            "rd_beats": st["rd_beats"], "wr_beats": st["wr_beats"], "stalls": st["stalls"],
            "read_bus_utilization": st["rd_beats"] / st["cycles"],
            "bound_read_cycles": lb["read_cycles"], "bound_write_cycles": lb["write_cycles"],
            "bound_compute_cycles": lb["compute_cycles"], "bound": lb["bound"],
            "cycles_over_bound": st["cycles"] / lb["bound"], "bit_exact": True, **ddr_events,
            "sim_wall_s": st["wall_s"],
            "sim_cycles_per_s": st["cycles"] / st["wall_s"]}


def latency_sweep(transport_cls, lib, hw, vectors, csr: CSR, png: str, title: str) -> list[dict]:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    latencies = (0, 16, 32, 64, 128, 256)
    runs = [measure(transport_cls, lib, hw, vec, csr, gather, lat)
            for gather, vec in vectors.items() for lat in tqdm(latencies, desc=f"gather={gather}")]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for mode in ("table", "dram-gather"):
        pts = [r for r in runs if r["mode"] == mode]
        ax.plot([r["latency"] for r in pts], [r["cycles_over_bound"] for r in pts], "o-", label=mode)
    ax.axhline(1.15, color="grey", ls="--", lw=1, label="target 1.15")
    ax.set_xlabel("read latency (cycles)")
    ax.set_ylabel("cycles / bound")
    ax.set_ylim(0.95, max(1.3, max(r["cycles_over_bound"] for r in runs) + 0.05))
    ax.set_title(title, fontsize=9)
    ax.legend()
    fig.tight_layout()
    Path(png).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=120)
    return runs


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graph", default="ml1m", choices=sorted(DATASET_SHAPES),
                    help="data set whose users / items / interactions the graph takes (golden.graph.DATASET_SHAPES)")
    ap.add_argument("--scale", type=float, default=0.25,
                    help="users/items scale, interactions scale^2 (ml1m: edges ~ 2M * scale^2)")
    ap.add_argument("--feat-dim", type=int, default=64)
    ap.add_argument("--latency", type=int, default=64, help="read latency in cycles")
    ap.add_argument("--board", default="pynq-z2", choices=sorted(BOARDS))
    ap.add_argument("--norm", default="symmetric", choices=("symmetric", "mean", "sum", "weighted"))
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--idx16", action="store_true", help="16-bit col_idx (needs <= 65536 nodes)")
    ap.add_argument("--apply-w", action="store_true", help="W (feat_dim x feat_dim) and ReLU after the aggregation")
    ap.add_argument("--row-order", default="natural", choices=("natural", "spread"),
                    help="destination row order: as generated (users, then items) or "
                         "golden.graph.spread_row_order (the host's order for source-tiled runs)")
    ap.add_argument("--modes", default="table,gather", help="comma list of table, gather")
    ap.add_argument("--tiled", action="store_true",
                    help="table mode over the tiled layout (Mode.TILED, golden.graph.tile_csr) instead of the CSR")
    ap.add_argument("--tile-order", default="model", choices=("model", "descending", "ascending"),
                    help="--tiled: the pass order (model: golden.graph.pass_order, the driver's choice)")
    ap.add_argument("--mhz", type=float, help="clock for the projected time (default: the board build's target clock)")
    ap.add_argument("--out", default=str(ROOT / "build" / "rtl" / "bench_rtl.json"))
    ap.add_argument("--format", action="append", default=[], metavar="FIELD=VALUE",
                    help=f"number format of the build, FIELD one of {', '.join(FORMAT_FIELDS)} (repeatable)")
    ap.add_argument("--latency-sweep", metavar="PNG",
                    help="also run read latencies 0..256 and plot cycles / bound per mode into PNG")
    ap.add_argument("--ddr", default="ideal", choices=("ideal", "realistic", "both"),
                    help="DDR model: ideal (fixed latency), realistic (the board's refresh, row misses, "
                         "20%% competing traffic; sim/harness/ddr.py) or both")
    args = ap.parse_args(argv)
    if args.mhz is None:
        args.mhz = float(builds.board_build(args.board).clock_mhz)

    formats = dict(f.split("=") for f in args.format)
    unknown = set(formats) - set(FORMAT_FIELDS)
    if unknown:
        ap.error(f"--format: unknown field(s) {sorted(unknown)}, expected {FORMAT_FIELDS}")
    hw = dataclasses.replace(BOARDS[args.board], **{k: int(v) for k, v in formats.items()})
    csr = dataset_shaped(args.graph, args.scale, args.seed).unified()
    if args.row_order == "spread":
        csr = csr.take_rows(spread_row_order(csr.n_dst))
    rng = np.random.default_rng(args.seed)
    x_q = hw.formats.feat.quantize(rng.normal(0, 0.5, (csr.n_src, args.feat_dim)))
    deg = degree_stats(csr.in_degree)
    print(f"graph: {csr.n_dst} nodes, {csr.n_edges} edges, degree mean {deg['mean']:.1f} max {deg['max']} "
          f"gini {deg['gini']:.2f}; F={args.feat_dim}; {hw}", flush=True)
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    lib = build(hw)
    tile_order = None
    if args.tiled:
        rows_per_part = hw.table_rows(args.feat_dim)
        model = PassTraffic(csr, rows_per_part, args.feat_dim, hw.feat_bytes)
        orders = {"descending": tuple(range(model.parts - 1, -1, -1)), "ascending": tuple(range(model.parts))}
        tile_order = orders.get(args.tile_order) or model.best()
        print("pass orders (PassTraffic model, bytes / bus bytes): " + ", ".join(
            f"{name} {o}: {model.cost(o) // hw.bus_bytes:,}"
            for name, o in (("chosen", tile_order), *orders.items())), flush=True)
    t0 = time.time()
    vectors = {gather: make_vector("bench", csr, x_q, args.norm, np.random.default_rng(args.seed),
                                   dram=gather, idx16=args.idx16 and not (args.tiled and not gather),
                                   apply_w=args.apply_w, relu=args.apply_w, hw=hw, tiled=args.tiled and not gather,
                                   tile_order=tile_order)
               for gather in (False, True) if ("gather" if gather else "table") in modes}
    print(f"golden model: {time.time() - t0:.1f} s", flush=True)
    ddr_models = {"ideal": [None], "realistic": [realistic(args.board, args.mhz)],
                  "both": [None, realistic(args.board, args.mhz)]}[args.ddr]
    rows = []
    for gather, vec in vectors.items():
        for ddr in ddr_models:
            rows.append(measure(SimTransport, lib, hw, vec, csr, gather, args.latency, ddr))
            rows[-1]["projected_ms"] = rows[-1]["cycles"] / (args.mhz * 1e3)
            print(json.dumps(rows[-1]), flush=True)
    sweep = None
    if args.latency_sweep:
        sweep = latency_sweep(SimTransport, lib, hw, vectors, csr, args.latency_sweep,
                              f"gnn_agg RTL, {hw.bus_bits}-bit bus, {hw.lanes} lanes: {csr.n_edges:,} edges, "
                              f"F={args.feat_dim}, {args.norm}")
        print(f"wrote {args.latency_sweep}")
    result = {"graph": {"shape": args.graph, "scale": args.scale, "nodes": csr.n_dst, "edges": csr.n_edges, **{k: deg[k] for k in ("mean", "max", "gini")}},
              "feat_dim": args.feat_dim, "latency": args.latency, "norm": args.norm, "idx16": args.idx16, "tiled": args.tiled, "tile_order": tile_order, "apply_w": args.apply_w, "row_order": args.row_order,
              "mhz": args.mhz,
              "hw": vars(hw) if hasattr(hw, "__dict__") else str(hw), "modes": rows,
              "latency_sweep": sweep}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1, default=str))
    print(f"\n| mode | DDR model | partitions | cycles | edges/cycle | read beats | write beats "
          f"| bound: read / write / compute | cycles / bound | bit-exact | ms at {args.mhz:g} MHz | sim cycles/s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['ddr']} | {r['partitions']} | {r['cycles']:,} | {r['edges_per_cycle']:.3f} | "
              f"{r['rd_beats']:,} | {r['wr_beats']:,} | {r['bound_read_cycles']:,.0f} / {r['bound_write_cycles']:,.0f} / "
              f"{r['bound_compute_cycles']:,.0f} | {r['cycles_over_bound']:.3f} | {'yes' if r['bit_exact'] else 'no'} | "
              f"{r['projected_ms']:.3f} | {r['sim_cycles_per_s']:,.0f} |")


if __name__ == "__main__":
    main()
