"""Shared by the tests/driver/*.py files: turn a golden test vector (golden.cases) back into
driver calls, so every backend runs the shared case set."""
from __future__ import annotations

import numpy as np

from golden.contract import Mode
from golden.fixed import COEF, FixedFormat
from golden.graph import CSR
from golden.norm import Normalization
from golden.vectors import Vector

from host.driver.accelerator import NORM_BITS


def graph_of(v: Vector, coef_format: FixedFormat = COEF) -> tuple[CSR, Normalization, bool]:
    """(csr, norm, idx16) of a vector. The COEF integers (of the vector's build, `coef_format`)
    become floats that quantize back to exactly the same integers (multiples of the COEF lsb)."""
    a, mode = v.arrays, v.problem.mode
    coef = {k: a[k].astype(np.float64) * coef_format.lsb if k in a else None
            for k in ("src_scale", "dst_scale", "edge_w")}
    csr = CSR(a["row_ptr"], a["col_idx"].astype(np.uint32), v.problem.n_src)
    norm = Normalization(Mode(mode & NORM_BITS), coef["src_scale"], coef["dst_scale"], coef["edge_w"])
    return csr, norm, bool(mode & Mode.IDX16)


def call_kwargs(v: Vector) -> dict:
    """aggregate() arguments of a vector, after the graph handle."""
    mode = v.problem.mode
    return {"x_q": v.arrays["feat_in"].reshape(v.problem.n_src, v.problem.feat_dim),
            "weight_q": v.arrays.get("weight"),
            "relu": bool(mode & Mode.RELU),
            "gather": "dram" if mode & Mode.DRAM_GATHER else "table"}


def run_vector(acc, v: Vector) -> np.ndarray:
    csr, norm, idx16 = graph_of(v, acc.formats.coef)
    g = acc.load_graph(csr, norm, idx16=idx16)
    try:
        return acc.aggregate(g, **call_kwargs(v))
    finally:
        g.release()
