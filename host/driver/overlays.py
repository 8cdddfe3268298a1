"""Where the board backend finds its bitstream (no pynq needed, so command lines can check their
options anywhere).

    find_bitfile("kv260")          # host/overlays/kv260/gnn_agg.bit, else the installed
                                   # gnn_agg_overlay package's kv260/gnn_agg.bit
    find_bitfile()                 # the board PYNQ names in $BOARD (Pynq-Z2, KV260, ZCU104), or
                                   # the only board that has a bitstream
    board_options(bitfile=None, overlay=None)   # --bitfile / --overlay of a command line ->
                                                # keyword options of Accelerator("board", ...)

`make bitstream BOARD=b IMPL=rtl` writes host/overlays/<b>/gnn_agg.{bit,hwh} and copies them into
overlay/gnn_agg_overlay/<b>/ (the pip-installable overlay package, docs/BOARD.md).
"""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BITFILE = "gnn_agg.bit"
PACKAGE = "gnn_agg_overlay"
BOARD_NAMES = ("pynq-z2", "kv260", "zcu104")  # golden.builds.BOARDS (checked by tests/driver/test_overlays.py)


def overlay_dirs() -> list[Path]:
    """The folders holding <board>/gnn_agg.bit, searched in this order: this tree's host/overlays/
    (what `make bitstream` writes), then the installed overlay package."""
    dirs = [ROOT / "host" / "overlays"]
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.origin:
        dirs.append(Path(spec.origin).parent)
    return dirs


def pynq_board() -> str | None:
    """The board PYNQ's image names in $BOARD ('Pynq-Z2', 'KV260', 'ZCU104'), in our spelling."""
    name = os.environ.get("BOARD", "").strip().lower()
    return name or None


def _build_hint(board: str | None) -> str:
    b = board or "pynq-z2|kv260|zcu104"
    return (f"build one with `make bitstream BOARD={b} IMPL=rtl` (Vivado; docs/BOARD.md) and copy "
            f"host/overlays/<board>/ to the board, or pip install the overlay package (overlay/) holding it")


def find_bitfile(board: str | None = None) -> Path:
    """The gnn_agg.bit of `board` (default: $BOARD, else the only board with a bitstream);
    FileNotFoundError saying where it looked and how to build one."""
    board = board or pynq_board()
    dirs = overlay_dirs()
    if board is not None:
        for d in dirs:
            if (d / board / BITFILE).is_file():
                return d / board / BITFILE
        raise FileNotFoundError(f"no {BITFILE} for board {board!r} in " + ", ".join(str(d / board) for d in dirs)
                                + f"; {_build_hint(board)}, or pass bitfile=")
    found = {}
    for d in dirs:
        for path in sorted(d.glob(f"*/{BITFILE}")):
            found.setdefault(path.parent.name, path)
    if len(found) == 1:
        return next(iter(found.values()))
    if found:
        raise FileNotFoundError(f"bitstreams for several boards ({', '.join(sorted(found))}) and $BOARD is not "
                                "set: pass board= (--overlay BOARD) or bitfile= (--bitfile PATH)")
    raise FileNotFoundError(f"no {BITFILE} in " + ", ".join(f"{d}/<board>/" for d in dirs)
                            + f" and $BOARD is not set; {_build_hint(None)}, or pass bitfile=")


def resolve_bitfile(path) -> Path:
    """A .bit file, or a folder holding gnn_agg.bit; the .hwh must lie beside it (PYNQ reads it)."""
    p = Path(path)
    if p.is_dir():
        p = p / BITFILE
    if not p.is_file():
        raise FileNotFoundError(f"no bitstream at {p}")
    if not p.with_suffix(".hwh").is_file():
        raise FileNotFoundError(f"{p} has no {p.with_suffix('.hwh').name} beside it (PYNQ reads the design from it; "
                                "`make bitstream` writes both)")
    return p


def board_options(bitfile: str | None = None, overlay: str | None = None) -> dict:
    """The keyword options of Accelerator("board") for a command line's --bitfile PATH and
    --overlay BOARD|DIR (a board name searched as find_bitfile does, or a folder holding
    gnn_agg.bit); neither: {} (the backend searches at open). Both: ValueError."""
    if bitfile and overlay:
        raise ValueError("give --bitfile (a .bit file) or --overlay (a board name or folder), not both")
    if bitfile:
        return {"bitfile": str(bitfile)}
    if overlay:
        if Path(overlay).is_dir() or os.sep in str(overlay):
            return {"bitfile": str(Path(overlay) / BITFILE)}
        if overlay not in BOARD_NAMES:
            raise ValueError(f"--overlay {overlay!r}: not a folder and not a board ({', '.join(BOARD_NAMES)})")
        return {"board": overlay}
    return {}


def accelerator_options(backend: str, bitfile: str | None = None, overlay: str | None = None) -> dict:
    """board_options for the board backend; for others --bitfile/--overlay are an error."""
    if backend != "board":
        if bitfile or overlay:
            raise ValueError(f"--bitfile/--overlay choose the board's bitstream; backend {backend!r} has none "
                             "(use --backend board)")
        return {}
    return board_options(bitfile, overlay)
