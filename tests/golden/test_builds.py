"""The board / build registry (golden/builds.py): consistent with itself, with the contract's
BOARDS, with the RTL's parameter defaults, and with the docs tables generated from it."""
import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest

from golden import builds
from golden.contract import BOARDS, DEFAULT_HW, HwConfig

ROOT = Path(__file__).resolve().parents[2]


def test_contract_boards_are_the_rtl_bitstream_builds():
    assert list(BOARDS) == list(builds.BOARDS)
    for name, hw in BOARDS.items():
        b = builds.board_build(name)
        assert (b.board, b.impl, "bitstream" in b.uses) == (name, "rtl", True)
        assert hw == b.hw
    assert DEFAULT_HW == builds.build("pynq-z2").hw == HwConfig()


@pytest.mark.parametrize("board", list(builds.BOARDS))
@pytest.mark.parametrize("impl", builds.IMPLS)
def test_every_board_has_one_bitstream_build_per_kernel(board, impl):
    (b,) = [b for b in builds.select("bitstream") if b.board == board and b.impl == impl]
    assert builds.bitstream_build(board, impl) is b
    assert b.clock_mhz and b.clocks_mhz[0] == b.clock_mhz
    if impl == "hls":
        # the HLS kernel's build is the board's RTL build with one PE and a 32-bit accumulator
        rtl = builds.board_build(board)
        assert b.hw == dataclasses.replace(rtl.hw, pes=builds.HLS_PES, acc_bits=builds.HLS_ACC_BITS)


def test_board_facts_fit_their_family():
    for board in builds.BOARDS.values():
        zynq7 = board.part.startswith("xc7z")
        assert board.family == ("zynq7" if zynq7 else "zynqmp")
        assert board.table_impl == ("bram" if zynq7 else "uram")
        assert ("URAM" in board.capacity) == (not zynq7)
        assert board.intc_base - board.control_base == 0x10000 and board.control_base % 0x10000 == 0


def test_bitstream_builds_fit_their_bus():
    """The bus width is the PS port's: 64 bit on Zynq-7000 HP ports, 128 on Zynq UltraScale+."""
    for b in builds.select("bitstream"):
        assert b.hw.bus_bits == (64 if b.board_info.family == "zynq7" else 128)


def test_rtl_parameters_follow_the_rtl_defaults():
    """rtl_parameters(hw, changed_only=True) leaves out exactly the RTL's own defaults."""
    sv = (ROOT / "rtl" / "gnn_agg.sv").read_text()
    defaults = dict(re.findall(r"parameter int (\w+) = (\d+)", sv))
    full = builds.rtl_parameters(HwConfig())
    assert {k: str(v) for k, v in full.items()} == {k: defaults[k] for k in full}
    assert builds.rtl_parameters(HwConfig(), changed_only=True) == {}
    assert builds.build("kv260").lint_args == ["-GBUS_BITS=128", "-GLANES=64", "-GPES=4", "-GTABLE_ELEMS=1048576"]


def test_hls_builds_have_the_hls_macros():
    b = builds.build("pynq-z2-hls-feat8-tiled")
    assert b.hls_defines == ["-DGNN_AGG_TABLE_IMPL=bram", "-DGNN_AGG_BUS_BITS=64", "-DGNN_AGG_LANES=16",
                             "-DGNN_AGG_MAX_FEAT=256", "-DGNN_AGG_TABLE_ELEMS=1024", "-DGNN_AGG_FEAT_BITS=8",
                             "-DGNN_AGG_FEAT_FRAC=4", "-DGNN_AGG_WGT_FRAC=6", "-DGNN_AGG_COEF_FRAC=14",
                             "-DGNN_AGG_ACC_BITS=32"]
    with pytest.raises(ValueError, match="rtl build"):
        builds.build("kv260").hls_macros


def test_bad_builds_are_refused():
    hw = HwConfig()
    with pytest.raises(ValueError, match="HLS kernel has PES=1"):
        builds.Build("x", "kv260", "hls", dataclasses.replace(hw, pes=4))
    with pytest.raises(ValueError, match="unknown board"):
        builds.Build("x", "zedboard", "rtl", hw)
    with pytest.raises(ValueError, match="needs clock_mhz"):
        builds.Build("x", "kv260", "rtl", hw, uses=frozenset({"bitstream"}))
    with pytest.raises(ValueError, match="unknown uses"):
        builds.Build("x", None, "rtl", hw, uses=frozenset({"lnt"}))
    with pytest.raises(KeyError, match="known: pynq-z2"):
        builds.build("nope")
    with pytest.raises(KeyError, match="unknown board"):
        builds.bitstream_build("zedboard")


def test_tcl_data_holds_the_whole_build():
    text = builds.tcl_data(builds.build("kv260"))
    data = dict(re.findall(r"^dict set board (\w+) (.*)$", text, re.M))
    assert data["clock_mhz"] == "300" and data["impl"] == "rtl" and data["part"] == "xck26-sfvc784-2LV-c"
    assert data["hw"] == ("{BUS_BITS 128 LANES 64 PES 4 MAX_FEAT 256 TABLE_ELEMS 1048576 FEAT_BITS 16 "
                          "FEAT_FRAC 12 WGT_FRAC 12 COEF_FRAC 15 ACC_BITS 32}")
    with pytest.raises(ValueError, match="no board"):
        builds.tcl_data(builds.build("lanes8"))


def test_cli_lint_params_is_the_lint_sweep():
    proc = subprocess.run([sys.executable, "-m", "golden.builds", "lint-params"], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    assert proc.stdout.splitlines() == [" ".join(b.lint_args) for b in builds.select("lint")]


@pytest.mark.parametrize("doc", ["docs/CONTRACT.md", "docs/HLS.md"])
def test_docs_build_tables_are_generated(doc):
    """The docs' build tables are golden.builds.markdown_table():
    `python -m golden.builds markdown --update docs/CONTRACT.md docs/HLS.md` rewrites them."""
    text = (ROOT / doc).read_text()
    m = re.search(r"<!-- builds: python -m golden.builds markdown -->\n(.*?)<!-- /builds -->", text, re.S)
    assert m, f"{doc} has no generated build table"
    assert m.group(1) == builds.markdown_table()
