"""One Eq. 1 layer and its scaling: the CPU implementations a user would pick instead of the
accelerator (measured here), and the accelerator's exact cycles from the RTL simulation,
projected to each board's clock."""
from __future__ import annotations

import sys
import time

import numpy as np
from tqdm import tqdm

from golden.contract import BOARDS
from golden.fixed import FEAT
from golden.graph import CSR
from host.driver import Accelerator

from .config import BoardModel, sim_options
from .workloads import ml1m_graph, time_ms


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
        "board": board.name, "build": board.build, "gather": gather, "bit_exact": bool(np.array_equal(y, expect)),
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
            board = cfg.board_models[bname]
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
        board = cfg.board_models[cfg.boards[0]]
        with Accelerator("sim", hw=board.hw, **sim_options(cfg, board.name)) as acc:
            acc.aggregate(acc.load_graph(csr, norm), FEAT.quantize(x))
            point["board"] = board.name
            point["cycles"] = acc.status.cycles
            point["projected_ms"] = acc.status.cycles / (board.clocks_mhz[0] * 1e3)
    return point


def build_simulations(cfg) -> dict:
    """Build (or find) the RTL simulation of every board before anything is measured; a board
    the RTL cannot be built for stops the benchmark here with a message saying so."""
    from sim.harness.build import BuildError, build
    libraries = {}
    for board in cfg.boards:
        hw = cfg.board_models[board].hw
        if not cfg.quiet:
            print(f"RTL simulation for {board} ({hw.bus_bits}-bit bus, {hw.lanes} lanes, {hw.pes} PE): "
                  "building or reusing build/harness/ ...", file=sys.stderr, flush=True)
        try:
            libraries[board] = str(build(hw))
        except BuildError as e:
            detail = str(e).splitlines()
            fatal = [line.strip() for line in detail if "$fatal" in line or "%Error" in line or "gnn_agg:" in line]
            raise RuntimeError(
                f"the RTL cannot be built for board {board!r} (BUS_BITS={hw.bus_bits}, "
                f"LANES={hw.lanes}, PES={hw.pes}) in this tree, so its cycles cannot be simulated.\n"
                f"  {(fatal or detail)[0][:300]}\n"
                f"  Run without it, e.g. --boards {','.join(b for b in cfg.boards if b != board) or 'pynq-z2'} "
                f"(BENCH_ARGS='--boards ...' for make bench), or --backends cpu.") from None
    return libraries

