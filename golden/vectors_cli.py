"""Write the shared case set as vector files:  python -m golden.vectors_cli OUT_DIR [options]."""
from __future__ import annotations

import argparse

from .cases import standard_cases
from .contract import BOARDS, HwConfig
from .vectors import write_dir


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("--board", choices=sorted(BOARDS), default="pynq-z2")
    ap.add_argument("--table-elems", type=int, help="override the node-table size (forces tiling)")
    ap.add_argument("--n-random", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    hw = BOARDS[args.board]
    if args.table_elems:
        hw = HwConfig(hw.bus_bits, hw.lanes, hw.pes, hw.max_feat, args.table_elems)
    vectors = standard_cases(hw, seed=args.seed, n_random=args.n_random)
    d = write_dir(vectors, args.out_dir, hw)
    print(f"wrote {len(vectors)} vector files to {d} for {hw}")


if __name__ == "__main__":
    main()
