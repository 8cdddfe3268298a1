"""Fixtures shared by the test packages: the default build's simulation library (built once per
session; sim/harness caches it on disk across sessions) and a small seeded user-item graph."""
from __future__ import annotations

import pytest

from golden.contract import DEFAULT_HW
from golden.graph import BipartiteGraph, synthetic_bipartite


@pytest.fixture(scope="session")
def sim_library():
    """The Verilator library of the default build (BOARDS["pynq-z2"]) for Accelerator("sim", library=...)."""
    from sim.harness.build import build
    return build(DEFAULT_HW)


@pytest.fixture(scope="session")
def small_bipartite() -> BipartiteGraph:
    """50 users, 40 items, 420 interactions with a recommender's degree skew (seed 3)."""
    return synthetic_bipartite(50, 40, 420, seed=3)
