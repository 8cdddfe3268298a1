"""Host driver for the gnn_agg accelerator: one API, three backends.

    acc = Accelerator(backend="cpu")          # "cpu" | "sim" | "board"
    g = acc.load_graph(csr, norm)             # validated, quantized, uploaded once
    y_q = acc.aggregate(g, x_q, weight_q=None, relu=False, gather="table")
    acc.status                                # RunStatus of the last call
    acc.close()

Everything a caller can get wrong is checked here, before a backend sees it, so a bad call raises
ValueError and nothing reaches the device. The backends only move data and run the kernel:

* ``cpu``   -- golden.hw_model.gnn_agg (vectorized NumPy/SciPy), for machines with no device;
* ``sim``   -- the RTL compiled by Verilator with the C++ harness in sim/harness/;
* ``board`` -- a PYNQ overlay on a Zynq board.

``sim`` and ``board`` share host/driver/backends/device.py (buffer packing and the register sequence);
they differ only in the transport underneath. See docs/HOST.md.

Threads: one Accelerator may be shared by many threads. Every public call that touches the
backend (load_graph, load_features, aggregate, GraphHandle/FeatureHandle.release, close) holds
`acc.lock` (a re-entrant lock), so register sequences never interleave; `acc.status` is the last
call's, so a thread that wants its own call's status holds `acc.lock` across both.
The driver keeps copies of what it validated (CSR arrays, uploaded features): a caller may
mutate its arrays afterwards. Masked arrays are refused (their mask would hide values).
"""
from __future__ import annotations

import threading

import numpy as np

from golden.contract import (BOARDS, IDX16_MAX_SRC, MAX_DEGREE, TILE_END, TILE_ROW_MASK, TILED_MAX_DST,
                             TILED_MAX_ROWS, HwConfig, Mode, Problem)
from golden.fixed import COEF, FixedFormat
from golden.graph import CSR, pass_order, tile_csr, tile_edges, validate_csr, validate_tiled
from golden.hw_model import check_problem
from golden.norm import Normalization

from .types import Backend, DeviceError, GraphArrays, LayerCall, RunStatus, TiledArrays

BACKENDS = ("cpu", "sim", "board")
GATHERS = {"table": 0, "dram": int(Mode.DRAM_GATHER)}
NORM_BITS = Mode.PRE_SCALE | Mode.POST_SCALE | Mode.EDGE_WEIGHT


class GraphHandle:
    """A graph loaded on one Accelerator. Reuse it for any number of aggregate() calls;
    `release()` (or Accelerator.close()) frees its device buffers."""

    def __init__(self, owner: "Accelerator", arrays: GraphArrays, state):
        self._owner = owner
        self.arrays = arrays
        self.state = state  # the backend's own record of the uploaded buffers
        self.released = False
        self._layouts: dict[int, TiledArrays] = {}  # tiled layouts by table rows R, built on first use

    @property
    def layouts(self) -> dict[int, TiledArrays]:
        """The tiled layouts built so far, by table rows R (a copy; freed with the graph)."""
        return dict(self._layouts)

    def layout(self, rows_per_part: int, feat_dim: int, feat_bytes: int) -> TiledArrays:
        """The tiled layout for R = rows_per_part, built and checked on the first call that needs it
        (its pass order chosen for that call's feat_dim, golden.graph.pass_order)."""
        if rows_per_part not in self._layouts:
            self._layouts[rows_per_part] = prepare_tiled(self.arrays, rows_per_part, feat_dim, feat_bytes)
        return self._layouts[rows_per_part]

    @property
    def n_dst(self) -> int:
        return self.arrays.n_dst

    @property
    def n_src(self) -> int:
        return self.arrays.n_src

    @property
    def n_edges(self) -> int:
        return self.arrays.n_edges

    @property
    def mode(self) -> int:
        return self.arrays.mode

    def release(self) -> None:
        with self._owner.lock:
            if not self.released:
                self._owner.backend.release_graph(self.state)
                self._layouts.clear()
                self.released = True
                self._owner._graphs.discard(self)  # a server loads and releases one per batch


class FeatureHandle:
    """Source features loaded on one Accelerator: checked and uploaded once, then given to any
    number of aggregate() calls in place of an array (the item-side state an online request
    reuses). `release()` (or Accelerator.close()) frees the device buffer."""

    def __init__(self, owner: "Accelerator", array: np.ndarray, state):
        self._owner = owner
        self.array = array  # FEAT integers [n_src, feat_dim] (the build's dtype), C-contiguous
        self.state = state  # the backend's record of the uploaded buffer
        self.released = False

    @property
    def shape(self) -> tuple[int, int]:
        return self.array.shape

    def release(self) -> None:
        with self._owner.lock:
            if not self.released:
                self._owner.backend.release_features(self.state)
                self.released = True
                self._owner._features.discard(self)


class Accelerator:
    """The gnn_agg accelerator behind one of the backends in BACKENDS.

    `hw` is the build's HwConfig; by default the cpu and sim backends use BOARDS["pynq-z2"] and
    the board backend reads it from the hardware (sim and board check it against the hw_*
    registers, number formats included). Features, W and the normalization are checked and
    packed in the build's formats, `self.formats` (FEAT, WGT, COEF of `hw.formats`). Further keyword options go to the backend
    (see host/driver/backends/*.py and docs/HOST.md), e.g. ``Accelerator("sim", read_latency=40)`` or
    ``Accelerator("board", bitfile="gnn_agg.bit")``.

    Thread-safe: every public call that touches the backend holds `self.lock` (an RLock); hold it
    yourself to read `status` of your own call (``with acc.lock: y = acc.aggregate(...); acc.status``)."""

    def __init__(self, backend: str = "cpu", hw: HwConfig | None = None, **options):
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if hw is not None and not isinstance(hw, HwConfig):
            raise ValueError(f"hw must be a golden.contract.HwConfig, got {type(hw).__name__}")
        self.backend_name = backend
        self.backend: Backend = _open_backend(backend, hw, options)
        self.hw: HwConfig = self.backend.hw
        self.formats = self.hw.formats
        self.status = RunStatus()
        self._graphs: set[GraphHandle] = set()      # loaded and not released yet (close releases them)
        self._features: set[FeatureHandle] = set()
        self._closed = False
        self.lock = threading.RLock()

    # -- graphs ---------------------------------------------------------------------------
    def load_graph(self, csr: CSR, norm: Normalization, *, idx16: bool | None = None) -> GraphHandle:
        """Validate `csr` and `norm`, quantize the normalization factors to the build's COEF and upload the
        graph buffers once. `idx16` stores col_idx as uint16 (halves the index stream); by
        default it is used whenever n_src <= 65536."""
        arrays = prepare_graph(csr, norm, idx16=idx16, coef=self.formats.coef)  # private copies
        with self.lock:
            self._check_open()
            handle = GraphHandle(self, arrays, self.backend.upload_graph(arrays))
            self._graphs.add(handle)
        return handle

    def load_features(self, x_q) -> FeatureHandle:
        """Check and upload source features once (FEAT integers [n_src, F]) for many calls."""
        x = fixed_array(x_q, "x_q", self.formats.feat, ndim=2, copy=True)  # kept: the caller's may change
        with self.lock:
            self._check_open()
            handle = FeatureHandle(self, x, self.backend.upload_features(x))
            self._features.add(handle)
        return handle

    # -- layers ---------------------------------------------------------------------------
    def aggregate(self, g: GraphHandle, x_q, weight_q=None, relu: bool = False,
                  gather: str = "table", *, tiled: bool | None = None) -> np.ndarray:
        """One Eq. 1 layer on graph `g`: returns FEAT integers [n_dst, F] (int16 in the default
        build), bit-exact with golden.hw_model.gnn_agg. `x_q` holds FEAT integers [n_src, F] with
        F a multiple of hw.feat_align, or is a FeatureHandle from load_features; `weight_q` holds
        WGT integers [F, F] (W[out][in]) or is None; `gather` is "table" or "dram".

        `tiled` picks the table mode's edge layout: None (default) runs the tiled layout
        (Mode.TILED, golden.graph.tile_csr) on the sim and board backends when the sources need
        more than one partition of this build's table at this F, the CSR otherwise; True or
        False forces it (comparisons). The layout depends on R = hw.table_rows(F): one is built,
        checked and uploaded per (graph, R) on the first call that needs it, and freed with the
        graph. The output is the same bits either way."""
        with self.lock:
            self._check_open()
            call = self.prepare_call(g, x_q, weight_q, relu, gather, tiled=tiled)
            try:
                y, self.status = self.backend.run(g.state, g.arrays, call)
            except DeviceError as e:
                if e.status is not None:
                    self.status = e.status
                raise
        return y

    def prepare_call(self, g: GraphHandle, x_q, weight_q=None, relu: bool = False,
                     gather: str = "table", *, tiled: bool | None = None) -> LayerCall:
        """The checks aggregate() makes, as a LayerCall (ValueError on anything malformed); a
        TILED call builds (or reuses) the graph's layout for this F."""
        if not isinstance(g, GraphHandle) or g._owner is not self:
            raise ValueError("g must be a GraphHandle returned by this Accelerator's load_graph")
        if g.released:
            raise ValueError("this graph was released; load it again")
        if gather not in GATHERS:
            raise ValueError(f"gather must be one of {tuple(GATHERS)}, got {gather!r}")
        if not isinstance(relu, (bool, np.bool_)):
            raise ValueError(f"relu must be a bool, got {relu!r}")
        feat_state = None
        if isinstance(x_q, FeatureHandle):
            if x_q._owner is not self or x_q.released:
                raise ValueError("x_q is a FeatureHandle of another Accelerator, or was released")
            x, feat_state = x_q.array, x_q.state
        else:
            x = fixed_array(x_q, "x_q", self.formats.feat, ndim=2)
        if x.shape[0] != g.n_src:
            raise ValueError(f"x_q has {x.shape[0]} rows, the graph has n_src={g.n_src}")
        feat_dim = x.shape[1]
        mode = g.mode | GATHERS[gather] | (int(Mode.RELU) if relu else 0)
        w = None
        if weight_q is not None:
            w = fixed_array(weight_q, "weight_q", self.formats.wgt, ndim=2)
            if w.shape != (feat_dim, feat_dim):
                raise ValueError(f"weight_q must be [F, F] = ({feat_dim}, {feat_dim}), got {w.shape}")
            mode |= int(Mode.APPLY_W)
        check_problem(g.n_dst, g.n_src, g.n_edges, feat_dim, mode, self.hw)
        if self._use_tiled(g, feat_dim, gather, tiled):
            layout = g.layout(self.hw.table_rows(feat_dim), feat_dim, self.hw.feat_bytes)
            mode = (mode & ~int(Mode.IDX16)) | int(Mode.TILED)  # TILED has its own 16-bit indices
            check_problem(g.n_dst, g.n_src, g.n_edges, feat_dim, mode, self.hw)
            return LayerCall(Problem(g.n_dst, g.n_src, g.n_edges, feat_dim, mode, layout.n_pairs), x, w,
                             feat_state, layout)
        return LayerCall(Problem(g.n_dst, g.n_src, g.n_edges, feat_dim, mode), x, w, feat_state)

    def _use_tiled(self, g: GraphHandle, feat_dim: int, gather: str, tiled: bool | None) -> bool:
        if tiled is not None and not isinstance(tiled, (bool, np.bool_)):
            raise ValueError(f"tiled must be a bool or None, got {tiled!r}")
        rows = self.hw.table_rows(feat_dim)
        fits = rows <= TILED_MAX_ROWS and g.n_dst <= TILED_MAX_DST
        if tiled is None:
            return bool(gather == "table" and self.backend.tiled_by_default and fits
                        and self.hw.partitions(g.n_src, feat_dim) > 1)
        if tiled and gather != "table":
            raise ValueError("tiled=True is a table-mode layout: not with gather='dram'")
        if tiled and not fits:
            raise ValueError(f"the tiled layout needs R = hw.table_rows({feat_dim}) = {rows} <= {TILED_MAX_ROWS} "
                             f"(16-bit local indices) and n_dst={g.n_dst} <= {TILED_MAX_DST}")
        return bool(tiled)

    # -- life cycle -----------------------------------------------------------------------
    def close(self) -> None:
        with self.lock:
            if self._closed:
                return
            for handle in [*self._graphs, *self._features]:
                handle.release()
            self._graphs.clear()
            self._features.clear()
            self.backend.close()
            self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _check_open(self):
        if self._closed:
            raise ValueError("this Accelerator is closed")


def prepare_graph(csr: CSR, norm: Normalization, idx16: bool | None = None,
                  coef: FixedFormat = COEF) -> GraphArrays:
    """Validate a graph and its normalization against the contract's limits and pack both in
    the DDR dtypes, the factors quantized to `coef` (ValueError naming the first problem)."""
    if not isinstance(csr, CSR):
        raise ValueError(f"csr must be a golden.graph.CSR, got {type(csr).__name__}")
    if not isinstance(norm, Normalization):
        raise ValueError(f"norm must be a golden.norm.Normalization, got {type(norm).__name__}")
    # CSR validates at construction, but its arrays are mutable: copy them, then check the copies
    # (what is validated is what the backend gets, whatever the caller does to its arrays later)
    row_ptr, col_idx = _plain(csr.row_ptr, "csr.row_ptr"), _plain(csr.col_idx, "csr.col_idx")
    validate_csr(row_ptr, col_idx, csr.n_src)
    n_dst, n_src, n_edges = len(row_ptr) - 1, csr.n_src, len(col_idx)
    for name, v in (("n_dst", n_dst), ("n_src", n_src), ("n_edges", n_edges)):
        if v >= 1 << 32:
            raise ValueError(f"{name}={v} does not fit the 32-bit argument register")
    deg = np.diff(row_ptr.astype(np.int64))
    if deg.size and deg.max() > MAX_DEGREE:
        v = int(np.argmax(deg))
        raise ValueError(f"destination {v} has degree {int(deg[v])} > {MAX_DEGREE} (MAX_DEGREE): "
                         f"its sum could overflow the accumulator; split the row")
    mode = int(norm.mode)
    if mode & ~int(NORM_BITS):
        raise ValueError(f"norm.mode 0x{mode:x} has bits other than PRE_SCALE/POST_SCALE/EDGE_WEIGHT")
    src_scale = _coef(norm.src_scale, Mode.PRE_SCALE, mode, "src_scale", n_src, coef)
    dst_scale = _coef(norm.dst_scale, Mode.POST_SCALE, mode, "dst_scale", n_dst, coef)
    edge_w = _coef(norm.edge_w, Mode.EDGE_WEIGHT, mode, "edge_w", n_edges, coef)
    if idx16 is None:
        idx16 = n_src <= IDX16_MAX_SRC
    elif idx16 and n_src > IDX16_MAX_SRC:
        raise ValueError(f"idx16 needs n_src <= {IDX16_MAX_SRC}, got {n_src}")
    if idx16:
        mode |= int(Mode.IDX16)
    col_idx = np.ascontiguousarray(col_idx, dtype="<u2" if idx16 else "<u4")
    return GraphArrays(np.ascontiguousarray(row_ptr, dtype="<u4"), col_idx, edge_w, src_scale,
                       dst_scale, n_src, mode)


def prepare_tiled(graph: GraphArrays, rows_per_part: int, feat_dim: int, feat_bytes: int) -> TiledArrays:
    """The tiled layout of a prepared graph for R = rows_per_part (golden.graph.tile_csr) in the
    pass order golden.graph.pass_order chooses for feat_dim and the build's FEAT bytes, in the
    DDR dtypes, edge_w permuted to its edge order. What is uploaded is checked here, on private
    copies: golden.graph.validate_tiled (the kernel's structural rules), and that tiled edge i is
    CSR edge edge_order[i] -- same destination row, same global source -- with edge_order a
    permutation, so the layout encodes exactly this graph (ValueError otherwise)."""
    csr = CSR(graph.row_ptr.astype(np.int64), graph.col_idx.astype(np.int64), graph.n_src)
    layout = tile_csr(csr, rows_per_part, pass_order(csr, rows_per_part, feat_dim, feat_bytes))
    pairs = _plain(layout.pairs, "layout.pairs")
    col_idx = _plain(layout.col_idx, "layout.col_idx")
    order = _plain(layout.edge_order, "layout.edge_order")
    n_dst, n_edges = csr.n_dst, csr.n_edges
    validate_tiled(pairs, col_idx, n_dst, csr.n_src, rows_per_part)
    if order.shape != (n_edges,) or not np.issubdtype(order.dtype, np.integer) or \
            not np.array_equal(np.sort(order), np.arange(n_edges)):
        raise ValueError(f"the layout's edge_order is not a permutation of the graph's {n_edges} edges")
    word = pairs[:, 0].astype(np.int64)
    start, end = tile_edges(pairs)
    deg = end - start
    is_mark = (word & TILE_END) != 0
    part = np.repeat((word[is_mark] & TILE_ROW_MASK)[np.cumsum(is_mark) - 1], deg)   # each tile's marker names it
    row = np.repeat(word & TILE_ROW_MASK, deg)
    src = col_idx.astype(np.int64) + part * rows_per_part
    csr_row, csr_src = csr.dst_of_edges()[order], csr.col_idx[order].astype(np.int64)
    bad = (row != csr_row) | (src != csr_src)
    if bad.any():
        e = int(np.argmax(bad))
        raise ValueError(f"tiled edge {e} (row {int(row[e])}, source {int(src[e])}) is not CSR edge "
                         f"{int(order[e])} (row {int(csr_row[e])}, source {int(csr_src[e])}): the layout "
                         f"does not encode this graph")
    edge_w = None if graph.edge_w is None else np.ascontiguousarray(graph.edge_w[order], dtype="<u2")
    return TiledArrays(np.ascontiguousarray(pairs, dtype="<u4"), np.ascontiguousarray(col_idx, dtype="<u2"),
                       edge_w, rows_per_part)


def _plain(a, name: str) -> np.ndarray:
    """A private copy of `a` as a plain ndarray (masked arrays refused: the mask would be dropped)."""
    if isinstance(a, np.ma.MaskedArray):
        raise ValueError(f"{name} is a masked array: fill it (a.filled(...)) or drop the masked entries first")
    return np.array(a, copy=True, subok=False)


def _coef(values, flag: Mode, mode: int, name: str, length: int, coef: FixedFormat) -> np.ndarray | None:
    """A normalization factor (float) quantized to `coef`, or None when the mode does not use it."""
    if not mode & flag:
        if values is not None:
            raise ValueError(f"norm.{name} is given but norm.mode has no {flag.name}")
        return None
    if values is None:
        raise ValueError(f"norm.mode has {flag.name} but norm.{name} is missing")
    a = _plain(values, f"norm.{name}")
    if a.shape != (length,):
        raise ValueError(f"norm.{name} has shape {a.shape}, the graph needs ({length},)")
    if a.size and not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"norm.{name} must be real numbers, got {a.dtype}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        e = int(np.argmax(~np.isfinite(a)))
        raise ValueError(f"norm.{name}[{e}] is {a[e]}: NaN and inf have no fixed-point value")
    if a.size and (a.min() < coef.min or a.max() > coef.max):
        raise ValueError(f"norm.{name} must lie in [{coef.min}, {coef.max}] ({coef.hls_type}), "
                         f"got [{a.min()}, {a.max()}]")
    return coef.quantize(a).astype("<u2")


def fixed_array(a, name: str, fmt: FixedFormat, ndim: int, copy: bool = False) -> np.ndarray:
    """An integer array already in fixed-point format `fmt`, as a C-contiguous fmt.dtype array
    (a private copy with `copy`). Subclasses are viewed as plain arrays; masked arrays are refused
    (min()/max() skip masked entries, so the range check would not see them)."""
    if not isinstance(a, np.ndarray):
        raise ValueError(f"{name} must be a numpy array of {fmt.dtype} ({fmt.hls_type}), got {type(a).__name__}")
    if isinstance(a, np.ma.MaskedArray):
        raise ValueError(f"{name} is a masked array: fill it (a.filled(...)) or drop the masked entries first")
    if type(a) is not np.ndarray:
        a = a.view(np.ndarray)  # np.matrix, memmap, ...: the same numbers as a plain array
    if a.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {a.shape}")
    if not np.issubdtype(a.dtype, np.integer):
        hint = ""
        if np.issubdtype(a.dtype, np.floating):
            bad = a.size and not np.all(np.isfinite(a))
            hint = (" and it contains NaN or inf" if bad else "") + \
                f"; quantize with golden.fixed.FixedFormat.quantize ({fmt.hls_type}) first"
        raise ValueError(f"{name} must hold {fmt.dtype} fixed-point integers, got {a.dtype}{hint}")
    if a.size and (a.min() < fmt.int_min or a.max() > fmt.int_max):
        raise ValueError(f"{name} has values outside [{fmt.int_min}, {fmt.int_max}] ({fmt.hls_type})")
    if copy:
        return np.array(a, dtype=fmt.dtype, order="C", copy=True)
    return np.ascontiguousarray(a, dtype=fmt.dtype)


def _open_backend(name: str, hw: HwConfig | None, options: dict):
    if name == "cpu":
        from .backends.cpu import CpuBackend
        return CpuBackend(hw or BOARDS["pynq-z2"], **options)
    if name == "sim":
        from .backends.sim import open_sim
        return open_sim(hw or BOARDS["pynq-z2"], **options)
    try:
        from .backends.board import open_board
    except ModuleNotFoundError as e:
        if e.name != "pynq":
            raise
        raise RuntimeError("the board backend needs pynq (on the board: pip install 'gnn-agg[board]'); "
                           "use backend='sim' or 'cpu' on other machines") from e
    return open_board(hw, **options)

