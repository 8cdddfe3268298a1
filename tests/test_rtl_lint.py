"""Verilator -Wall lint of the RTL (what `make lint` runs): no warning for any build we sweep.
Waivers live next to the code as lint_off comments, each with its reason."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VERILATOR = Path(sys.executable).parent / "verilator"

pytestmark = pytest.mark.sim


@pytest.mark.parametrize("params", [
    [],
    ["-GBUS_BITS=128", "-GLANES=64", "-GTABLE_ELEMS=1048576"],
    ["-GBUS_BITS=64", "-GLANES=8", "-GMAX_FEAT=64", "-GTABLE_ELEMS=512"],
    ["-GBUS_BITS=128", "-GLANES=64", "-GPES=4", "-GTABLE_ELEMS=1048576"],
    ["-GBUS_BITS=64", "-GLANES=16", "-GPES=2", "-GMAX_FEAT=128", "-GTABLE_ELEMS=1024"],
], ids=["pynq-z2", "bus128_lanes64", "bus64_lanes8", "kv260_pes4", "pes2"])
def test_lint_clean(params):
    res = subprocess.run([str(VERILATOR), "--lint-only", "-Wall", *params, "-f", "rtl/files.f",
                          "--top-module", "gnn_agg"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


def test_bad_parameters_are_rejected():
    """A build the RTL does not implement stops at elaboration with a message, not a wrong circuit."""
    res = subprocess.run([str(VERILATOR), "--lint-only", "-Wall", "-GLANES=12", "-f", "rtl/files.f",
                          "--top-module", "gnn_agg"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode != 0 and "LANES must be a power of two" in res.stderr
    res = subprocess.run([str(VERILATOR), "--lint-only", "-Wall", "-GPES=3", "-f", "rtl/files.f",
                          "--top-module", "gnn_agg"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode != 0 and "PES must be a power of two" in res.stderr
