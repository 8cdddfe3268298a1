"""The cpu backend: golden.hw_model.gnn_agg, vectorized NumPy/SciPy, bit-exact by definition.

It has no cycle model: RunStatus.cycles, stalls, rd_beats and wr_beats are 0, edges is n_edges
(what the kernel reports on a clean run).
"""
from __future__ import annotations

import numpy as np

from golden.contract import HwConfig
from golden.hw_model import gnn_agg

from ..driver import GraphArrays, LayerCall, RunStatus


class CpuBackend:
    def __init__(self, hw: HwConfig):
        self.hw = hw

    def upload_graph(self, graph: GraphArrays) -> GraphArrays:
        return graph

    def release_graph(self, state) -> None:
        pass

    def run(self, state, graph: GraphArrays, call: LayerCall) -> tuple[np.ndarray, RunStatus]:
        y = gnn_agg(graph.row_ptr, graph.col_idx, call.feat_in, n_src=graph.n_src,
                    mode=call.problem.mode, src_scale=graph.src_scale, dst_scale=graph.dst_scale,
                    edge_w=graph.edge_w, weight=call.weight, hw=self.hw)
        return y, RunStatus(edges=graph.n_edges)

    def close(self) -> None:
        pass
