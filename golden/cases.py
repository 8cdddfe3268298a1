"""The shared case set: seeded random problems plus the edge and error cases that the RTL
(cocotb), the HLS C simulation and the host backends all run, each with its golden answer.

    vectors = standard_cases(hw, seed=1, n_random=200)

Every case is small enough for a Python-driven RTL simulation; `scale` grows the random ones.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .contract import IDX16_MAX_SRC, DEFAULT_HW, Err, HwConfig, Mode, Problem
from .graph import CSR, pass_order, tile_csr
from .hw_model import gnn_agg
from .norm import normalization
from .vectors import Vector, feat_dtype

NORMS = ("symmetric", "mean", "sum", "weighted")


def random_graph(rng: np.random.Generator, n_dst: int, n_src: int, mean_degree: float,
                 skew: float = 1.0) -> CSR:
    """Destination degrees ~ Poisson, sources drawn with power-law popularity (exponent `skew`),
    so some sources are hubs and some rows are empty -- like a user-item graph."""
    deg = rng.poisson(mean_degree, n_dst) if n_dst else np.zeros(0, dtype=np.int64)
    if n_src == 0:
        deg[:] = 0
    pop = (np.arange(1, n_src + 1, dtype=np.float64) ** -skew) if n_src else np.ones(0)
    pop = rng.permutation(pop / pop.sum()) if n_src else pop
    src = rng.choice(n_src, size=int(deg.sum()), p=pop) if n_src else np.zeros(0, dtype=np.int64)
    row_ptr = np.concatenate([[0], np.cumsum(deg)])
    return CSR(row_ptr, src, n_src)


def make_vector(name: str, csr: CSR, x_q: np.ndarray, norm_kind: str, rng: np.random.Generator,
                apply_w: bool = False, relu: bool = False, dram: bool = False, idx16: bool = False,
                hw: HwConfig = DEFAULT_HW, w_scale: float = 0.25, tiled: bool = False,
                tile_order=None) -> Vector:
    """Quantize a normalization (and W) in the build's formats, pack the buffers in the build's
    element sizes, run the golden model for the expected output. `tiled`: the call in TILED mode
    over golden.graph.tile_csr(csr, hw.table_rows(F)) with the tiles in `tile_order` (None: the
    host's choice, golden.graph.pass_order), the same expected output."""
    fmt = hw.formats
    edge_w = rng.uniform(0.0, min(1.5, fmt.coef.max), csr.n_edges) if norm_kind == "weighted" else None
    qn = normalization(csr, norm_kind, edge_w=edge_w).quantized(fmt.coef)
    mode = qn.mode
    w_q = None
    feat_dim = x_q.shape[1]
    if apply_w:
        mode |= Mode.APPLY_W
        w_q = fmt.wgt.quantize(rng.normal(0, w_scale / np.sqrt(feat_dim), (feat_dim, feat_dim)))
    if relu:
        mode |= Mode.RELU
    if dram:
        mode |= Mode.DRAM_GATHER
    if idx16:
        mode |= Mode.IDX16
    expect = gnn_agg(csr.row_ptr, csr.col_idx, x_q, n_src=csr.n_src, mode=mode,
                     src_scale=qn.src_scale, dst_scale=qn.dst_scale, edge_w=qn.edge_w, weight=w_q, hw=hw)
    feat_type = feat_dtype(hw.feat_bits)
    arrays = {
        "row_ptr": csr.row_ptr.astype("<u4"),
        "col_idx": csr.col_idx.astype("<u2" if idx16 else "<u4"),
        "feat_in": np.ascontiguousarray(x_q, dtype=feat_type),
    }
    for key, arr in (("edge_w", qn.edge_w), ("src_scale", qn.src_scale), ("dst_scale", qn.dst_scale)):
        if arr is not None:
            arrays[key] = arr.astype("<u2")
    if w_q is not None:
        arrays["weight"] = w_q.astype(feat_type)
    n_pairs = 0
    if tiled:
        rows = hw.table_rows(feat_dim)
        layout = tile_csr(csr, rows, pass_order(csr, rows, feat_dim, hw.feat_bytes) if tile_order is None else tile_order)
        mode |= Mode.TILED
        n_pairs = layout.n_pairs
        arrays["row_ptr"] = layout.pairs.astype("<u4")
        arrays["col_idx"] = layout.col_idx.astype("<u2")
        if "edge_w" in arrays:
            arrays["edge_w"] = layout.permute_edges(arrays["edge_w"])
    problem = Problem(csr.n_dst, csr.n_src, csr.n_edges, feat_dim, int(mode), n_pairs)
    return Vector(name, problem, arrays, expect)


def random_features(rng, n: int, feat_dim: int, spread: float = 1.0,
                    hw: HwConfig = DEFAULT_HW) -> np.ndarray:
    return hw.formats.feat.quantize(rng.normal(0, spread, (n, feat_dim)))


def random_vector(rng: np.random.Generator, name: str, hw: HwConfig = DEFAULT_HW, scale: int = 1) -> Vector:
    n_dst = int(rng.integers(0, 24 * scale + 1))
    n_src = int(rng.integers(1, 24 * scale + 1))
    feat_dim = hw.feat_align * int(rng.integers(1, max(2, min(4, hw.max_feat // hw.feat_align)) + 1))
    csr = random_graph(rng, n_dst, n_src, rng.uniform(0, 6), skew=rng.uniform(0.3, 1.5))
    x = random_features(rng, n_src, feat_dim, spread=rng.choice([0.25, 1.0, 4.0]), hw=hw)
    return make_vector(name, csr, x, str(rng.choice(NORMS)), rng, apply_w=bool(rng.random() < 0.3),
                       relu=bool(rng.random() < 0.4), dram=bool(rng.random() < 0.3),
                       idx16=bool(rng.random() < 0.2), hw=hw)


def edge_cases(hw: HwConfig = DEFAULT_HW, seed: int = 0) -> list[Vector]:
    rng = np.random.default_rng(seed)
    fa = hw.feat_align
    out = []
    empty = CSR(np.zeros(1, np.uint32), np.zeros(0, np.uint32), 0)
    feat = hw.formats.feat
    out.append(make_vector("empty_graph", empty, np.zeros((0, fa), feat.dtype), "sum", rng, hw=hw))
    no_edges = CSR(np.zeros(6, np.uint32), np.zeros(0, np.uint32), 3)
    out.append(make_vector("rows_without_neighbours", no_edges, random_features(rng, 3, fa, hw=hw), "symmetric", rng, hw=hw))
    single = CSR(np.array([0, 1], np.uint32), np.array([0], np.uint32), 1)
    out.append(make_vector("single_node_self_loop", single, random_features(rng, 1, fa, hw=hw), "symmetric", rng, hw=hw))
    hub_deg = 4096
    hub = CSR(np.array([0, 3, 3 + hub_deg, 3 + hub_deg + 2], np.uint32),
              rng.integers(0, 50, 3 + hub_deg + 2).astype(np.uint32), 50)
    for kind in ("sum", "symmetric", "mean"):
        out.append(make_vector(f"hub_{hub_deg}_{kind}", hub, random_features(rng, 50, fa, 0.5, hw=hw), kind, rng, hw=hw))
    g = random_graph(rng, 5, 7, 3)
    out.append(make_vector("feat_dim_at_limit", g, random_features(rng, 7, hw.max_feat, hw=hw), "symmetric",
                           rng, apply_w=True, relu=True, hw=hw))
    big = np.full((8, fa), feat.int_max, feat.dtype)  # the build's own extremes
    big[::2] = feat.int_min
    sat = CSR(np.array([0, 8, 16], np.uint32), np.array(list(range(0, 8, 2)) * 2 + list(range(8)), np.uint32), 8)
    out.append(make_vector("saturate_sum", sat, big, "sum", rng, hw=hw))
    out.append(make_vector("saturate_w_relu", sat, big, "mean", rng, apply_w=True, relu=True, w_scale=8.0, hw=hw))
    # more source rows than the node table holds: several partitions (and the acc_buf path)
    rows = hw.table_rows(fa)
    n_src = 2 * rows + rows // 2 + 1
    tiled = random_graph(rng, 12, n_src, 20, skew=0.2)
    for kind, dram in (("symmetric", False), ("weighted", False), ("symmetric", True)):
        out.append(make_vector(f"tiled_{kind}{'_dram' if dram else ''}", tiled,
                               random_features(rng, n_src, fa, hw=hw), kind, rng, dram=dram, hw=hw))
    idx = random_graph(rng, 9, min(IDX16_MAX_SRC, 300), 5)
    out.append(make_vector("idx16_gcn", idx, random_features(rng, idx.n_src, fa, hw=hw), "symmetric", rng,
                           apply_w=True, relu=True, idx16=True, hw=hw))
    return out


def error_cases(hw: HwConfig = DEFAULT_HW, seed: int = 0) -> list[Vector]:
    """Malformed calls: the golden model rejects them; the hardware must flag `expect_error`,
    still raise ap_done, write nothing outside feat_out/acc_buf, and run the next call."""
    rng = np.random.default_rng(seed)
    fa = hw.feat_align
    base = make_vector("base", random_graph(rng, 6, 9, 3), random_features(rng, 9, fa, hw=hw), "symmetric", rng, hw=hw)
    out = []

    def variant(name, err, **changes):
        v = Vector(name, base.problem, {k: a.copy() for k, a in base.arrays.items()}, None, int(err))
        for key, val in changes.items():
            if key == "problem":
                v.problem = val
            elif key == "pointer":
                v.pointer_override = val
            elif key == "axi_error":
                v.axi_error = val
            else:
                v.arrays[key] = val
        out.append(v)
        return v

    p = base.problem
    col = base.arrays["col_idx"].copy()
    col[len(col) // 2] = p.n_src
    variant("err_index_eq_n_src", Err.INDEX, col_idx=col)
    col2 = base.arrays["col_idx"].copy()
    col2[-1] = 0xFFFFFFFF
    variant("err_index_huge", Err.INDEX, col_idx=col2)
    rp = base.arrays["row_ptr"].copy()
    rp[2] = rp[3] + 1
    variant("err_row_ptr_decreasing", Err.ROW_PTR, row_ptr=rp)
    rp_end = base.arrays["row_ptr"].copy()
    rp_end[-1] = p.n_edges + 5
    variant("err_row_ptr_past_end", Err.ROW_PTR, row_ptr=rp_end)
    variant("err_feat_dim_not_lanes", Err.ARG,
            problem=Problem(p.n_dst, p.n_src, p.n_edges, fa + fa // 2 if fa > 1 else 0, p.mode))
    variant("err_feat_dim_too_big", Err.ARG, problem=Problem(p.n_dst, p.n_src, p.n_edges, hw.max_feat + fa, p.mode))
    layout, _ = base.layout(hw)
    variant("err_misaligned_feat_in", Err.ALIGN, pointer={"feat_in": layout["feat_in"][0] + 2})
    variant("err_misaligned_feat_out", Err.ALIGN, pointer={"feat_out": layout["feat_out"][0] + 8})
    variant("err_wrapping_feat_out", Err.RANGE, pointer={"feat_out": (1 << 64) - BUFFER_TAIL})
    variant("err_null_col_idx", Err.ARG, pointer={"col_idx": 0})
    variant("err_axi_slverr_feat_in", Err.AXI_RD, axi_error=(layout["feat_in"][0], layout["feat_in"][1]))
    return out


BUFFER_TAIL = 64  # a pointer this close to 2**64 makes any non-trivial buffer wrap


def standard_cases(hw: HwConfig = DEFAULT_HW, seed: int = 1, n_random: int = 200, scale: int = 1) -> list[Vector]:
    rng = np.random.default_rng(seed)
    randoms = [random_vector(rng, f"random_{i:04d}", hw, scale) for i in range(n_random)]
    return edge_cases(hw, seed) + randoms + error_cases(hw, seed)


def partial_row_cases(hw: HwConfig = DEFAULT_HW, seed: int = 0) -> list[Vector]:
    """Four source partitions (the remainder partition on top) and destination rows whose edges
    read chosen sets of them, for the RTL's row plans (a row's acc_buf partial row is read and
    written only in the passes that touch it; it is finished in the pass of its lowest
    partition): rows without edges (first, last, in runs), rows touched only by the first pass,
    only by the last, only by a middle one, by two non-adjacent passes, by all; runs of 40 rows
    of one kind (long stretches with nothing for a pass, and back-to-back acc_buf read-backs);
    a hub row; duplicate edges. Every normalization, W + ReLU (rows finished in early passes
    through W), IDX16, a shuffled row order, and DRAM-gather (one pass)."""
    rng = np.random.default_rng(seed)
    fa = hw.feat_align
    feat_dim = next((d for d in range(fa, hw.max_feat + 1, fa) if hw.table_rows(d) <= 32), hw.max_feat)
    rows = hw.table_rows(feat_dim)
    n_src = 3 * rows + rows // 2 + 1
    parts = [(p * rows, min((p + 1) * rows, n_src)) for p in range(4)]
    kinds = [(), (3,), (0,), (1,), (2,), (3, 0), (3, 2), (2, 1), (1, 0), (3, 1), (2, 0), (3, 1, 0), (3, 2, 1, 0)]
    plan = [(), (), (3,), (0,), (3, 0)] + list(kinds)
    for run in ((0,), (3,), (3, 2, 1, 0), (), (1,), (3, 0)):
        plan += [run] * 40 + list(kinds)
    plan += [kinds[int(i)] for i in rng.integers(0, len(kinds), 60)] + [()]
    cols = []
    for r, kind in enumerate(plan):
        row = []
        for p in kind:
            lo, hi = parts[p]
            row += list(rng.integers(lo, hi, int(rng.integers(1, 5))))
        if row and rng.random() < 0.2:
            row += row[:2]                                    # duplicate edges
        if r == len(plan) // 2:
            row += list(rng.integers(0, n_src, 150))         # a hub reading every partition
        cols.append(rng.permutation(np.array(row, np.int64)))
    row_ptr = np.concatenate([[0], np.cumsum([len(c) for c in cols])]).astype(np.uint32)
    csr = CSR(row_ptr, np.concatenate(cols).astype(np.uint32), n_src)
    x_q = random_features(rng, n_src, feat_dim, hw=hw)
    out = [make_vector(f"partial_rows_{norm}", csr, x_q, norm, rng, hw=hw) for norm in NORMS]
    out.append(make_vector("partial_rows_w_relu", csr, x_q, "symmetric", rng, apply_w=True, relu=True, hw=hw))
    out.append(make_vector("partial_rows_idx16", csr, x_q, "mean", rng, idx16=True, hw=hw))
    shuffled = csr.take_rows(rng.permutation(csr.n_dst))
    out.append(make_vector("partial_rows_shuffled_w", shuffled, x_q, "mean", rng, apply_w=True, hw=hw))
    out.append(make_vector("partial_rows_gather", csr, x_q, "symmetric", rng, dram=True, hw=hw))
    return out


def tiled_bipartite_cases(hw: HwConfig = DEFAULT_HW, seed: int = 0) -> list[Vector]:
    """Source-tiled user-first bipartite graphs (3-4 partitions of the build's table) in their
    natural row order and in golden.graph.spread_row_order, with 32- and 16-bit indices, every
    normalization and DRAM-gather: the walker's word-rate scan of out-of-partition indices and
    the packing of a group's contributing edges into its slots, with long runs of rows that
    have nothing in a pass and rows whose edges all lie in one."""
    from .graph import spread_row_order, synthetic_bipartite
    rng = np.random.default_rng(seed)
    feat_dim = hw.feat_align * max(1, min(hw.max_feat // hw.feat_align, 64 // hw.feat_align))
    rows = hw.table_rows(feat_dim)
    n_users, n_items = int(1.5 * rows) + 1, 2 * rows - 3
    graph = synthetic_bipartite(n_users, n_items, 8 * (n_users + n_items), seed=seed).unified()
    x_q = random_features(rng, graph.n_src, feat_dim, hw=hw)
    out = []
    for order_name, csr in (("natural", graph), ("spread", graph.take_rows(spread_row_order(graph.n_dst)))):
        for norm in NORMS:
            for idx16 in (False, True):
                out.append(make_vector(f"tiled_{order_name}_{norm}_{'idx16' if idx16 else 'idx32'}", csr, x_q,
                                       norm, rng, idx16=idx16, hw=hw))
        out.append(make_vector(f"tiled_{order_name}_gather", csr, x_q, "symmetric", rng, dram=True, hw=hw))
    return out


def tiled_cases(hw: HwConfig = DEFAULT_HW, seed: int = 0) -> list[Vector]:
    """TILED mode (golden.graph.tile_csr): the partial-row graph (four partitions; rows that read
    none, one, two non-adjacent or all of them; runs of 40 rows of one kind; a hub; duplicate
    edges) with every normalization (edge_w permuted) and W + ReLU, in the host's pass order,
    descending, ascending and a shuffled one; the bipartite graph in spread order; one
    partition, also with wrong ADD / FIN flags (ignored: no acc_buf access, exact feat_out); a
    partition no row reads (an empty tile); read-ahead hints that name a later tile, the first
    tile or no partition (exact: the hint only saves time); layouts validate_tiled refuses but the kernel runs
    exactly: a tile split by a second marker of its partition (P + 1 passes), markers with
    ADD|FIN set; then the bad inputs with their exact stat_error: a local index outside its
    partition (INDEX), rows not ascending in a tile, a row >= n_dst, a marker with edges (one
    index 0xFFFF: ROW_PTR alone, unchecked), a later marker naming P or 2^29 - 1 (ROW_PTR, and its
    tile's edges INDEX), an extra marker naming P with no pairs (ROW_PTR alone), a first pair
    that is no marker or names P, the last edge end != n_edges (ROW_PTR before the passes; also one
    pair alone whose hint equals n_edges), TILED
    with IDX16 or n_pairs = 0 (ARG)."""
    from .contract import TILE_ADD, TILE_END, TILE_FIN, TILE_ROW_MASK
    rng = np.random.default_rng(seed)
    base = partial_row_cases(hw, seed)[0]
    p = base.problem
    csr = CSR(base.arrays["row_ptr"], base.arrays["col_idx"].astype(np.uint32), p.n_src)
    x_q = base.arrays["feat_in"]
    feat_dim = p.feat_dim
    rows = hw.table_rows(feat_dim)
    parts = hw.partitions(p.n_src, feat_dim)
    out = [make_vector(f"tiled_rows_{norm}", csr, x_q, norm, rng, hw=hw, tiled=True) for norm in NORMS]
    out.append(make_vector("tiled_rows_w_relu", csr, x_q, "symmetric", rng, apply_w=True, relu=True, hw=hw,
                           tiled=True))
    shuffled = tuple(int(q) for q in rng.permutation(parts))
    for name, order in (("descending", tuple(range(parts - 1, -1, -1))), ("ascending", tuple(range(parts))),
                        ("shuffled", shuffled)):
        out.append(make_vector(f"tiled_rows_{name}", csr, x_q, "weighted", rng, hw=hw, tiled=True, tile_order=order))
    bip = tiled_bipartite_cases(hw, seed)[len(NORMS) * 2 + 1]   # spread order, symmetric, idx32
    bcsr = CSR(bip.arrays["row_ptr"], bip.arrays["col_idx"].astype(np.uint32), bip.problem.n_src)
    out.append(make_vector("tiled_bipartite_spread", bcsr, bip.arrays["feat_in"], "symmetric", rng, hw=hw,
                           tiled=True))
    one = random_graph(rng, 30, rows, 3)
    out.append(make_vector("tiled_one_partition", one, random_features(rng, rows, feat_dim, hw=hw), "mean", rng,
                           hw=hw, tiled=True))
    # one partition with every row pair saying ADD and not FIN: acc_buf is no buffer of the call
    # (pointer 0), so the kernel finishes every row whatever the flags and feat_out is exact
    one_vec = out[-1]
    flagged = one_vec.arrays["row_ptr"].reshape(-1, 2).copy()
    is_row = (flagged[:, 0] & TILE_END) == 0
    flagged[is_row, 0] = (flagged[is_row, 0] | TILE_ADD) & ~np.uint32(TILE_FIN)
    out.append(Vector("tiled_one_partition_wrong_flags", one_vec.problem,
                      dict(one_vec.arrays, row_ptr=flagged.reshape(-1).astype("<u4")), one_vec.expect))
    # sources in partitions 0 and 2 of 3 only: partition 1's tile is its marker alone
    gap = random_graph(rng, 25, 3 * rows, 4)
    cols = gap.col_idx.astype(np.int64)
    cols = np.where(cols // rows == 1, cols + rows, cols)
    gap = CSR(gap.row_ptr, cols.astype(np.uint32), 3 * rows)
    out.append(make_vector("tiled_empty_tile", gap, random_features(rng, 3 * rows, feat_dim, hw=hw), "weighted",
                           rng, hw=hw, tiled=True, tile_order=(2, 1, 0)))

    # the read-ahead hint (pair 0's end) only saves time: a descending layout (first tile the
    # remainder partition, so a kernel has room to read ahead) with a hint naming a later tile
    # than the second, the first tile itself, and no partition at all runs exactly
    desc = next(v for v in out if v.name == "tiled_rows_descending")
    for name, hint in (("later", 1), ("first", parts - 1), ("past_p", 0xFFFFFFFF)):
        hinted = desc.arrays["row_ptr"].reshape(-1, 2).copy()
        hinted[0, 1] = hint
        out.append(Vector(f"tiled_hint_{name}", desc.problem, dict(desc.arrays, row_ptr=hinted.reshape(-1)), desc.expect))

    good = out[0]   # tiled_rows_symmetric: four tiles
    pairs = good.arrays["row_ptr"].reshape(-1, 2)
    marks = np.flatnonzero(pairs[:, 0] & TILE_END)
    rows_at = np.flatnonzero((pairs[:, 0] & TILE_END) == 0)

    def with_pairs(name, pr, expect, err=0):
        problem = dataclasses.replace(good.problem, n_pairs=len(pr))
        out.append(Vector(name, problem, dict(good.arrays, row_ptr=pr.reshape(-1).astype("<u4")), expect, int(err)))

    # tile 1 split in two by a second marker of its partition (its rows' flags stay right)
    half = (marks[1] + 1 + marks[2]) // 2
    with_pairs("tiled_split_tile", np.insert(pairs, half, [pairs[marks[1], 0], pairs[half - 1, 1]], axis=0),
               good.expect)
    flagged = pairs.copy()
    flagged[marks, 0] |= np.uint32(TILE_ADD | TILE_FIN)
    with_pairs("tiled_marker_flags", flagged, good.expect)
    with_pairs("tiled_err_marker_past_p_empty", np.append(pairs, [[TILE_END | parts, p.n_edges]], axis=0).astype(np.uint32),
               None, Err.ROW_PTR)

    def bad(name, err, pairs_fn=None, idx_fn=None, problem=None):
        arrays = dict(good.arrays)
        if pairs_fn is not None:
            pr = pairs.copy()
            pairs_fn(pr)
            arrays["row_ptr"] = pr.reshape(-1).astype("<u4")
        if idx_fn is not None:
            ci = good.arrays["col_idx"].copy()
            idx_fn(ci)
            arrays["col_idx"] = ci
        out.append(Vector(name, problem or good.problem, arrays, None, int(err)))

    first = int(pairs[0, 0]) & TILE_ROW_MASK                     # the first pass's partition
    first_rows = min(rows, p.n_src - first * rows)
    bad("tiled_err_local_index", Err.INDEX, idx_fn=lambda ci: ci.__setitem__(0, first_rows))
    a, b = rows_at[0], rows_at[1]
    bad("tiled_err_not_ascending", Err.ROW_PTR, pairs_fn=lambda pr: pr.__setitem__((b, 0), pr[a, 0]))
    bad("tiled_err_row_range", Err.ROW_PTR,
        pairs_fn=lambda pr: pr.__setitem__((rows_at[-1], 0), (int(pr[rows_at[-1], 0]) & 0xE0000000) | p.n_dst))
    m = int(marks[1])   # the second marker takes the edges of the row before it (dropped unchecked)
    bad("tiled_err_marker_edges", Err.ROW_PTR, pairs_fn=lambda pr: pr.__setitem__((m - 1, 1), pr[m - 2, 1]),
        idx_fn=lambda ci: ci.__setitem__(int(pairs[m - 1, 1]) - 1, 0xFFFF))
    bad("tiled_err_marker_past_p", Err.ROW_PTR | Err.INDEX, pairs_fn=lambda pr: pr.__setitem__((m, 0), TILE_END | parts))
    bad("tiled_err_marker_range", Err.ROW_PTR | Err.INDEX,
        pairs_fn=lambda pr: pr.__setitem__((m, 0), TILE_END | TILE_ROW_MASK))
    bad("tiled_err_first_not_marker", Err.ROW_PTR, pairs_fn=lambda pr: pr.__setitem__((0, 0), pr[1, 0]))
    bad("tiled_err_first_marker_range", Err.ROW_PTR, pairs_fn=lambda pr: pr.__setitem__((0, 0), TILE_END | parts))
    bad("tiled_err_last_end", Err.ROW_PTR, pairs_fn=lambda pr: pr.__setitem__((-1, 1), p.n_edges + 1))
    # one pair: its end is the hint, not an edge end, so the last edge end is 0, not n_edges
    with_pairs("tiled_err_one_pair", np.array([[TILE_END | first, p.n_edges]], np.uint32), None, Err.ROW_PTR)
    bad("tiled_err_idx16", Err.ARG, problem=Problem(p.n_dst, p.n_src, p.n_edges, feat_dim,
                                                    good.problem.mode | Mode.IDX16, good.problem.n_pairs))
    bad("tiled_err_no_pairs", Err.ARG, problem=Problem(p.n_dst, p.n_src, p.n_edges, feat_dim, good.problem.mode, 0))
    return out
