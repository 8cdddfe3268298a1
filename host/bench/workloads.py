"""What the benchmarks time and run, shared by the workstation benchmark and the board measurement
(numpy and golden only, so `python -m host.bench.board` runs on a lean board install)."""
from __future__ import annotations

import statistics
import time

import numpy as np

from golden.graph import CSR, ml1m_shaped
from golden.norm import Normalization, normalization


def time_ms(fn, reps: int, warmup: int = 1) -> dict:
    """Wall time of `fn()` in ms: warm-ups discarded, then `reps` runs; min and median."""
    for _ in range(warmup):
        fn()
    runs = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t0) * 1e3)
    return {"min_ms": min(runs), "median_ms": statistics.median(runs), "runs_ms": runs}


def ml1m_graph(scale: float, seed: int) -> tuple[CSR, Normalization]:
    """The unified ML-1M-shaped graph at `scale` (golden.graph.ml1m_shaped) with symmetric normalization."""
    csr = ml1m_shaped(scale, seed).unified()
    return csr, normalization(csr, "symmetric")


def percentiles(ms: list[float]) -> dict:
    """Latency summary of request times in ms (the fields of every latency table)."""
    a = np.asarray(ms)
    return {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)),
            "p99_ms": float(np.percentile(a, 99)), "mean_ms": float(a.mean()), "min_ms": float(a.min()),
            "max_ms": float(a.max())}
