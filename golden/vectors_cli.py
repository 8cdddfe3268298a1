"""Write the shared case set as vector files:  python -m golden.vectors_cli OUT_DIR [options]."""
from __future__ import annotations

import argparse
import dataclasses

from . import builds
from .cases import standard_cases
from .vectors import write_dir


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("--board", choices=list(builds.BOARDS), default="pynq-z2",
                    help="the board's RTL build (golden.contract.BOARDS)")
    ap.add_argument("--build", choices=list(builds.BUILDS), help="a registry build by name (golden/builds.py)")
    ap.add_argument("--table-elems", type=int, help="override the node-table size (forces tiling)")
    ap.add_argument("--n-random", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    hw = (builds.build(args.build) if args.build else builds.board_build(args.board)).hw
    if args.table_elems:
        hw = dataclasses.replace(hw, table_elems=args.table_elems)
    vectors = standard_cases(hw, seed=args.seed, n_random=args.n_random)
    d = write_dir(vectors, args.out_dir, hw)
    print(f"wrote {len(vectors)} vector files to {d} for {hw}")


if __name__ == "__main__":
    main()
