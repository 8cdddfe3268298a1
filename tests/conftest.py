"""Fixtures shared by the test packages: the default build's simulation library (built once per
session; sim/harness caches it on disk across sessions) and a small seeded user-item graph; and
the order make test's two xdist workers take the tests in."""
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


# make test runs on two xdist workers (--dist loadgroup), each taking the next test when it is
# nearly idle. Tests of a minute or more go first, longest modules first, so that the end of the
# run is hundreds of sub-second tests both workers share instead of one worker finishing a long
# test alone (collection order left ~200 s of one idle worker in a 1,217 s run). Within a module
# the order stays the file's; a module whose fixture takes minutes stays on one worker
# (xdist_group in that module).
LONG_FIRST = (
    "tests/bench/test_bench.py",         # the --quick benchmark: ~100 s of fixture
    "tests/hls/test_csim.py",            # three g++ builds with sanitizers and their vectors
    "tests/rtl/test_formal.py",
    "tests/rtl/test_gnn_agg.py",         # the kernel's Verilator builds and cocotb runs
    "tests/driver/test_board_install.py",
    "tests/fuzz/test_raw_register.py",   # the kv260 harness build
    "tests/rec/test_study.py",
    "tests/rtl/",
    "tests/sim/",
    "tests/driver/test_layer.py",
)


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        return next((i for i, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)), len(LONG_FIRST))
    items.sort(key=rank)  # stable: the file's order within a rank
