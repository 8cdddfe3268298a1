"""The gnn_agg accelerator driver: one API (Accelerator), three backends (cpu, sim, board).
Needs only numpy and scipy (and pynq on a board); see docs/HOST.md."""
from .accelerator import BACKENDS, GATHERS, Accelerator, FeatureHandle, GraphHandle, fixed_array, prepare_graph
from .layer import FLOWS, NORMS, GraphLayer
from .types import Backend, DeviceError, GraphArrays, LayerCall, RunStatus, decode_error

__all__ = ["Accelerator", "BACKENDS", "GATHERS", "Backend", "DeviceError", "FeatureHandle", "GraphArrays",
           "GraphHandle", "LayerCall", "RunStatus", "decode_error", "fixed_array", "prepare_graph",
           "FLOWS", "GraphLayer", "NORMS"]
