"""Verilator -Wall lint of the RTL for every lint build of the registry (what `make lint` runs).

    python rtl/lint.py [--build NAME ...]

The builds are golden.builds.select("lint"); tests/rtl/test_lint.py sweeps the same list. Each
command is printed before it runs; the first failing build stops the sweep (exit status 1).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from golden import builds  # noqa: E402

VERILATOR = Path(sys.executable).parent / "verilator"


def lint_command(build: builds.Build) -> list[str]:
    return [str(VERILATOR), "--lint-only", "-Wall", *build.lint_args, "-f", "rtl/files.f",
            "--top-module", "gnn_agg"]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", action="append", choices=[b.name for b in builds.select("lint")],
                    help="lint only this build (repeatable; default: every lint build)")
    args = ap.parse_args(argv)
    for b in [builds.build(n) for n in args.build] if args.build else builds.select("lint"):
        print(f"[{b.name}] verilator --lint-only -Wall {' '.join(b.lint_args)}".rstrip(), flush=True)
        if subprocess.run(lint_command(b), cwd=ROOT).returncode:
            print(f"make lint: build {b.name} is not lint clean", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
