"""The gnn_agg overlay for PYNQ boards.

    import gnn_agg_overlay
    gnn_agg_overlay.boards()                  # boards whose bitstream this package holds
    acc = gnn_agg_overlay.accelerator()       # Accelerator("board") on this board's bitstream
    gnn_agg_overlay.GnnAggIP                  # the DefaultIP driver (host.driver.backends.board)

The driver is host.driver.backends.board.GnnAggIP (one class, bound by VLNV); importing this
package with pynq present imports it, so an Overlay made afterwards binds it (PYNQ assigns drivers
at parse time). The board backend also binds it to an Overlay parsed before, so the order does not
matter for Accelerator("board", overlay=...).
"""
from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"
HERE = Path(__file__).resolve().parent
BOARDS = ("pynq-z2", "kv260", "zcu104")
BUILD_HINT = ("build it with `make bitstream BOARD={board} IMPL=rtl` in the gnn_agg tree (Vivado; it copies "
              "gnn_agg.bit/.hwh into overlay/gnn_agg_overlay/{board}/) and reinstall this package, or copy "
              "host/overlays/{board}/ to the board and pass bitfile=")


def boards() -> list[str]:
    """The boards whose gnn_agg.bit and gnn_agg.hwh this installed package holds."""
    return [b for b in BOARDS if (HERE / b / "gnn_agg.bit").is_file() and (HERE / b / "gnn_agg.hwh").is_file()]


def bitfile(board: str | None = None) -> str:
    """The path of `board`'s gnn_agg.bit in this package (default: $BOARD, which PYNQ's images
    set, else the only board included); FileNotFoundError saying how to build it."""
    import os
    board = board or os.environ.get("BOARD", "").lower() or None
    if board is None:
        have = boards()
        if len(have) != 1:
            raise FileNotFoundError(f"this package holds bitstreams for {have or 'no board'} and $BOARD is not set: "
                                    "pass board=" + ("" if have else "; " + BUILD_HINT.format(board="<board>")))
        board = have[0]
    if board not in BOARDS:
        raise ValueError(f"unknown board {board!r}; the overlay is built for {', '.join(BOARDS)}")
    if board not in boards():
        raise FileNotFoundError(f"gnn-agg-overlay holds no bitstream for {board}: " + BUILD_HINT.format(board=board))
    return str(HERE / board / "gnn_agg.bit")


def accelerator(board: str | None = None, **options):
    """host.driver.Accelerator("board") on this package's bitstream for `board`."""
    from host.driver import Accelerator
    return Accelerator("board", bitfile=bitfile(board), **options)


def __getattr__(name):
    if name == "GnnAggIP":  # needs pynq: only on access
        from host.driver.backends.board import GnnAggIP
        return GnnAggIP
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


try:  # register the driver with PYNQ now, so Overlays parsed from here on bind it
    import pynq  # noqa: F401
except ImportError:
    pass
else:
    from host.driver.backends.board import GnnAggIP  # noqa: F401,E402
