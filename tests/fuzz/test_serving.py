"""The serving fuzzer: concurrent requests equal the same request alone; bad ids and k refused."""
import pytest

from tests.fuzz import serving


def _clean(stats):
    assert stats["outcomes"].get("wrong", 0) == 0 and stats["outcomes"].get("crash", 0) == 0, stats["failures"]


def test_concurrent_requests_cpu():
    stats = serving.run(300, seed=19)
    _clean(stats)
    assert stats["invalid_requests"] > 20


def test_concurrent_requests_sim(sim_library):
    _clean(serving.run(60, seed=19, threads=8, backend="sim", library=sim_library))


@pytest.mark.slow
def test_concurrent_requests_many():
    _clean(serving.run(3000, seed=1))
