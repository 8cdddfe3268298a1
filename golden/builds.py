"""The board / build registry: every accelerator build we lint, synthesize, simulate, benchmark
or turn into a bitstream, and the facts of the boards they are for. One place for all of them:

* `make lint` (rtl/lint.py) and tests/rtl/test_lint.py sweep ``select("lint")``;
* `make synth` (rtl/synth/synth.py) synthesizes ``select("synth")``;
* `make csim` (hls/csim.py) runs ``select("csim")``, the test suite ``select("csim-test")``;
* `make bitstream BOARD=b IMPL=i` (hls/flow/bitstream.py) builds ``bitstream_build(b, i)``
  exactly: it writes this module's Tcl data for the build (``tcl_data``) under build/ and the
  Vivado / Vitis HLS scripts read nothing else;
* golden.contract.BOARDS (the HwConfig per board) is ``board_build(b).hw``; the benchmark's board
  models take the RTL build, its clocks and the board's memory figures from here.

A *board* (Board) holds what the board is: part, Vivado board files, PS family, the HLS kernel's
node-table memory, the address map, the PYNQ image, device capacity and DDR figures. A *build*
(Build) is one accelerator configuration: which kernel (``impl``: the RTL or the one-PE HLS
kernel), on which board (None: an RTL parameter set that only lint sweeps), its HwConfig, the
clock it is built for, and which flows use it (``uses``). The RTL parameters and the HLS macros
are derived from the HwConfig (``rtl_parameters``, ``Build.hls_macros``), never written twice.

To add a board: a Board in BOARDS, then at least its RTL build with uses {"bitstream", "lint"}
(and an HLS build with {"bitstream"} if the HLS kernel should build for it); the flow, the
tests and golden.contract.BOARDS pick it up. To add a variant: a Build with the uses it needs.

    python -m golden.builds list | lint-params | tcl NAME | json | markdown [--update DOC...]
"""
from __future__ import annotations

import dataclasses
import json
import sys

from .contract import HwConfig

IMPLS = ("rtl", "hls")
USES = ("lint", "synth", "csim", "csim-test", "bitstream")
#: the HLS kernel has one processing element and a 32-bit accumulator whatever the board
#: (docs/HLS.md, "Why one PE"; hls/gnn_agg_types.h)
HLS_PES = 1
HLS_ACC_BITS = 32


@dataclasses.dataclass(frozen=True)
class Board:
    """What a board is (vendor documentation), independent of the accelerator built for it."""

    name: str               # the BOARD value of `make bitstream`
    title: str
    part: str               # Vivado part
    board_part_glob: str    # Vivado board files (the newest installed version is used)
    family: str             # PS family: zynq7 (Zynq-7000) or zynqmp (Zynq UltraScale+)
    table_impl: str         # HLS kernel node-table memory (-DGNN_AGG_TABLE_IMPL): bram or uram
    control_base: int       # kernel registers (64 KiB) in the PS master's address space
    intc_base: int          # AXI interrupt controller (64 KiB)
    ddr_segments: tuple     # PS slave port segments the kernel's master is given (all of DDR)
    pynq_image: str
    capacity: dict          # device resources: LUT, FF, DSP, BRAM36 (and URAM)
    ddr_gbytes_s: float     # peak DDR bandwidth (data sheet)
    memory: str

    def __post_init__(self):
        if self.family not in ("zynq7", "zynqmp"):
            raise ValueError(f"{self.name}: family must be zynq7 or zynqmp, got {self.family!r}")
        if self.table_impl not in ("bram", "uram"):
            raise ValueError(f"{self.name}: table_impl must be bram or uram, got {self.table_impl!r}")

    @property
    def yosys_family(self) -> str:
        """synth_xilinx -family."""
        return "xc7" if self.family == "zynq7" else "xcup"

    @property
    def synth_options(self) -> str:
        """Extra synth_xilinx options: UltraScale+ has URAM for the node table."""
        return "-uram" if self.family == "zynqmp" else ""


BOARDS = {b.name: b for b in (
    Board("pynq-z2", "PYNQ-Z2 (TUL, Zynq-7020)", "xc7z020clg400-1", "tul.com.tw:pynq-z2:part0:*", "zynq7",
          "bram", 0x40000000, 0x40010000, ("HP0_DDR_LOWOCM",),
          "PYNQ 3.x (PYNQ 4.0 dropped Zynq-7000 boards)",
          {"LUT": 53200, "FF": 106400, "DSP": 220, "BRAM36": 140},
          4.26, "DDR3-1066, 32-bit (PS), one 64-bit HP port"),
    Board("kv260", "Kria KV260 (K26 SOM, Zynq UltraScale+ XCK26)", "xck26-sfvc784-2LV-c",
          "xilinx.com:kv260_som:part0:*", "zynqmp", "uram", 0xA0000000, 0xA0010000,
          ("HP0_DDR_LOW", "HP0_DDR_HIGH"), "Kria-PYNQ on the Ubuntu image (install.sh -b KV260)",
          {"LUT": 117120, "FF": 234240, "DSP": 1248, "BRAM36": 144, "URAM": 64},
          19.2, "DDR4-2400, 64-bit, one 128-bit HP port"),
    Board("zcu104", "ZCU104 (Zynq UltraScale+ XCZU7EV)", "xczu7ev-ffvc1156-2-e", "xilinx.com:zcu104:part0:*",
          "zynqmp", "uram", 0xA0000000, 0xA0010000, ("HP0_DDR_LOW", "HP0_DDR_HIGH"), "PYNQ (current image)",
          {"LUT": 230400, "FF": 460800, "DSP": 1728, "BRAM36": 312, "URAM": 96},
          21.3, "DDR4-2666, 64-bit, one 128-bit HP port"),
)}


@dataclasses.dataclass(frozen=True)
class Build:
    """One accelerator configuration and the flows that use it."""

    name: str
    board: str | None       # a BOARDS key; None: an RTL parameter set only lint sweeps
    impl: str               # "rtl" (rtl/files.f) or "hls" (hls/gnn_agg.cpp, one PE)
    hw: HwConfig
    clock_mhz: float | None = None  # the PL clock the bitstream is built (and timing-checked) for
    alt_clocks_mhz: tuple = ()      # further clocks the benchmark projects at
    uses: frozenset = frozenset()
    note: str = ""

    def __post_init__(self):
        if self.impl not in IMPLS:
            raise ValueError(f"build {self.name}: impl must be one of {IMPLS}, got {self.impl!r}")
        if self.board is not None and self.board not in BOARDS:
            raise ValueError(f"build {self.name}: unknown board {self.board!r}")
        if unknown := set(self.uses) - set(USES):
            raise ValueError(f"build {self.name}: unknown uses {sorted(unknown)} (known: {USES})")
        if self.impl == "hls" and (self.hw.pes != HLS_PES or self.hw.acc_bits != HLS_ACC_BITS):
            raise ValueError(f"build {self.name}: the HLS kernel has PES={HLS_PES} and ACC_BITS={HLS_ACC_BITS}")
        if self.impl == "hls" and self.board is None:
            raise ValueError(f"build {self.name}: an HLS build needs a board (its node-table memory)")
        if "csim" in self.uses and self.impl != "hls" or "csim-test" in self.uses and "csim" not in self.uses:
            raise ValueError(f"build {self.name}: csim builds are HLS builds (and csim-test ones are csim ones)")
        if {"synth", "bitstream"} & set(self.uses) and self.board is None:
            raise ValueError(f"build {self.name}: synth and bitstream builds need a board")
        if "bitstream" in self.uses and not self.clock_mhz:
            raise ValueError(f"build {self.name}: a bitstream build needs clock_mhz")

    @property
    def board_info(self) -> Board | None:
        return BOARDS[self.board] if self.board else None

    @property
    def clocks_mhz(self) -> tuple:
        """The target clock first, then the others the benchmark projects at."""
        return ((self.clock_mhz,) if self.clock_mhz else ()) + tuple(self.alt_clocks_mhz)

    @property
    def rtl_params(self) -> dict[str, int]:
        """Every top-level parameter of rtl/gnn_agg.sv this build sets (what the flow packages)."""
        return rtl_parameters(self.hw)

    @property
    def lint_args(self) -> list[str]:
        """Verilator -G options: the parameters that differ from the RTL's defaults."""
        return [f"-G{k}={v}" for k, v in rtl_parameters(self.hw, changed_only=True).items()]

    @property
    def hls_macros(self) -> dict[str, object]:
        """The -DGNN_AGG_* macros of the HLS kernel (hls/gnn_agg_types.h, hls/gather.h); PES and
        ACC_BITS are fixed there (HLS_PES, HLS_ACC_BITS) and __post_init__ checks them."""
        if self.impl != "hls":
            raise ValueError(f"build {self.name} is an {self.impl} build: it has no HLS macros")
        macros = {"TABLE_IMPL": self.board_info.table_impl}
        macros.update((k, v) for k, v in rtl_parameters(self.hw).items() if k != "PES")
        return macros

    @property
    def hls_defines(self) -> list[str]:
        return [f"-DGNN_AGG_{k}={v}" for k, v in self.hls_macros.items()]

    def describe(self) -> str:
        """One line: what this build is."""
        p = " ".join(f"{k}={v}" for k, v in self.rtl_params.items())
        kernel = "RTL kernel" if self.impl == "rtl" else f"HLS kernel ({HLS_PES} PE)"
        where = f"board {self.board}" if self.board else "no board"
        clock = f" at {_num(self.clock_mhz)} MHz" if self.clock_mhz else ""
        return f"{self.name}: {where}, {kernel}{clock}: {p}"


def rtl_parameters(hw: HwConfig, changed_only: bool = False) -> dict[str, int]:
    """The rtl/gnn_agg.sv top-level parameters of `hw` (each HwConfig field, upper case), in
    HwConfig field order. The RTL's defaults are HwConfig()'s; `changed_only` leaves those out."""
    default = HwConfig()
    return {f.name.upper(): getattr(hw, f.name) for f in dataclasses.fields(hw)
            if not changed_only or getattr(hw, f.name) != getattr(default, f.name)}


def _hls(hw: HwConfig, **changes) -> HwConfig:
    """The HLS kernel's version of an RTL build's configuration: one PE, 32-bit accumulator."""
    return dataclasses.replace(hw, pes=HLS_PES, acc_bits=HLS_ACC_BITS, **changes)


_PYNQ_Z2 = HwConfig(bus_bits=64, lanes=16, pes=1, max_feat=256, table_elems=1 << 17)
_KV260 = HwConfig(bus_bits=128, lanes=64, pes=4, max_feat=256, table_elems=1 << 20)
_ZCU104 = HwConfig(bus_bits=128, lanes=64, pes=4, max_feat=256, table_elems=1 << 20)
#: 8-bit features Q4.4, W Q2.6, 24-bit accumulator
_FEAT8 = dict(feat_bits=8, feat_frac=4, wgt_frac=6, acc_bits=24)
#: 16-bit features with other fractions: Q6.10, W Q2.14, COEF UQ3.13
_FRAC10 = dict(feat_frac=10, wgt_frac=14, coef_frac=13)
#: a node table this small makes the random cases tile (several partitions, acc_buf)
_TILED = 1024

_B = Build
BUILDS = {b.name: b for b in (
    # ---- PYNQ-Z2 ----------------------------------------------------------------------------
    _B("pynq-z2", "pynq-z2", "rtl", _PYNQ_Z2, 100, (150,), frozenset({"lint", "synth", "bitstream"}),
       "the default build (golden.contract.DEFAULT_HW); the RTL's parameter defaults"),
    _B("pynq-z2-feat8", "pynq-z2", "rtl", dataclasses.replace(_PYNQ_Z2, **_FEAT8), 100, (),
       frozenset({"lint", "synth"}), "8-bit features (Q4.4, W Q2.6), 24-bit accumulator"),
    _B("pynq-z2-frac10", "pynq-z2", "rtl", dataclasses.replace(_PYNQ_Z2, **_FRAC10), 100, (),
       frozenset({"lint"}), "16-bit features with other fractions (Q6.10, W Q2.14, COEF UQ3.13)"),
    _B("pynq-z2-hls", "pynq-z2", "hls", _hls(_PYNQ_Z2), 100, (), frozenset({"csim", "bitstream"}),
       "the HLS kernel for the PYNQ-Z2"),
    _B("pynq-z2-hls-tiled", "pynq-z2", "hls", _hls(_PYNQ_Z2, table_elems=_TILED), 100, (),
       frozenset({"csim", "csim-test"}), "small node table: the random cases run tiled"),
    _B("pynq-z2-hls-feat8-tiled", "pynq-z2", "hls",
       _hls(_PYNQ_Z2, table_elems=_TILED, feat_bits=8, feat_frac=4, wgt_frac=6, coef_frac=14), 100, (),
       frozenset({"csim", "csim-test"}), "8-bit features Q4.4, W Q2.6, COEF UQ2.14 (32-bit accumulator)"),
    # ---- KV260 ------------------------------------------------------------------------------
    _B("kv260-pes1", "kv260", "rtl", dataclasses.replace(_KV260, pes=1), 300, (),
       frozenset({"lint", "synth"}), "the KV260 build with one processing element"),
    _B("kv260", "kv260", "rtl", _KV260, 300, (250,), frozenset({"lint", "synth", "bitstream"}),
       "4 PEs; docs/BENCH.md projects it at 300 MHz (timing closure not yet run in Vivado)"),
    _B("kv260-feat8", "kv260", "rtl", dataclasses.replace(_KV260, **_FEAT8), 300, (),
       frozenset({"lint"}), "the KV260 build with 8-bit features and a 24-bit accumulator"),
    _B("kv260-hls", "kv260", "hls", _hls(_KV260), 200, (), frozenset({"csim", "bitstream"}),
       "the HLS kernel for the KV260 (one PE, 200 MHz)"),
    _B("kv260-hls-tiled", "kv260", "hls", _hls(_KV260, table_elems=_TILED), 200, (),
       frozenset({"csim", "csim-test"}), "small node table: the random cases run tiled"),
    # ---- ZCU104 -----------------------------------------------------------------------------
    _B("zcu104", "zcu104", "rtl", _ZCU104, 300, (250,), frozenset({"bitstream"}),
       "the KV260 configuration on the larger XCZU7EV"),
    _B("zcu104-hls", "zcu104", "hls", _hls(_ZCU104), 200, (), frozenset({"bitstream"}),
       "the HLS kernel for the ZCU104 (one PE, 200 MHz)"),
    # ---- RTL parameter sets without a board (lint only) -------------------------------------
    _B("lanes8", None, "rtl", HwConfig(bus_bits=64, lanes=8, max_feat=64, table_elems=512),
       uses=frozenset({"lint"}), note="narrow lanes, tiny table"),
    _B("pes2", None, "rtl", HwConfig(bus_bits=64, lanes=16, pes=2, max_feat=128, table_elems=1024),
       uses=frozenset({"lint"}), note="two processing elements, tiny table"),
)}
del _B


def _check_registry() -> None:
    for board in BOARDS:
        for impl in IMPLS:
            n = [b.name for b in BUILDS.values() if b.board == board and b.impl == impl and "bitstream" in b.uses]
            if len(n) > 1:
                raise ValueError(f"board {board}: more than one {impl} bitstream build: {n}")
        if not any(b.board == board and b.impl == "rtl" and "bitstream" in b.uses for b in BUILDS.values()):
            raise ValueError(f"board {board} has no RTL bitstream build")


_check_registry()


def build(name: str) -> Build:
    try:
        return BUILDS[name]
    except KeyError:
        raise KeyError(f"unknown build {name!r} (known: {', '.join(BUILDS)})") from None


def select(use: str) -> list[Build]:
    """The builds a flow uses, in registry order: "lint", "synth", "csim", "csim-test", "bitstream"."""
    if use not in USES:
        raise ValueError(f"unknown use {use!r} (known: {USES})")
    return [b for b in BUILDS.values() if use in b.uses]


def bitstream_build(board: str, impl: str = "rtl") -> Build:
    """The build `make bitstream BOARD=board IMPL=impl` makes."""
    if board not in BOARDS:
        raise KeyError(f"unknown board {board!r} (known: {', '.join(BOARDS)})")
    for b in select("bitstream"):
        if b.board == board and b.impl == impl:
            return b
    raise KeyError(f"board {board} has no {impl} bitstream build in golden/builds.py")


def build_of(hw: HwConfig) -> Build | None:
    """The registry build a device configuration is: the board RTL bitstream build with this
    HwConfig, else any board build with it and a clock; None when the registry has none."""
    return next((b for b in BUILDS.values() if b.impl == "rtl" and b.board and b.hw == hw and "bitstream" in b.uses),
                None) or next((b for b in BUILDS.values() if b.board and b.hw == hw and b.clock_mhz), None)


def board_build(board: str) -> Build:
    """A board's main build: its RTL bitstream build (golden.contract.BOARDS, the benchmark)."""
    return bitstream_build(board, "rtl")


def _num(x) -> str:
    return f"{x:g}"


def _tcl_word(value) -> str:
    s = str(value)
    return s if s and all(c.isalnum() or c in "._-:/*+" for c in s) else "{" + s + "}"


def tcl_data(b: Build) -> str:
    """The build as the Tcl dict the flow scripts read (hls/flow/common.tcl, load_build).
    hls/flow/bitstream.py writes it to the build directory before the tools run."""
    if b.board is None:
        raise ValueError(f"build {b.name} has no board: nothing to build a bitstream for")
    if not b.clock_mhz:
        raise ValueError(f"build {b.name} has no clock_mhz")
    board = b.board_info
    items = [
        ("name", board.name), ("build", b.name), ("impl", b.impl), ("part", board.part),
        ("board_part_glob", board.board_part_glob), ("family", board.family),
        ("table_impl", board.table_impl), ("clock_mhz", _num(b.clock_mhz)),
        ("hw", " ".join(f"{k} {v}" for k, v in b.rtl_params.items())),
        ("hls_defines", " ".join(b.hls_defines) if b.impl == "hls" else ""),
        ("control_base", f"0x{board.control_base:08X}"), ("intc_base", f"0x{board.intc_base:08X}"),
        ("ddr_segments", " ".join(board.ddr_segments)),
    ]
    lines = [f"# Generated from golden/builds.py (build {b.name}) by hls/flow/bitstream.py: do not edit.",
             f"# {b.describe()}"]
    lines += [f"dict set board {k} {_tcl_word(v)}" for k, v in items]
    return "\n".join(lines) + "\n"


def as_dict(b: Build) -> dict:
    return {"name": b.name, "board": b.board, "impl": b.impl, "hw": dataclasses.asdict(b.hw),
            "rtl_params": b.rtl_params, "clock_mhz": b.clock_mhz, "alt_clocks_mhz": list(b.alt_clocks_mhz),
            "uses": sorted(b.uses), "note": b.note}


def to_json() -> str:
    boards = {n: dataclasses.asdict(bd) for n, bd in BOARDS.items()}
    return json.dumps({"boards": boards, "builds": {n: as_dict(b) for n, b in BUILDS.items()}}, indent=1)


def markdown_table() -> str:
    """The builds as a Markdown table (docs/CONTRACT.md and docs/HLS.md include it)."""
    fields = ("bus_bits", "lanes", "pes", "max_feat", "table_elems")
    lines = ["| build | board | kernel | clock MHz (built; then projected) | BUS_BITS / LANES / PES / MAX_FEAT / TABLE_ELEMS | "
             "FEAT_BITS, FEAT_FRAC, WGT_FRAC, COEF_FRAC, ACC_BITS | used by |",
             "|---|---|---|---|---|---|---|"]
    for b in BUILDS.values():
        hw = b.hw
        shape = " / ".join(str(getattr(hw, f)) for f in fields)
        formats = ", ".join(str(getattr(hw, f)) for f in ("feat_bits", "feat_frac", "wgt_frac", "coef_frac", "acc_bits"))
        clocks = ", ".join(_num(c) for c in b.clocks_mhz) or "-"
        uses = ", ".join(u for u in USES if u in b.uses)
        lines.append(f"| {b.name} | {b.board or '-'} | {b.impl} | {clocks} | {shape} | {formats} | {uses} |")
    return "\n".join(lines) + "\n"


DOC_BEGIN = "<!-- builds: python -m golden.builds markdown -->\n"
DOC_END = "<!-- /builds -->"


def update_doc(path) -> bool:
    """Replace the generated table between DOC_BEGIN and DOC_END in a Markdown file; True if it changed."""
    from pathlib import Path

    path = Path(path)
    text = path.read_text()
    start, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if start < 0 or end < start:
        raise ValueError(f"{path}: no {DOC_BEGIN.strip()} ... {DOC_END} block")
    new = text[:start + len(DOC_BEGIN)] + markdown_table() + text[end:]
    if new != text:
        path.write_text(new)
    return new != text


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m golden.builds", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="one line per build")
    sub.add_parser("lint-params", help="the Verilator -G options of each lint build, one build a line")
    tcl = sub.add_parser("tcl", help="the Tcl data of a build (what hls/flow/bitstream.py writes)")
    tcl.add_argument("name", choices=list(BUILDS))
    sub.add_parser("json", help="boards and builds as JSON")
    md = sub.add_parser("markdown", help="the builds as a Markdown table")
    md.add_argument("--update", nargs="+", metavar="DOC",
                    help="rewrite the generated table in these files (docs/CONTRACT.md docs/HLS.md)")
    args = ap.parse_args(argv)
    if args.cmd == "list":
        for b in BUILDS.values():
            print(f"{b.describe()}  [{', '.join(u for u in USES if u in b.uses)}]")
    elif args.cmd == "lint-params":
        for b in select("lint"):
            print(" ".join(b.lint_args))
    elif args.cmd == "tcl":
        sys.stdout.write(tcl_data(BUILDS[args.name]))
    elif args.cmd == "json":
        print(to_json())
    elif args.update:
        for doc in args.update:
            print(f"{doc}: {'updated' if update_doc(doc) else 'up to date'}")
    else:
        sys.stdout.write(markdown_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
