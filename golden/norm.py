"""Normalizations 1/c_vu of Eq. 1, in the factorized form the hardware uses.

Every normalization is 1/c_vu = dst_scale[v] * edge_w[e] * src_scale[u] with unused factors equal
to one; the mode bits say which factors exist (see golden.contract.Mode):

* symmetric  c_vu = sqrt(|N(u)| |N(v)|)  -> src_scale = |N(u)|^-1/2, dst_scale = |N(v)|^-1/2
* mean       c_vu = |N(v)|               -> dst_scale = 1/|N(v)|
* sum        c_vu = 1                    -> no factor
* weighted   1/c_vu = w_e given per edge -> edge_w

A node of degree 0 gets scale 0 (it has no edges, so the scale multiplies nothing or an empty sum).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from .contract import Mode
from .fixed import COEF, FixedFormat
from .graph import CSR

KINDS = ("symmetric", "mean", "sum", "weighted")


@dataclasses.dataclass(frozen=True)
class Normalization:
    mode: Mode                       # which of PRE_SCALE / POST_SCALE / EDGE_WEIGHT are used
    src_scale: np.ndarray | None     # float64 [n_src]
    dst_scale: np.ndarray | None     # float64 [n_dst]
    edge_w: np.ndarray | None        # float64 [n_edges]

    def edge_values(self, csr: CSR) -> np.ndarray:
        """1/c_vu for every edge of `csr`, in CSR order."""
        vals = np.ones(csr.n_edges)
        if self.edge_w is not None:
            vals = vals * self.edge_w
        if self.src_scale is not None:
            vals = vals * self.src_scale[csr.col_idx]
        if self.dst_scale is not None:
            vals = vals * self.dst_scale[csr.dst_of_edges()]
        return vals

    def quantized(self, fmt: FixedFormat = COEF) -> "QuantNormalization":
        q = lambda a: None if a is None else fmt.quantize(a)  # noqa: E731
        return QuantNormalization(self.mode, q(self.src_scale), q(self.dst_scale), q(self.edge_w))


@dataclasses.dataclass(frozen=True)
class QuantNormalization:
    """The same factors as stored in DDR (COEF integers)."""

    mode: Mode
    src_scale: np.ndarray | None
    dst_scale: np.ndarray | None
    edge_w: np.ndarray | None


def _degree(deg, expected_len: int, name: str, used: np.ndarray) -> np.ndarray:
    deg = np.asarray(deg)
    if deg.shape != (expected_len,):
        raise ValueError(f"{name} has shape {deg.shape}, expected ({expected_len},)")
    if deg.size and not np.all(np.isfinite(deg.astype(np.float64))):
        raise ValueError(f"{name} contains NaN or inf")
    if deg.size and deg.min() < 0:
        raise ValueError(f"{name} has a negative degree ({deg.min()})")
    zero_but_used = (deg == 0) & used
    if zero_but_used.any():
        raise ValueError(f"{name}[{int(np.argmax(zero_but_used))}] is 0 but the node has edges")
    return deg.astype(np.float64)


def _inv_pow(deg: np.ndarray, power: float) -> np.ndarray:
    out = np.zeros_like(deg, dtype=np.float64)
    nz = deg > 0
    out[nz] = deg[nz] ** -power
    return out


def normalization(csr: CSR, kind: str, edge_w=None, src_degree=None, dst_degree=None,
                  coef: FixedFormat = COEF) -> Normalization:
    """Build the factors of one normalization kind. Degrees default to those of `csr` (row
    lengths for destinations, gather counts for sources); pass them when the graph is one
    direction of a larger one."""
    if kind not in KINDS:
        raise ValueError(f"unknown normalization {kind!r}; expected one of {KINDS}")
    if kind == "weighted":
        if edge_w is None:
            raise ValueError("weighted normalization needs edge_w")
        w = np.asarray(edge_w, dtype=np.float64)
        if w.shape != (csr.n_edges,):
            raise ValueError(f"edge_w has shape {w.shape}, expected ({csr.n_edges},)")
        if not np.all(np.isfinite(w)):
            raise ValueError("edge_w contains NaN or inf")
        if w.size and (w.min() < coef.min or w.max() > coef.max):
            raise ValueError(f"edge_w must lie in [{coef.min}, {coef.max}] (the COEF format), "
                             f"got [{w.min()}, {w.max()}]")
        return Normalization(Mode.EDGE_WEIGHT, None, None, w)
    if edge_w is not None:
        raise ValueError(f"edge_w is only used by the weighted normalization, not {kind!r}")
    if kind == "sum":
        return Normalization(Mode.SUM, None, None, None)
    d_dst = _degree(csr.in_degree if dst_degree is None else dst_degree, csr.n_dst, "dst_degree",
                    csr.in_degree > 0)
    if kind == "mean":
        return Normalization(Mode.MEAN, None, _inv_pow(d_dst, 1.0), None)
    d_src = _degree(csr.out_degree if src_degree is None else src_degree, csr.n_src, "src_degree",
                    csr.out_degree > 0)
    return Normalization(Mode.SYMMETRIC, _inv_pow(d_src, 0.5), _inv_pow(d_dst, 0.5), None)
