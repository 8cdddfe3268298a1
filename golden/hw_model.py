"""Bit-exact model of what the gnn_agg kernel computes (docs/CONTRACT.md, "Arithmetic").

For destination v, feature element j, with q_F(.) = AP_RND + AP_SAT into FEAT:

    t_u   = PRE_SCALE   ? q_F(src_scale[u] * x_u)   : x_u        (as the row enters the table)
    m_e   = EDGE_WEIGHT ? q_F(edge_w[e] * t_u)       : t_u        (the only per-edge multiply)
    acc_v = sum_e m_e                                             (exact in ACC)
    y_v   = POST_SCALE  ? q_F(dst_scale[v] * acc_v)  : sat_F(acc_v)
    y_v   = APPLY_W     ? q_F(sum_k W[j][k] * y_v[k]) : y_v       (exact sum, one rounding)
    y_v   = RELU        ? max(y_v, 0)                : y_v

The formats are the build's (golden.contract.HwConfig.formats; the default build is FEAT Q4.12,
COEF UQ1.15, WGT Q4.12, ACC 32 bits). The sum is exact because a row has at most MAX_DEGREE =
2**16 terms of FEAT bits and every build has ACC bits >= FEAT bits + 16, so neither the order of
the adds nor the number of processing elements or source partitions changes a bit.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .contract import ALL_MODE_BITS, DEFAULT_HW, IDX16_MAX_SRC, MAX_DEGREE, HwConfig, Mode
from .fixed import DEFAULT_FORMATS, FixedFormat, NumericFormats
from .graph import validate_csr

EDGE_CHUNK = 1 << 16
SMALL_EDGES = 1 << 12  # below this, summing gathered rows beats building a sparse matrix


def _check_int_array(a, name: str, shape: tuple, fmt: FixedFormat) -> np.ndarray:
    a = np.asarray(a)
    if a.shape != shape:
        raise ValueError(f"{name} has shape {a.shape}, expected {shape}")
    if a.size and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must hold {fmt.dtype} fixed-point integers, got {a.dtype} "
                         f"(quantize floats with FixedFormat.quantize first)")
    if a.size and (a.min() < fmt.int_min or a.max() > fmt.int_max):
        raise ValueError(f"{name} has values outside [{fmt.int_min}, {fmt.int_max}] ({fmt.hls_type})")
    return a.astype(np.int64)


def check_problem(n_dst: int, n_src: int, n_edges: int, feat_dim: int, mode: int,
                  hw: HwConfig = DEFAULT_HW) -> None:
    """The argument checks the kernel itself makes (Err.ARG), as ValueErrors."""
    if mode & ~ALL_MODE_BITS:
        raise ValueError(f"mode 0x{mode:x} has unknown bits (known: 0x{ALL_MODE_BITS:x})")
    for name, v in (("n_dst", n_dst), ("n_src", n_src), ("n_edges", n_edges)):
        if not 0 <= v < 1 << 32:
            raise ValueError(f"{name}={v} does not fit 32 bits")
    if feat_dim <= 0 or feat_dim > hw.max_feat or feat_dim % hw.feat_align:
        raise ValueError(f"feat_dim={feat_dim} must be a positive multiple of {hw.feat_align} "
                         f"(lanes={hw.lanes}, bus={hw.bus_bits} bits) and at most {hw.max_feat}")
    if mode & Mode.IDX16 and n_src > IDX16_MAX_SRC:
        raise ValueError(f"IDX16 needs n_src <= {IDX16_MAX_SRC}, got {n_src}")
    if mode & Mode.TILED and mode & (Mode.DRAM_GATHER | Mode.IDX16):
        raise ValueError("TILED is a table mode with its own 16-bit indices: not with DRAM_GATHER or IDX16")


def gnn_agg(row_ptr, col_idx, feat_in, *, n_src: int, mode: int, src_scale=None, dst_scale=None,
            edge_w=None, weight=None, hw: HwConfig = DEFAULT_HW,
            fmt: NumericFormats | None = None) -> np.ndarray:
    """One kernel call on the kernel's own arguments; returns feat_out (FEAT integers). The
    formats are the build's (`hw.formats`) unless `fmt` is given."""
    mode = int(mode)
    fmt = hw.formats if fmt is None else fmt
    validate_csr(row_ptr, col_idx, n_src)
    row_ptr = np.asarray(row_ptr, dtype=np.int64)
    col_idx = np.asarray(col_idx, dtype=np.int64)
    n_dst, n_edges = len(row_ptr) - 1, len(col_idx)
    feat_in = np.asarray(feat_in)
    if feat_in.ndim != 2:
        raise ValueError(f"feat_in must be 2-D [n_src, feat_dim], got shape {feat_in.shape}")
    feat_dim = feat_in.shape[1]
    check_problem(n_dst, n_src, n_edges, feat_dim, mode, hw)
    deg = np.diff(row_ptr)
    if deg.size and deg.max() > MAX_DEGREE:
        raise ValueError(f"row {int(np.argmax(deg))} has degree {int(deg.max())} > {MAX_DEGREE}, "
                         f"which could overflow the {fmt.acc.bits}-bit accumulator")
    x = _check_int_array(feat_in, "feat_in", (n_src, feat_dim), fmt.feat)

    def operand(flag, arr, name, shape, f):
        if mode & flag:
            if arr is None:
                raise ValueError(f"mode has {flag.name} but {name} is missing")
            return _check_int_array(arr, name, shape, f)
        if arr is not None:
            raise ValueError(f"{name} is given but mode has no {flag.name}")
        return None

    s_src = operand(Mode.PRE_SCALE, src_scale, "src_scale", (n_src,), fmt.coef)
    s_dst = operand(Mode.POST_SCALE, dst_scale, "dst_scale", (n_dst,), fmt.coef)
    w_e = operand(Mode.EDGE_WEIGHT, edge_w, "edge_w", (n_edges,), fmt.coef)
    w = operand(Mode.APPLY_W, weight, "weight", (feat_dim, feat_dim), fmt.wgt)

    return aggregate_core(row_ptr, col_idx, x, mode, s_src, s_dst, w_e, w, fmt)


def aggregate_core(row_ptr, col_idx, feat_in, mode: int, src_scale=None, dst_scale=None,
                   edge_w=None, weight=None, fmt: NumericFormats = DEFAULT_FORMATS) -> np.ndarray:
    """The arithmetic of gnn_agg without its checks, for callers that validated the operands
    once and call many times (host.driver's cpu backend). Only the source rows the edges name are
    pre-scaled -- the same numbers as scaling the whole table, at the cost of the gather, which
    is what makes a one-row request cheap."""
    row_ptr = np.asarray(row_ptr, dtype=np.int64)
    col_idx = np.asarray(col_idx, dtype=np.int64)
    if 2 * len(col_idx) < len(feat_in):  # few edges: work on the rows they name only
        used, col_idx = np.unique(col_idx, return_inverse=True)
        feat_in = feat_in[used]
        src_scale = None if src_scale is None else np.asarray(src_scale)[used]
    x = np.asarray(feat_in, dtype=np.int64)
    if src_scale is None:
        t = x
    else:
        t = fmt.feat.round_shift(np.asarray(src_scale, np.int64)[:, None] * x, fmt.coef.frac).astype(np.int64)
    w_e = None if edge_w is None else np.asarray(edge_w, dtype=np.int64)
    acc = _edge_sum(row_ptr, col_idx, t, w_e, fmt)
    if dst_scale is None:
        y = fmt.feat.saturate(acc)
    else:
        y = fmt.feat.round_shift(np.asarray(dst_scale, np.int64)[:, None] * acc, fmt.coef.frac)
    if weight is not None:
        y = fmt.feat.round_shift(y.astype(np.int64) @ np.asarray(weight, np.int64).T, fmt.wgt.frac)
    if mode & Mode.RELU:
        y = np.maximum(y, 0)
    return y.astype(fmt.feat.dtype)


def _edge_sum(row_ptr, col_idx, t, w_e, fmt: NumericFormats) -> np.ndarray:
    """acc[v] = sum over v's edges of m_e, exactly, in int64."""
    n_dst, n_edges = len(row_ptr) - 1, len(col_idx)
    if n_edges <= SMALL_EDGES:  # a request-sized call: gather the terms, add them per row
        m = t[col_idx] if w_e is None else \
            fmt.feat.round_shift(w_e[:, None] * t[col_idx], fmt.coef.frac).astype(np.int64)
        acc = np.zeros((n_dst, t.shape[1]), dtype=np.int64)
        rows = np.flatnonzero(row_ptr[:-1] < row_ptr[1:])  # reduceat's segments need non-empty rows
        if len(rows):
            acc[rows] = np.add.reduceat(m, row_ptr[rows], axis=0)
        return acc
    if w_e is None:  # adds only: the adjacency (duplicates counted) times t, exact in int64
        a = sp.csr_matrix((np.ones(n_edges, dtype=np.int64), col_idx, row_ptr),
                          shape=(n_dst, t.shape[0]))
        return np.asarray(a @ t, dtype=np.int64)
    acc = np.zeros((n_dst, t.shape[1]), dtype=np.int64)
    dst = np.repeat(np.arange(n_dst), np.diff(row_ptr))
    for lo in range(0, n_edges, EDGE_CHUNK):
        hi = min(lo + EDGE_CHUNK, n_edges)
        m = fmt.feat.round_shift(w_e[lo:hi, None] * t[col_idx[lo:hi]], fmt.coef.frac)
        scatter = sp.csr_matrix((np.ones(hi - lo, dtype=np.int64), (dst[lo:hi], np.arange(hi - lo))),
                                shape=(n_dst, hi - lo))
        acc += scatter @ m.astype(np.int64)
    return acc


def error_bound(row_ptr, col_idx, feat_in, *, n_src: int, mode: int, src_scale=None,
                dst_scale=None, edge_w=None, weight=None, fmt: NumericFormats = DEFAULT_FORMATS):
    """Per-element bound on |gnn_agg(...) * lsb - float Eq. 1| where the float reference uses the
    *unquantized* coefficients (src_scale etc. given here as floats) and the dequantized
    features x = feat_in * lsb. Valid where no step saturates. Each rounding to FEAT adds at
    most half an LSB; each quantized coefficient is off by at most half a COEF LSB:

        e_t   = |x| dc + df                         (PRE_SCALE, else 0)
        e_m   = |w| e_t + |t| dc + df               (EDGE_WEIGHT, else e_t)
        e_acc = sum_e e_m
        e_y   = |d| e_acc + |acc| dc + df           (POST_SCALE, else e_acc)
        e_z   = |W| e_y + |W - Wq| |y| + df         (APPLY_W; ReLU never increases an error)

    with df = FEAT lsb / 2, dc = COEF lsb / 2; |t|, |acc|, |y| are bounded by the float
    magnitudes plus their own errors. Returns (bound, valid): float64 [n_dst, feat_dim] arrays,
    `valid` False where a magnitude bound of some step reaches the FEAT range (saturation may
    occur there and the bound does not apply)."""
    row_ptr = np.asarray(row_ptr, dtype=np.int64)
    col_idx = np.asarray(col_idx, dtype=np.int64)
    x = np.abs(fmt.feat.to_float(feat_in))
    df, dc = fmt.feat.lsb / 2, fmt.coef.lsb / 2
    n_dst = len(row_ptr) - 1
    a = sp.csr_matrix((np.ones(len(col_idx)), col_idx, row_ptr), shape=(n_dst, n_src))
    limit = fmt.feat.max
    if mode & Mode.PRE_SCALE:
        s = np.abs(np.asarray(src_scale, dtype=np.float64))[:, None]
        e_t, t_mag = x * dc + df, s * x + x * dc + df
    else:
        e_t, t_mag = np.zeros_like(x), x
    if mode & Mode.EDGE_WEIGHT:
        w = np.abs(np.asarray(edge_w, dtype=np.float64))
        aw = sp.csr_matrix((w, col_idx, row_ptr), shape=(n_dst, n_src))
        e_acc = aw @ e_t + a @ (t_mag * dc + e_t * dc + df)
        acc_mag = aw @ t_mag + e_acc
        # every term m_e must stay in range (a row's largest weight times the largest |t|)
        term_ok = aw.max(axis=1).toarray() * t_mag.max(initial=0) < limit if n_src \
            else np.ones((n_dst, 1), bool)
    else:
        e_acc = a @ e_t
        acc_mag = a @ t_mag
        term_ok = np.ones((n_dst, 1), bool)
    if mode & Mode.POST_SCALE:
        d = np.abs(np.asarray(dst_scale, dtype=np.float64))[:, None]
        e_y = d * e_acc + acc_mag * dc + df
        y_mag = d * acc_mag + e_y
    else:
        e_y, y_mag = e_acc, acc_mag
    valid = np.asarray(term_ok & (y_mag < limit))
    if mode & Mode.APPLY_W:
        wf = np.asarray(weight, dtype=np.float64)
        wq_err = np.abs(fmt.wgt.to_float(fmt.wgt.quantize(wf)) - wf)
        z_mag = y_mag @ (np.abs(wf) + wq_err).T
        e_y = e_y @ np.abs(wf).T + y_mag @ wq_err.T + e_y @ wq_err.T + df
        valid = valid.all(axis=1, keepdims=True) & (z_mag + e_y < limit)
    return np.asarray(e_y), np.broadcast_to(valid, e_y.shape)
