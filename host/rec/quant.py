"""The GNN in the accelerator's formats: export of a trained GNN (x0 and W quantized) and its
layers run through host.driver.Accelerator (any backend).

Fixed point: the accelerator holds features in FEAT (Q4.12, range [-8, 8)). Every layer is
positively homogeneous (linear, or linear + ReLU, no bias), so scaling the input embeddings by
`scale` scales every layer output by `scale`: the export picks `scale` so that the largest
magnitude over all float layer outputs is FIXED_PEAK = 4 (half the range: headroom for rounding
and for W), quantizes x0 and W, runs the layers on the accelerator and divides by `scale`.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch
from tqdm import tqdm

from golden.fixed import FEAT, WGT

from .model import GNN

FIXED_PEAK = 4.0


@dataclasses.dataclass(frozen=True)
class FixedGNN:
    """A trained GNN in the accelerator's formats."""

    n_users: int
    scale: float                       # FEAT value = scale * float value
    x0_q: np.ndarray                   # int16 [n_nodes, F] FEAT
    weights_q: tuple                   # per layer: int16 [F, F] WGT (W[out][in]) or None
    relu: tuple                        # per layer: bool


def export_fixed(gnn: GNN, adj: torch.Tensor, peak: float = FIXED_PEAK) -> FixedGNN:
    with torch.no_grad():
        outs = gnn.layer_outputs(adj)
        x0 = outs[0].double().numpy()
        largest = max(float(o.abs().max()) for o in outs)
    scale = peak / largest if largest > 0 else 1.0
    weights = tuple(None if layer.weight is None else WGT.quantize(layer.weight.detach().double().numpy())
                    for layer in gnn.layers)
    return FixedGNN(gnn.n_users, scale, FEAT.quantize(x0 * scale), weights,
                    tuple(layer.relu for layer in gnn.layers))


def fixed_layer_outputs(model: FixedGNN, acc, graph_handle, progress: bool = False,
                        statuses: list | None = None) -> list[np.ndarray]:
    """Run every layer on the accelerator (host.driver.Accelerator, any backend), layer by layer
    on the unified graph; returns the FEAT outputs [x^(0), x^(1), ..., x^(L)] and appends each
    layer's RunStatus to `statuses` when given."""
    outs = [model.x0_q]
    layers = list(zip(model.weights_q, model.relu))
    for w, relu in tqdm(layers, desc=f"Eq. 1 layers on '{acc.backend_name}'", disable=not progress):
        outs.append(acc.aggregate(graph_handle, outs[-1], weight_q=w, relu=relu))
        if statuses is not None:
            statuses.append(acc.status)
    return outs


def combine_layers(outs: list[np.ndarray], model: FixedGNN) -> np.ndarray:
    """LightGCN's layer combination of FEAT layer outputs, dequantized: mean over layers / scale.
    One function for the offline full graph and the online single row, so both give the same bits."""
    total = FEAT.to_float(outs[0])
    for x in outs[1:]:
        total += FEAT.to_float(x)
    return total / len(outs) / model.scale


def propagate_fixed(model: FixedGNN, acc, graph_handle, progress: bool = False,
                    statuses: list | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Dequantized (user, item) embeddings after layer combination, every layer on the accelerator."""
    final = combine_layers(fixed_layer_outputs(model, acc, graph_handle, progress, statuses), model)
    return final[:model.n_users], final[model.n_users:]
