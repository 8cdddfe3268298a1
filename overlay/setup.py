"""Build hook of the overlay package: says which boards' bitstreams the wheel holds and how to
build the missing ones (`make bitstream` copies them into gnn_agg_overlay/<board>/). A wheel
without any is valid -- the driver and notebooks, for a board whose bitstream is copied by hand --
but it says so; it holds only bitstreams `make bitstream` really built."""
import sys
from pathlib import Path

from setuptools import setup

HERE = Path(__file__).resolve().parent
BOARDS = ("pynq-z2", "kv260", "zcu104")

present = [b for b in BOARDS if all((HERE / "gnn_agg_overlay" / b / f"gnn_agg.{s}").is_file() for s in ("bit", "hwh"))]
missing = [b for b in BOARDS if b not in present]
if missing:
    print(f"gnn-agg-overlay: NOTE: no bitstream for {', '.join(missing)} in this package "
          f"({'includes ' + ', '.join(present) if present else 'it includes none'}). Build one with "
          "`make bitstream BOARD=<board> IMPL=rtl` in the gnn_agg tree (Vivado 2023.2; it copies gnn_agg.bit and "
          "gnn_agg.hwh into overlay/gnn_agg_overlay/<board>/), then build this package again; "
          "docs/BOARD.md.", file=sys.stderr)
else:
    print(f"gnn-agg-overlay: bitstreams for {', '.join(present)}", file=sys.stderr)

setup()
