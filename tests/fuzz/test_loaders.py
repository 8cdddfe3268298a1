"""The loader fuzzer, a few hundred damaged files per run."""
import pytest

from tests.fuzz import loaders


def _clean(stats):
    assert stats["outcomes"].get("wrong", 0) == 0 and stats["outcomes"].get("crash", 0) == 0, stats["failures"]


def test_damaged_files_are_data_format_errors():
    stats = loaders.run(400, seed=19)
    _clean(stats)
    assert all(sum(c.values()) > 10 for c in stats["by_damage"].values())


@pytest.mark.slow
def test_damaged_files_many():
    _clean(loaders.run(3000, seed=1))
