"""Float reference of Eq. 1:  h_v = sigma( sum_{u in N(v)} (1/c_vu) W h_u ).

W is applied after the sum (W is linear, so this is Eq. 1 exactly) and is stored W[out][in].
"""
from __future__ import annotations

import numpy as np

from .graph import CSR
from .norm import Normalization

SIGMAS = ("identity", "relu")


def check_features(x, n_rows: int, name: str = "x") -> np.ndarray:
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError(f"{name} must be 2-D [rows, feat_dim], got shape {x.shape}")
    if x.shape[0] != n_rows:
        raise ValueError(f"{name} has {x.shape[0]} rows, the graph needs {n_rows}")
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{name} must be numeric, got {x.dtype}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or inf")
    return x


def check_weight(w, feat_dim: int, name: str = "w") -> np.ndarray:
    w = np.asarray(w)
    if w.shape != (feat_dim, feat_dim):
        raise ValueError(f"{name} must be square [feat_dim, feat_dim] = ({feat_dim}, {feat_dim}), got {w.shape}")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} contains NaN or inf")
    return w


def aggregate_float(csr: CSR, x, norm: Normalization, w=None, sigma: str = "identity") -> np.ndarray:
    """One Eq. 1 layer in float64."""
    if sigma not in SIGMAS:
        raise ValueError(f"sigma must be one of {SIGMAS}, got {sigma!r}")
    x = check_features(x, csr.n_src).astype(np.float64)
    h = csr.to_scipy(norm.edge_values(csr)) @ x
    if w is not None:
        h = h @ check_weight(w, x.shape[1]).astype(np.float64).T
    return np.maximum(h, 0.0) if sigma == "relu" else h


def forward_float(csr: CSR, x, norm: Normalization, layers) -> list[np.ndarray]:
    """Several layers on one square graph; `layers` is a list of (w or None, sigma).
    Returns the output of every layer."""
    if csr.n_src != csr.n_dst:
        raise ValueError("multi-layer propagation needs a square graph (n_src == n_dst)")
    outs = []
    for w, sigma in layers:
        x = aggregate_float(csr, x, norm, w, sigma)
        outs.append(x)
    return outs
