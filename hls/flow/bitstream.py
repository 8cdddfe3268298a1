"""make bitstream: build the gnn_agg overlay for a board with Vitis HLS / Vivado.

    python hls/flow/bitstream.py --board kv260|zcu104|pynq-z2 --impl hls|rtl [--jobs N]

IMPL=hls: golden vectors -> Vitis HLS (csim, csynth, export; HLS_STEPS="csim csynth cosim export"
adds co-simulation) -> IP. IMPL=rtl: Vivado packages rtl/files.f as the same IP. Then Vivado
builds the block design, implements it and copies gnn_agg.bit + gnn_agg.hwh to
host/overlays/<board>/, where the host driver's users load them from. Build files go to
build/hls/flow/<board>-<impl>/. Without the tools this exits with status 2 and says which tool
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
FLOW = ROOT / "hls" / "flow"
TOOL_VERSION = "2023.2"
BOARDS = sorted(p.stem for p in (FLOW / "boards").glob("*.tcl"))
DEFAULT_HLS_STEPS = "csim csynth export"
COSIM_RANDOM_CASES = 10


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


def write_vectors(board: str, out: Path, n_random: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from golden.cases import standard_cases
    from golden.contract import BOARDS as HW
    from golden.vectors import write_dir

    hw = HW[board]
    return write_dir(standard_cases(hw, n_random=n_random), out, hw)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--board", required=True, choices=BOARDS)
    ap.add_argument("--impl", required=True, choices=("hls", "rtl"))
    ap.add_argument("--jobs", type=int, default=2, help="Vivado implementation jobs")
    ap.add_argument("--overlay-dir", type=Path, default=ROOT / "host" / "overlays",
                    help="the overlay goes to OVERLAY_DIR/<board>/gnn_agg.{bit,hwh}")
    ap.add_argument("--build-dir", type=Path, default=ROOT / "build" / "hls" / "flow",
                    help="build files go to BUILD_DIR/<board>-<impl>/")
    ap.add_argument("--ip-only", action="store_true",
                    help="stop once the kernel IP exists (HLS: also the Verilog list files.f for simulation)")
    args = ap.parse_args(argv)

    needed = needed_tools(args.impl, args.ip_only)
    missing = [tool for tool in needed if shutil.which(tool) is None]
    if missing:
        print(f"make bitstream: {' and '.join(missing)} not found on PATH. The flow (hls/flow/) was written "
              f"for Vivado {TOOL_VERSION} and Vitis HLS {TOOL_VERSION}: source "
              f"<Xilinx install>/Vivado/{TOOL_VERSION}/settings64.sh (and Vitis HLS's) first.", file=sys.stderr)
        return 2
    for tool in needed:
        version = tool_version(tool)
        if version != TOOL_VERSION:
            print(f"note: {tool} is {version or 'of unknown version'}; the scripts were written for "
                  f"{TOOL_VERSION} (IP versions are looked up, so nearby releases usually work)")

    build = (args.build_dir / f"{args.board}-{args.impl}").resolve()
    build.mkdir(parents=True, exist_ok=True)
    batch = ["vivado", "-mode", "batch", "-nojournal", "-nolog", "-notrace", "-source"]
    if args.impl == "hls":
        steps = os.environ.get("HLS_STEPS", DEFAULT_HLS_STEPS).split()
        csim = write_vectors(args.board, build / "vectors", 200)
        cosim = write_vectors(args.board, build / "vectors-cosim", COSIM_RANDOM_CASES)
        run(["vitis_hls", "-f", FLOW / "run_hls.tcl", "-tclargs", args.board, build / "vitis", csim, cosim, *steps],
            cwd=build)
        ip_repo = build / "vitis" / "gnn_agg_prj" / "sol" / "impl" / "ip"
    else:
        ip_repo = build / "ip_repo"
        run([*batch, FLOW / "package_rtl.tcl", "-tclargs", args.board, ip_repo], cwd=build)
    if args.ip_only:
        print(f"make bitstream: kernel IP in {ip_repo}")
        return 0
    overlay = (args.overlay_dir / args.board).resolve()
    run([*batch, FLOW / "build_bitstream.tcl", "-tclargs", args.board, args.impl, ip_repo, build / "vivado",
         overlay, str(args.jobs)], cwd=build)
    for name in ("gnn_agg.bit", "gnn_agg.hwh"):
        if not (overlay / name).is_file():
            print(f"make bitstream: Vivado finished but {overlay / name} is missing", file=sys.stderr)
            return 1
    print(f"make bitstream: {overlay}/gnn_agg.bit and gnn_agg.hwh ({args.board}, {args.impl} kernel)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
