"""The driver's types: what the Accelerator hands a backend and what a backend returns. Backends
import only this module (and golden), so nothing in host/driver/backends imports the Accelerator."""
from __future__ import annotations

import dataclasses
from typing import Protocol

import numpy as np

from golden.contract import Err, HwConfig, Problem


class DeviceError(RuntimeError):
    """The kernel finished with a non-zero stat_error; `error` holds the raw bits, `reasons`
    their Err names. Accelerator.status holds the failed call's status registers. After any
    error but TIMEOUT the next call runs normally; after TIMEOUT the memory path must be reset
    first (docs/CONTRACT.md, "AXI response time-out"), which the message says, with the
    programmed `axi_timeout_cycles` when the caller knows them."""

    def __init__(self, error: int, detail: str = "", status: "RunStatus | None" = None,
                 axi_timeout_cycles: int | None = None):
        self.error = int(error)
        self.reasons = decode_error(self.error)
        self.status = status  # all status registers of the failed call, when read
        text = f"gnn_agg reported stat_error=0x{self.error:x} ({', '.join(self.reasons) or 'none'})"
        if self.error & Err.TIMEOUT:
            bound = "TIMEOUT" if axi_timeout_cycles is None else f"TIMEOUT = {axi_timeout_cycles}"
            text += (f"; the AXI response time-out fired: the memory slave left a transaction unanswered "
                     f"for {bound} cycles and the run was aborted; reset the memory path (interconnect or "
                     f"slave, e.g. the PL reset) before the next call, or a late response is taken as its data")
        super().__init__(f"{text}: {detail}" if detail else text)


def decode_error(error: int) -> tuple[str, ...]:
    """Err bit names of a stat_error word; unknown bits appear as BIT<n>."""
    names = [e.name for e in Err if error & e]
    known = 0
    for e in Err:
        known |= int(e)
    names += [f"BIT{b}" for b in range(32) if error & ~known & (1 << b)]
    return tuple(names)


@dataclasses.dataclass(frozen=True)
class RunStatus:
    """The status registers of one call (docs/CONTRACT.md, stat_*)."""

    cycles: int = 0
    edges: int = 0
    stalls: int = 0
    rd_beats: int = 0
    wr_beats: int = 0
    error: int = 0


@dataclasses.dataclass(frozen=True)
class GraphArrays:
    """A validated graph in the contract's DDR dtypes: what every backend uploads."""

    row_ptr: np.ndarray           # <u4 [n_dst + 1]
    col_idx: np.ndarray           # <u4 [n_edges], or <u2 with IDX16
    edge_w: np.ndarray | None     # <u2 COEF [n_edges]   (EDGE_WEIGHT), the build's COEF format
    src_scale: np.ndarray | None  # <u2 COEF [n_src]     (PRE_SCALE)
    dst_scale: np.ndarray | None  # <u2 COEF [n_dst]     (POST_SCALE)
    n_src: int
    mode: int                     # the normalization bits, plus IDX16 when col_idx is 16-bit

    @property
    def n_dst(self) -> int:
        return len(self.row_ptr) - 1

    @property
    def n_edges(self) -> int:
        return len(self.col_idx)


@dataclasses.dataclass(frozen=True)
class TiledArrays:
    """A graph's tiled layout for R = rows_per_part table rows (golden.graph.TiledLayout), checked
    against the graph's CSR, in the contract's DDR dtypes: what a TILED call uploads in place of
    row_ptr, col_idx and edge_w (src_scale and dst_scale are the CSR's)."""

    pairs: np.ndarray             # <u4 [n_pairs, 2] (row word, edge end), the row_ptr buffer
    col_idx: np.ndarray           # <u2 [n_edges] local table rows
    edge_w: np.ndarray | None     # <u2 COEF [n_edges] in the tiled edge order (EDGE_WEIGHT)
    rows_per_part: int

    @property
    def n_pairs(self) -> int:
        return len(self.pairs)

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.pairs, self.col_idx, self.edge_w) if a is not None)


@dataclasses.dataclass(frozen=True)
class LayerCall:
    """One validated kernel call, ready for a backend."""

    problem: Problem
    feat_in: np.ndarray          # FEAT integers [n_src, feat_dim], C-contiguous
    weight: np.ndarray | None    # WGT integers [feat_dim, feat_dim] W[out][in]   (APPLY_W)
    feat_state: object = None    # FeatureHandle.state when feat_in is already on the device
    tiled: TiledArrays | None = None  # the layout a Mode.TILED call runs (problem.n_pairs pairs)


class Backend(Protocol):
    """What Accelerator needs of a backend (cpu, sim, board). The Accelerator has checked every
    argument against the contract before any of these is called."""

    hw: HwConfig  # the build this backend runs (read from the device by sim and board)
    #: whether table-mode calls over several source partitions run the tiled layout by default
    #: (sim, board: it reads the edges once instead of once per pass; cpu: no, golden's CSR)
    tiled_by_default: bool

    def upload_graph(self, graph: GraphArrays) -> object:
        """Copy a graph's buffers to the device once; returns the backend's record of them."""

    def release_graph(self, state) -> None: ...

    def upload_features(self, x: np.ndarray) -> object:
        """Copy source features (FEAT integers) to the device once; returns its record."""

    def release_features(self, state) -> None: ...

    def run(self, state, graph: GraphArrays, call: LayerCall) -> tuple[np.ndarray, RunStatus]:
        """One kernel call (over call.tiled instead of the CSR when the mode has TILED; a backend
        with device buffers uploads each layout once per graph and frees it with the graph): FEAT integers [n_dst, F] and the call's status registers; DeviceError
        when the kernel reports stat_error."""

    def close(self) -> None: ...
