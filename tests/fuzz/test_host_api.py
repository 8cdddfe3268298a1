"""The host-API fuzzer, a few hundred seeded cases per run (python -m tests.fuzz.report runs thousands)."""
import pytest

from tests.fuzz import host_api


def _clean(stats):
    assert stats["outcomes"].get("wrong", 0) == 0 and stats["outcomes"].get("crash", 0) == 0, stats["failures"]
    assert stats["oob_writes"] == 0 and stats.get("hangs", 0) == 0 and stats.get("recoveries_failed", 0) == 0


def test_host_api_cpu():
    stats = host_api.run(400, seed=19)
    _clean(stats)
    assert all(sum(c.values()) > 20 for c in stats["by_category"].values())  # every category tried


def test_host_api_sim_writes_only_outputs_and_recovers(sim_library):
    stats = host_api.run(150, seed=19, backend="sim", library=sim_library)
    _clean(stats)
    assert stats["recoveries_checked"] > 10


@pytest.mark.parametrize("backend", ["cpu", "sim"])
def test_shared_accelerator_from_many_threads(backend, sim_library):
    opts = {"library": sim_library} if backend == "sim" else {}
    stats = host_api.run_concurrent(80 if backend == "cpu" else 40, seed=19, backend=backend, **opts)
    _clean(stats)
    assert stats["usable_after"]


@pytest.mark.slow
def test_host_api_many():
    _clean(host_api.run(5000, seed=1))
