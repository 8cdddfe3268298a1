"""`make bitstream` copies a board's bitstream build into the overlay package (overlay/), and only
that build: checked with the dry-run tools of tests/hls/test_flow.py."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOW = ROOT / "hls" / "flow"

pytestmark = pytest.mark.skipif(subprocess.run(["sh", "-c", "command -v tclsh"], capture_output=True).returncode,
                                reason="needs tclsh")


@pytest.fixture(scope="module")
def fake_tools(tmp_path_factory):
    bin_dir = tmp_path_factory.mktemp("fake_xilinx_bin")
    for tool in ("vivado", "vitis_hls"):
        shim = bin_dir / tool
        shim.write_text(f'#!/bin/sh\nexec tclsh "{FLOW / "dryrun.tcl"}" {tool} "$@"\n')
        shim.chmod(0o755)
    return bin_dir


def run(tmp_path, fake_tools, *args):
    env = {**os.environ, "PATH": f"{fake_tools}:{os.environ['PATH']}", "GNN_AGG_DRYRUN_LOG": str(tmp_path / "log"),
           "GNN_AGG_DRYRUN_DIR": str(tmp_path / "dry")}
    proc = subprocess.run([sys.executable, str(FLOW / "bitstream.py"), *args, "--build-dir", str(tmp_path / "build"),
                           "--overlay-dir", str(tmp_path / "overlays"), "--package-dir", str(tmp_path / "package")],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


def test_board_build_is_copied_into_the_overlay_package(tmp_path, fake_tools):
    out = run(tmp_path, fake_tools, "--board", "kv260", "--impl", "rtl")
    for name in ("gnn_agg.bit", "gnn_agg.hwh"):
        assert (tmp_path / "package" / "kv260" / name).read_bytes() == (tmp_path / "overlays" / "kv260" / name).read_bytes()
    assert f"copied into the overlay package, {tmp_path / 'package' / 'kv260'}/" in out


def test_other_builds_are_not_copied(tmp_path, fake_tools):
    run(tmp_path, fake_tools, "--build", "pynq-z2-feat8")
    assert (tmp_path / "overlays" / "pynq-z2-feat8" / "gnn_agg.bit").is_file()
    assert not (tmp_path / "package").exists()
