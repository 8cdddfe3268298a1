"""Verilator -Wall lint of the RTL (what `make lint` runs): no warning for any build we sweep.
Waivers live next to the code as lint_off comments, each with its reason."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VERILATOR = Path(sys.executable).parent / "verilator"

pytestmark = pytest.mark.sim


@pytest.mark.parametrize("params", [
    [],
    ["-GBUS_BITS=128", "-GLANES=64", "-GTABLE_ELEMS=1048576"],
    ["-GBUS_BITS=64", "-GLANES=8", "-GMAX_FEAT=64", "-GTABLE_ELEMS=512"],
    ["-GBUS_BITS=128", "-GLANES=64", "-GPES=4", "-GTABLE_ELEMS=1048576"],
    ["-GBUS_BITS=64", "-GLANES=16", "-GPES=2", "-GMAX_FEAT=128", "-GTABLE_ELEMS=1024"],
    ["-GFEAT_BITS=8", "-GFEAT_FRAC=4", "-GWGT_FRAC=6", "-GACC_BITS=24"],
    ["-GBUS_BITS=128", "-GLANES=64", "-GPES=4", "-GTABLE_ELEMS=1048576", "-GFEAT_BITS=8", "-GFEAT_FRAC=4",
     "-GWGT_FRAC=6", "-GACC_BITS=24"],
    ["-GFEAT_FRAC=10", "-GWGT_FRAC=14", "-GCOEF_FRAC=13"],
], ids=["pynq-z2", "bus128_lanes64", "bus64_lanes8", "kv260_pes4", "pes2", "feat8_acc24", "kv260_pes4_feat8",
        "feat16_frac10"])
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


@pytest.mark.parametrize("params,message", [
    (["-GFEAT_BITS=12"], "FEAT_BITS must be 8 or 16"),
    (["-GFEAT_BITS=8", "-GACC_BITS=23", "-GFEAT_FRAC=4", "-GWGT_FRAC=6"], "ACC_BITS must be FEAT_BITS + 16"),
    (["-GACC_BITS=40"], "ACC_BITS must be FEAT_BITS + 16"),
    (["-GFEAT_BITS=8"], "FEAT_FRAC must be 0..FEAT_BITS-1"),  # the default fractions need 16 bits
    (["-GCOEF_FRAC=17"], "COEF_FRAC must be 1..16"),
], ids=["feat_bits12", "acc_too_narrow", "acc_too_wide", "frac_too_big", "coef_frac17"])
def test_bad_number_formats_are_rejected(params, message):
    """The same format rules as golden.contract.HwConfig, at elaboration."""
    res = subprocess.run([str(VERILATOR), "--lint-only", "-Wall", *params, "-f", "rtl/files.f",
                          "--top-module", "gnn_agg"], cwd=ROOT, capture_output=True, text=True)
    assert res.returncode != 0 and message in res.stderr, res.stderr[-2000:]
