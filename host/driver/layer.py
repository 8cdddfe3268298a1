"""Float layers on top of `Accelerator`, in PyTorch Geometric's terms (issue 16, item 1).

    layer = GraphLayer(acc, edge_index, norm="gcn")      # or a scipy sparse matrix, or a CSR
    y = layer(x, weight=W, relu=False)                    # float [n_src, F] in, float [n_dst, F] out
    layer.error_bound(x, W)                               # bound on max |y - float Eq. 1|

The graph is built, normalized and uploaded once; each call quantizes the features and W into the
build's formats (`acc.formats`), pads F with zero columns up to a multiple of `hw.feat_align`, runs
`Accelerator.aggregate` and returns the first F columns as floats (float64).

Graphs. `edge_index` is PyG's [2, E] integer array (numpy, or anything with
``.detach().cpu().numpy()`` such as a torch tensor; torch is never imported here). With
``flow="source_to_target"`` (PyG's default) messages go from ``edge_index[0]`` to
``edge_index[1]``; with ``"target_to_source"`` the other way. ``num_nodes`` defaults to
``max(edge_index) + 1``. A scipy sparse matrix ``M`` of shape [n_dst, n_src] is read as PyG's
``adj_t`` (``y = M x``): each stored entry ``M[v, u] = k`` is k edges u -> v (k a positive integer,
an edge's multiplicity). A `golden.graph.CSR` is used as it is (destination-major).

Normalizations (`NORMS`), 1/c_vu of Eq. 1; ``deg`` counts edges, a repeated edge twice:

* ``"gcn"``: PyG ``GCNConv`` (``normalize=True``): ``deg(i)`` is the number of edges that end at i
  (PyG's ``gcn_norm`` counts degrees at the aggregating end, for both ends of an edge) and
  1/c_vu = deg(u)^-1/2 deg(v)^-1/2. ``self_loops`` defaults to True: PyG's
  ``add_remaining_self_loops`` (existing loops are removed, one loop per node is added). A source
  with degree 0 (possible only without self loops) has factor 0 in PyG: its edges are dropped.
* ``"lightgcn"``: PyG ``LGConv`` (``normalize=True``): ``"gcn"`` with ``self_loops=False``.
* ``"symmetric"``: gnn_agg's own (`golden.norm`): a source's degree is its out-degree (how often
  its row is gathered), so it equals ``"lightgcn"`` on an undirected graph (every edge in both
  directions) and differs on a directed one (docs/NUMERICS.md, "Differences from PyTorch
  Geometric").
* ``"mean"``, ``"sum"``: 1/|N(v)| and 1 (PyG ``SimpleConv(aggr="mean" | "sum")``).
* a `golden.norm.Normalization` built for a given `CSR` (no self loops added), e.g. ``"weighted"``.

``self_loops=True`` applies PyG's ``add_remaining_self_loops`` for any norm (square graphs only).

W. ``weight`` is [F, F] stored W[out][in], like ``torch.nn.Linear.weight`` (``GCNConv.lin.weight``).
gnn_agg applies W after the aggregation, PyG's ``GCNConv`` before it; W is linear, so both give
(A_hat x) W^T = A_hat (x W^T) in exact arithmetic. There is no bias.

Range policy: nothing saturates silently. ``x * scale`` must lie in FEAT's range and W in WGT's
(ValueError naming max |value| and the range otherwise); the layer computes on ``x * scale`` and
divides the result by ``scale`` (exact for the linear layer and for ReLU, for any scale > 0; a
power of two keeps the scaling itself exact). With ``check=True`` (default) a call whose
intermediate sums could leave the FEAT range (golden's magnitude analysis cannot exclude
saturation) is refused before it runs; ``check=False`` runs it anyway (AP_SAT saturation).

Error bound: `error_bounds` / `error_bound` bound |layer(x, W) - float Eq. 1 (x, W)| where float
Eq. 1 uses the given float x, float W and the exact normalization (what PyG computes, up to its own
float rounding): `golden.hw_model.error_bound` (docs/NUMERICS.md) for the fixed-point path on the
quantized features, plus the propagation of the features' quantization error
|x s - q(x s)| through the normalized adjacency and |W|, divided by ``scale``. ReLU never
increases an error.
"""
from __future__ import annotations

import math
from numbers import Real

import numpy as np
import scipy.sparse as sp

from golden.contract import Mode
from golden.graph import CSR
from golden.hw_model import error_bound as _golden_error_bound
from golden.norm import Normalization, normalization
from golden.reference import aggregate_float

from .accelerator import Accelerator

NORMS = ("gcn", "lightgcn", "symmetric", "mean", "sum")
FLOWS = ("source_to_target", "target_to_source")


def _numpy(a, name: str) -> np.ndarray:
    """`a` as a numpy array; torch tensors (or anything like them) by duck typing."""
    if hasattr(a, "detach") and hasattr(a, "cpu"):
        a = a.detach().cpu().numpy()
    try:
        return np.asarray(a)
    except Exception as e:
        raise ValueError(f"{name} must be array-like, got {type(a).__name__}") from e


def _count(v, name: str) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {v!r}")
    return int(v)


def _edge_index(edge_index, num_nodes, flow: str) -> tuple[np.ndarray, np.ndarray, int]:
    """(dst, src, n) of a PyG edge_index under `flow`."""
    ei = _numpy(edge_index, "edge_index")
    if ei.ndim != 2 or ei.shape[0] != 2:
        raise ValueError(f"edge_index must have shape [2, E] (PyG's convention), got {ei.shape}")
    if ei.size and (ei.dtype == np.bool_ or not np.issubdtype(ei.dtype, np.integer)):
        raise ValueError(f"edge_index must hold integers, got {ei.dtype}")
    ei = ei.astype(np.int64)
    if ei.size and ei.min() < 0:
        e = int(np.argmin(ei.min(axis=0)))
        raise ValueError(f"edge_index has a negative node index at edge {e}: {ei[:, e].tolist()}")
    top = int(ei.max()) + 1 if ei.size else 0
    n = top if num_nodes is None else _count(num_nodes, "num_nodes")
    if top > n:
        e = int(np.argmax(ei.max(axis=0)))
        raise ValueError(f"edge_index names node {top - 1} (edge {e}) but num_nodes={n}")
    src, dst = (ei[0], ei[1]) if flow == "source_to_target" else (ei[1], ei[0])
    return dst, src, n


def _scipy_edges(m) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(dst, src, n_dst, n_src) of a scipy sparse [n_dst, n_src] matrix, entries = multiplicities."""
    coo = sp.coo_matrix(m)
    coo.sum_duplicates()
    coo.eliminate_zeros()
    data = np.asarray(coo.data)
    if data.size:
        if not np.issubdtype(data.dtype, np.number) or np.iscomplexobj(data):
            raise ValueError(f"the sparse matrix must hold real numbers, got {data.dtype}")
        d = data.astype(np.float64)
        bad = ~np.isfinite(d) | (d < 0) | (d != np.round(d))
        if bad.any():
            k = int(np.argmax(bad))
            raise ValueError(f"sparse matrix entry [{int(coo.row[k])}, {int(coo.col[k])}] = {data[k]}: "
                             f"entries are edge multiplicities (positive integers); the layer has no "
                             f"per-edge weights (build a CSR and a 'weighted' golden.norm.Normalization)")
        reps = d.astype(np.int64)
    else:
        reps = np.zeros(0, np.int64)
    n_dst, n_src = coo.shape
    return (np.repeat(coo.row.astype(np.int64), reps), np.repeat(coo.col.astype(np.int64), reps),
            int(n_dst), int(n_src))


class GraphLayer:
    """Eq. 1 on one graph as a float layer: ``y = layer(x, weight=None, relu=False)``.

    `graph` is a PyG ``edge_index`` [2, E] (with `num_nodes`, `flow`), a scipy sparse matrix
    [n_dst, n_src] (``y = M x``) or a `golden.graph.CSR`. `norm` is one of `NORMS` or a
    `golden.norm.Normalization` for a CSR; `self_loops` (default: True for "gcn", else False)
    applies PyG's add_remaining_self_loops. The graph is uploaded once (`release()` frees it);
    `tiled` is the default edge layout of the calls (`Accelerator.aggregate`; None: the tiled
    layout on sim and board when the sources need more than one table partition).
    See the module docstring for the conventions and the range policy."""

    def __init__(self, acc: Accelerator, graph, *, num_nodes: int | None = None,
                 flow: str = "source_to_target", norm="gcn", self_loops: bool | None = None,
                 idx16: bool | None = None, tiled: bool | None = None):
        if not isinstance(acc, Accelerator):
            raise ValueError(f"acc must be a host.driver.Accelerator, got {type(acc).__name__}")
        if flow not in FLOWS:
            raise ValueError(f"flow must be one of {FLOWS}, got {flow!r}")
        given_norm = isinstance(norm, Normalization)
        if not given_norm and norm not in NORMS:
            raise ValueError(f"norm must be one of {NORMS} or a golden.norm.Normalization, got {norm!r}")
        if self_loops is None:
            self_loops = norm == "gcn"
        if not isinstance(self_loops, (bool, np.bool_)):
            raise ValueError(f"self_loops must be a bool or None, got {self_loops!r}")
        if tiled is not None and not isinstance(tiled, (bool, np.bool_)):
            raise ValueError(f"tiled must be a bool or None, got {tiled!r}")

        if isinstance(graph, CSR) or sp.issparse(graph):
            if num_nodes is not None:
                raise ValueError("num_nodes is for an edge_index; a CSR or sparse matrix has its own shape")
            if flow != "source_to_target":
                raise ValueError("flow is for an edge_index; a CSR or sparse matrix is destination-major "
                                 "(transpose it for the other direction)")
        if isinstance(graph, CSR):
            csr = CSR(graph.row_ptr.copy(), graph.col_idx.copy(), graph.n_src)
            if self_loops:
                dst, src = csr.dst_of_edges(), csr.col_idx.astype(np.int64)
                n_dst, n_src = csr.n_dst, csr.n_src
        else:
            if given_norm:
                raise ValueError("a golden.norm.Normalization needs the graph as a golden.graph.CSR "
                                 "(its factors follow the CSR's edge order)")
            if sp.issparse(graph):
                dst, src, n_dst, n_src = _scipy_edges(graph)
            else:
                dst, src, n_dst = _edge_index(graph, num_nodes, flow)
                n_src = n_dst
        if self_loops:
            if given_norm:
                raise ValueError("self_loops changes the edges; build the Normalization for the final CSR")
            if n_src != n_dst:
                raise ValueError(f"self_loops needs a square graph, got n_dst={n_dst}, n_src={n_src}")
            keep = src != dst  # PyG's add_remaining_self_loops: drop existing loops, one per node
            loops = np.arange(n_dst, dtype=np.int64)
            dst, src = np.concatenate([dst[keep], loops]), np.concatenate([src[keep], loops])
        if not isinstance(graph, CSR) or self_loops:
            csr = CSR.from_edges(dst, src, n_dst, n_src)

        if given_norm:
            self.norm_name = "given"
            nrm = norm
        elif norm in ("gcn", "lightgcn"):
            if csr.n_src != csr.n_dst:
                raise ValueError(f"norm={norm!r} counts a source's degree at its incoming edges (PyG's "
                                 f"gcn_norm): it needs a square graph, got n_dst={csr.n_dst}, "
                                 f"n_src={csr.n_src}; use 'symmetric' for a bipartite graph")
            deg = csr.in_degree
            used = deg[csr.col_idx] > 0
            if not used.all():  # PyG: deg^-1/2 = inf is set to 0, those messages vanish
                dst = csr.dst_of_edges()[used]
                csr = CSR.from_edges(dst, csr.col_idx[used].astype(np.int64), csr.n_dst, csr.n_src)
            nrm = normalization(csr, "symmetric", src_degree=deg, dst_degree=deg, coef=acc.formats.coef)
            self.norm_name = norm
        else:
            nrm = normalization(csr, norm, coef=acc.formats.coef)
            self.norm_name = norm
        self.acc = acc
        self.tiled = tiled
        self.flow = flow
        self.self_loops = bool(self_loops)
        self.csr = csr    # the graph the hardware runs (after self loops and dropped edges)
        self.norm = nrm   # its float normalization factors (quantized to COEF by load_graph)
        self.graph = acc.load_graph(csr, nrm, idx16=idx16)

    # -- shape --------------------------------------------------------------------------------
    @property
    def n_src(self) -> int:
        return self.csr.n_src

    @property
    def n_dst(self) -> int:
        return self.csr.n_dst

    def padded_dim(self, feat_dim: int) -> int:
        """F rounded up to the build's lane multiple `hw.feat_align` (what the kernel runs)."""
        a = self.acc.hw.feat_align
        return -(-feat_dim // a) * a

    # -- the layer ----------------------------------------------------------------------------
    def __call__(self, x, weight=None, relu: bool = False, gather: str = "table", *,
                 scale: float = 1.0, check: bool = True, tiled: bool | None = None) -> np.ndarray:
        """Eq. 1 on float features x [n_src, F] (optional W [F, F], W[out][in]); float64 [n_dst, F].
        `tiled` overrides the layer's edge layout for this call (None: the layer's)."""
        x, w, scale = self._operands(x, weight, scale)
        fmt = self.acc.formats
        f = x.shape[1]
        x_q = fmt.feat.quantize(x * scale)
        w_q = None if w is None else fmt.wgt.quantize(w)
        if check:
            _, valid = self._golden_bound(x_q, w)
            if not valid.all():
                v, j = map(int, np.argwhere(~valid)[0])
                raise ValueError(
                    f"this call may saturate: a sum of output [{v}, {j}] can reach the FEAT range "
                    f"[{fmt.feat.min}, {fmt.feat.max}] ({fmt.feat.hls_type}) by golden's magnitude "
                    f"bound; pass a smaller scale= (now {scale}), or check=False to run it with AP_SAT")
        fp = self.padded_dim(f)
        xp = np.zeros((self.n_src, fp), dtype=fmt.feat.dtype)
        xp[:, :f] = x_q
        wp = None
        if w_q is not None:
            wp = np.zeros((fp, fp), dtype=fmt.wgt.dtype)
            wp[:f, :f] = w_q
        y_q = self.acc.aggregate(self.graph, xp, weight_q=wp, relu=relu, gather=gather,
                                 tiled=self.tiled if tiled is None else tiled)
        return fmt.feat.to_float(y_q[:, :f]) / scale

    def float_reference(self, x, weight=None, relu: bool = False) -> np.ndarray:
        """Float64 Eq. 1 on this layer's graph and exact normalization (golden.reference)."""
        x, w, _ = self._operands(x, weight, 1.0, check_range=False)
        return aggregate_float(self.csr, x, self.norm, w, "relu" if relu else "identity")

    # -- error bound --------------------------------------------------------------------------
    def error_bounds(self, x, weight=None, *, scale: float = 1.0) -> np.ndarray:
        """Per element [n_dst, F]: a bound on |self(x, weight, relu, scale=scale) - float Eq. 1|
        (either relu), inf where golden's analysis cannot exclude saturation."""
        x, w, scale = self._operands(x, weight, scale)
        fmt = self.acc.formats
        xs = x * scale
        x_q = fmt.feat.quantize(xs)
        bound, valid = self._golden_bound(x_q, w)
        # the features' own quantization error, carried through |A_hat| (and |W|) exactly as Eq. 1 does
        a = self.csr.to_scipy(np.abs(self.norm.edge_values(self.csr)))
        e_in = a @ np.abs(xs - fmt.feat.to_float(x_q))
        if w is not None:
            e_in = e_in @ np.abs(w).T
        out = (bound + e_in) / scale
        return np.where(valid, out, np.inf)

    def error_bound(self, x, weight=None, *, scale: float = 1.0) -> float:
        """max over the output of error_bounds (inf when saturation cannot be excluded)."""
        b = self.error_bounds(x, weight, scale=scale)
        return float(b.max()) if b.size else 0.0

    # -- life cycle ---------------------------------------------------------------------------
    def release(self) -> None:
        self.graph.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()

    def __repr__(self) -> str:
        return (f"GraphLayer(n_dst={self.n_dst}, n_src={self.n_src}, edges={self.csr.n_edges}, "
                f"norm={self.norm_name!r}, self_loops={self.self_loops}, backend={self.acc.backend_name!r})")

    # -- internals ----------------------------------------------------------------------------
    def _golden_bound(self, x_q, w):
        nrm = self.norm
        mode = int(nrm.mode) | (int(Mode.APPLY_W) if w is not None else 0)
        return _golden_error_bound(self.csr.row_ptr, self.csr.col_idx, x_q, n_src=self.n_src, mode=mode,
                                   src_scale=nrm.src_scale, dst_scale=nrm.dst_scale, edge_w=nrm.edge_w,
                                   weight=w, fmt=self.acc.formats)

    def _operands(self, x, weight, scale, check_range: bool = True):
        fmt, hw = self.acc.formats, self.acc.hw
        if isinstance(scale, (bool, np.bool_)) or not isinstance(scale, Real) or \
                not (math.isfinite(scale) and scale > 0):
            raise ValueError(f"scale must be a positive finite number, got {scale!r}")
        scale = float(scale)
        x = _real_matrix(x, "x")
        if x.shape[0] != self.n_src:
            raise ValueError(f"x has {x.shape[0]} rows, the graph has n_src={self.n_src}")
        f = x.shape[1]
        if f < 1 or f > hw.max_feat:
            raise ValueError(f"x has F={f} features; this build takes 1..{hw.max_feat} "
                             f"(padded to a multiple of feat_align={hw.feat_align})")
        if check_range and x.size:
            m = float(np.abs(x).max()) * scale
            if x.min() * scale < fmt.feat.min or x.max() * scale > fmt.feat.max:
                raise ValueError(
                    f"x * scale has max |value| {m:.6g}, outside the FEAT range [{fmt.feat.min}, "
                    f"{fmt.feat.max}] ({fmt.feat.hls_type}); pass scale= (e.g. "
                    f"{2.0 ** math.floor(math.log2(fmt.feat.max / m * scale)):g}) to bring it into range")
        w = None
        if weight is not None:
            w = _real_matrix(weight, "weight")
            if w.shape != (f, f):
                raise ValueError(f"weight must be [F, F] = ({f}, {f}) (W[out][in]), got {w.shape}")
            if check_range and w.size and (w.min() < fmt.wgt.min or w.max() > fmt.wgt.max):
                raise ValueError(f"weight has max |value| {float(np.abs(w).max()):.6g}, outside the WGT "
                                 f"range [{fmt.wgt.min}, {fmt.wgt.max}] ({fmt.wgt.hls_type}); scale W "
                                 f"down and the output up")
        return x, w, scale


def _real_matrix(a, name: str) -> np.ndarray:
    a = _numpy(a, name)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 2-D, got shape {a.shape}")
    if a.dtype == np.bool_ or not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
        raise ValueError(f"{name} must hold real numbers, got {a.dtype}")
    a = a.astype(np.float64)
    if not np.all(np.isfinite(a)):
        r, c = map(int, np.argwhere(~np.isfinite(a))[0])
        raise ValueError(f"{name}[{r}, {c}] is {a[r, c]}: NaN and inf have no fixed-point value")
    return a
