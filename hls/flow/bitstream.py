"""make bitstream: build the gnn_agg overlay for a board with Vitis HLS / Vivado.

    python hls/flow/bitstream.py --board kv260|zcu104|pynq-z2 --impl hls|rtl [--jobs N]
    python hls/flow/bitstream.py --build NAME [--jobs N]

What is built is exactly one build of the registry (golden/builds.py): --board/--impl pick the
board's bitstream build for that kernel (golden.builds.bitstream_build: kv260 + rtl is build
"kv260", 4 PEs; kv260 + hls is "kv260-hls", the HLS kernel's one PE at its own clock), --build any
build with a board. The flow says which build it makes, writes the build's data
(golden.builds.tcl_data: part, board files, addresses, every kernel parameter, clock) to
<build dir>/build.tcl, and the Tcl scripts read only that.

IMPL=hls: golden vectors -> Vitis HLS (csim, csynth, export; HLS_STEPS="csim csynth cosim export"
adds co-simulation) -> IP. IMPL=rtl: Vivado packages rtl/files.f as the same IP. Then Vivado
builds the block design, implements it and copies gnn_agg.bit + gnn_agg.hwh to
host/overlays/<board>/ (a build that is not the board's bitstream build: host/overlays/<build>/),
where the host driver's users load them from; a board's bitstream build is also copied into the
overlay package's data folder overlay/gnn_agg_overlay/<board>/ (docs/BOARD.md; --package-dir,
default only with the default --overlay-dir). Build files go to build/hls/flow/<board>-<impl>/
(other builds: build/hls/flow/<build>/). Without the tools this exits with status 2 and says which tool
is missing and which versions the scripts were written for.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from golden import builds  # noqa: E402

FLOW = ROOT / "hls" / "flow"
TOOL_VERSION = "2023.2"
BOARDS = list(builds.BOARDS)
DEFAULT_HLS_STEPS = "csim csynth export"
COSIM_RANDOM_CASES = 10
DEFAULT_OVERLAY_DIR = ROOT / "host" / "overlays"
PACKAGE_DIR = ROOT / "overlay" / "gnn_agg_overlay"  # the pip-installable overlay package (overlay/)


def needed_tools(impl: str, ip_only: bool) -> list[str]:
    """Vivado places and routes (and packages the RTL); Vitis HLS builds the HLS kernel."""
    return (["vivado"] if impl == "rtl" or not ip_only else []) + (["vitis_hls"] if impl == "hls" else [])


def tool_version(tool: str) -> str | None:
    proc = subprocess.run([tool, "-version"], capture_output=True, text=True)
    m = re.search(r"v(\d{4}\.\d)", proc.stdout)
    return m.group(1) if m else None


def run(cmd: list[str], cwd: Path) -> None:
    print("+", " ".join(map(str, cmd)), flush=True)
    subprocess.run([str(c) for c in cmd], cwd=cwd, check=True)


def write_vectors(build: builds.Build, out: Path, n_random: int, tiled: bool = False) -> Path:
    """The shared case set for the build (with `tiled`, also the TILED set `make csim` runs)."""
    from golden.cases import standard_cases
    from golden.vectors import write_dir

    cases = standard_cases(build.hw, n_random=n_random)
    if tiled:
        sys.path.insert(0, str(ROOT / "hls"))
        from csim import tiled_cases

        cases += tiled_cases(build.hw, n_random=n_random // 5)
    return write_dir(cases, out, build.hw)


def choose_build(board: str | None, impl: str | None, name: str | None) -> builds.Build:
    """The registry build the command line asks for (SystemExit with the reason otherwise)."""
    if name:
        b = builds.BUILDS.get(name)
        if b is None or b.board is None or not b.clock_mhz:
            known = ", ".join(n for n, x in builds.BUILDS.items() if x.board and x.clock_mhz)
            raise SystemExit(f"make bitstream: no build {name!r} with a board and a clock (known: {known})")
        for what, asked, actual in (("board", board, b.board), ("impl", impl, b.impl)):
            if asked and asked != actual:
                raise SystemExit(f"make bitstream: build {name} is for {what} {actual}, not {asked}")
        return b
    if not board or not impl:
        raise SystemExit("make bitstream: give --board and --impl, or --build")
    try:
        return builds.bitstream_build(board, impl)
    except KeyError as e:
        raise SystemExit(f"make bitstream: {e.args[0]}") from None


def is_default(build: builds.Build) -> bool:
    return "bitstream" in build.uses


def build_dir_name(build: builds.Build) -> str:
    return f"{build.board}-{build.impl}" if is_default(build) else build.name


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", choices=BOARDS, help="the board: builds its bitstream build for --impl")
    ap.add_argument("--impl", choices=builds.IMPLS, help="rtl (rtl/files.f) or hls (the one-PE HLS kernel)")
    ap.add_argument("--build", help="a registry build by name (golden/builds.py), instead of the board's")
    ap.add_argument("--jobs", type=int, default=2, help="Vivado implementation jobs")
    ap.add_argument("--overlay-dir", type=Path, default=DEFAULT_OVERLAY_DIR,
                    help="the overlay goes to OVERLAY_DIR/<board>/gnn_agg.{bit,hwh} (other builds: <build>/)")
    ap.add_argument("--package-dir", type=Path,
                    help="also copy a board's bitstream build to PACKAGE_DIR/<board>/ (default: overlay/gnn_agg_overlay "
                         "when --overlay-dir is the default; 'none' for no copy)")
    ap.add_argument("--build-dir", type=Path, default=ROOT / "build" / "hls" / "flow",
                    help="build files go to BUILD_DIR/<board>-<impl>/ (other builds: BUILD_DIR/<build>/)")
    ap.add_argument("--ip-only", action="store_true",
                    help="stop once the kernel IP exists (HLS: also the Verilog list files.f for simulation)")
    args = ap.parse_args(argv)
    build = choose_build(args.board, args.impl, args.build)

    needed = needed_tools(build.impl, args.ip_only)
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        print(f"make bitstream (build {build.name}): {' and '.join(missing)} not found on PATH. The flow (hls/flow/) was written "
              f"for Vivado {TOOL_VERSION} and Vitis HLS {TOOL_VERSION}: source "
              f"<Xilinx install>/Vivado/{TOOL_VERSION}/settings64.sh (and Vitis HLS's) first.", file=sys.stderr)
        return 2
    for tool in needed:
        version = tool_version(tool)
        if version != TOOL_VERSION:
            print(f"note: {tool} is {version or 'of unknown version'}; the scripts were written for "
                  f"{TOOL_VERSION} (IP versions are looked up, so nearby releases usually work)")

    print(f"make bitstream: build {build.describe()}", flush=True)
    if build.impl == "hls":
        rtl = builds.board_build(build.board)
        if rtl.hw != build.hw:
            print(f"  (the HLS kernel has {builds.HLS_PES} processing element; the board's RTL build is "
                  f"{rtl.name} with PES={rtl.hw.pes} at {rtl.clock_mhz:g} MHz: IMPL=rtl)", flush=True)
    work = (args.build_dir / build_dir_name(build)).resolve()
    work.mkdir(parents=True, exist_ok=True)
    data = work / "build.tcl"
    data.write_text(builds.tcl_data(build))
    batch = ["vivado", "-mode", "batch", "-nojournal", "-nolog", "-notrace", "-source"]
    if build.impl == "hls":
        steps = os.environ.get("HLS_STEPS", DEFAULT_HLS_STEPS).split()
        csim = write_vectors(build, work / "vectors", 200, tiled=True)
        cosim = write_vectors(build, work / "vectors-cosim", COSIM_RANDOM_CASES)
        run(["vitis_hls", "-f", FLOW / "run_hls.tcl", "-tclargs", data, work / "vitis", csim, cosim, *steps],
            cwd=work)
        ip_repo = work / "vitis" / "gnn_agg_prj" / "sol" / "impl" / "ip"
    else:
        ip_repo = work / "ip_repo"
        run([*batch, FLOW / "package_rtl.tcl", "-tclargs", data, ip_repo], cwd=work)
    if args.ip_only:
        print(f"make bitstream: kernel IP in {ip_repo}")
        return 0
    overlay = (args.overlay_dir / (build.board if is_default(build) else build.name)).resolve()
    run([*batch, FLOW / "build_bitstream.tcl", "-tclargs", data, ip_repo, work / "vivado", overlay,
         str(args.jobs)], cwd=work)
    for name in ("gnn_agg.bit", "gnn_agg.hwh"):
        if not (overlay / name).is_file():
            print(f"make bitstream: Vivado finished but {overlay / name} is missing", file=sys.stderr)
            return 1
    print(f"make bitstream: {overlay}/gnn_agg.bit and gnn_agg.hwh (build {build.name}: {build.board}, "
          f"{build.impl} kernel)")
    package = args.package_dir or (PACKAGE_DIR if args.overlay_dir == DEFAULT_OVERLAY_DIR else None)
    if package is not None and str(package) != "none" and is_default(build):
        target = package.resolve() / build.board
        target.mkdir(parents=True, exist_ok=True)
        for name in ("gnn_agg.bit", "gnn_agg.hwh"):
            shutil.copy2(overlay / name, target / name)
        print(f"make bitstream: copied into the overlay package, {target}/ (pip install overlay/ to install it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
