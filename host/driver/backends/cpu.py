"""The cpu backend: the golden model's arithmetic (golden.hw_model.aggregate_core, vectorized
NumPy/SciPy) in the formats of its HwConfig, bit-exact by definition. host.driver has already made every check gnn_agg would
make, once per graph and once per call, so the per-call cost is the arithmetic alone.

A TILED call (tiled=True) is computed on the CSR too: the contract defines its output as the CSR
run's, bit for bit (docs/CONTRACT.md, "Tiled layout").

It has no cycle model: RunStatus.cycles, stalls, rd_beats and wr_beats are 0, edges is n_edges
(what the kernel reports on a clean run).
"""
from __future__ import annotations

import numpy as np

from golden.contract import HwConfig
from golden.hw_model import aggregate_core

from ..types import GraphArrays, LayerCall, RunStatus


class CpuBackend:
    tiled_by_default = False  # a TILED call's output is the CSR run's: golden computes it on the CSR

    def __init__(self, hw: HwConfig):
        self.hw = hw

    def upload_graph(self, graph: GraphArrays) -> GraphArrays:
        return graph

    def release_graph(self, state) -> None:
        pass

    def upload_features(self, x: np.ndarray) -> None:
        return None  # the array itself is all the cpu backend needs

    def release_features(self, state) -> None:
        pass

    def run(self, state, graph: GraphArrays, call: LayerCall) -> tuple[np.ndarray, RunStatus]:
        y = aggregate_core(graph.row_ptr, graph.col_idx, call.feat_in, call.problem.mode,
                           src_scale=graph.src_scale, dst_scale=graph.dst_scale,
                           edge_w=graph.edge_w, weight=call.weight, fmt=self.hw.formats)
        return y, RunStatus(edges=graph.n_edges)

    def close(self) -> None:
        pass
