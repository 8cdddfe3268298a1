"""Where the board backend looks for its bitstream (host/driver/overlays.py) and the --bitfile /
--overlay options of the command lines."""
from __future__ import annotations

import pytest

from golden import builds
from host.driver import overlays


def test_board_names_are_the_registry_boards():
    assert set(overlays.BOARD_NAMES) == set(builds.BOARDS)


def test_search_order_is_the_tree_then_the_installed_package():
    dirs = overlays.overlay_dirs()
    assert dirs[0] == overlays.ROOT / "host" / "overlays"   # where `make bitstream` writes


@pytest.fixture
def overlay_tree(tmp_path, monkeypatch):
    first, second = tmp_path / "tree", tmp_path / "package"
    monkeypatch.setattr(overlays, "overlay_dirs", lambda: [first, second])
    monkeypatch.delenv("BOARD", raising=False)

    def add(root, board):
        (root / board).mkdir(parents=True)
        for suffix in (".bit", ".hwh"):
            (root / board / f"gnn_agg{suffix}").write_text(suffix)
        return root / board / "gnn_agg.bit"
    return first, second, add


def test_find_bitfile(overlay_tree, monkeypatch):
    first, second, add = overlay_tree
    with pytest.raises(FileNotFoundError, match=r"\$BOARD is not set.*make bitstream BOARD=pynq-z2\|kv260\|zcu104"):
        overlays.find_bitfile()
    z2 = add(second, "pynq-z2")
    assert overlays.find_bitfile() == z2                  # the only board there is
    assert overlays.find_bitfile("pynq-z2") == z2
    assert overlays.find_bitfile() == z2
    tree_z2 = add(first, "pynq-z2")
    assert overlays.find_bitfile("pynq-z2") == tree_z2     # this tree before the package
    kv = add(second, "kv260")
    with pytest.raises(FileNotFoundError, match="several boards"):
        overlays.find_bitfile()
    monkeypatch.setenv("BOARD", "KV260")                  # PYNQ's spelling
    assert overlays.find_bitfile() == kv
    with pytest.raises(FileNotFoundError, match="no gnn_agg.bit for board 'zcu104'.*BOARD=zcu104 IMPL=rtl"):
        overlays.find_bitfile("zcu104")


def test_resolve_bitfile_needs_the_hwh(overlay_tree, tmp_path):
    first, _, add = overlay_tree
    bit = add(first, "kv260")
    assert overlays.resolve_bitfile(bit.parent) == bit
    bit.with_suffix(".hwh").unlink()
    with pytest.raises(FileNotFoundError, match="gnn_agg.hwh beside it"):
        overlays.resolve_bitfile(bit)


def test_command_line_options(tmp_path):
    assert overlays.accelerator_options("board") == {}
    assert overlays.accelerator_options("board", bitfile="a/b.bit") == {"bitfile": "a/b.bit"}
    assert overlays.accelerator_options("board", overlay="kv260") == {"board": "kv260"}
    assert overlays.accelerator_options("board", overlay=str(tmp_path)) == {"bitfile": str(tmp_path / "gnn_agg.bit")}
    with pytest.raises(ValueError, match="not both"):
        overlays.accelerator_options("board", bitfile="x.bit", overlay="kv260")
    with pytest.raises(ValueError, match="not a folder and not a board"):
        overlays.accelerator_options("board", overlay="ultra96")
    with pytest.raises(ValueError, match="use --backend board"):
        overlays.accelerator_options("sim", bitfile="x.bit")
    assert overlays.accelerator_options("cpu") == {}


def test_pipeline_and_bench_take_bitfile_and_overlay():
    from host.bench.cli import parse_args as bench_args
    from host.bench.config import make_config
    from host.rec.pipeline import parse_args
    cfg, _ = parse_args(["--backend", "board", "--overlay", "kv260"])
    assert cfg.accelerator_options() == {"board": "kv260"}
    cfg, _ = parse_args(["--backend", "board", "--bitfile", "/home/xilinx/gnn_agg.bit"])
    assert cfg.accelerator_options() == {"bitfile": "/home/xilinx/gnn_agg.bit"}
    assert parse_args([])[0].accelerator_options() == {}
    with pytest.raises(SystemExit):
        parse_args(["--backend", "cpu", "--bitfile", "x.bit"])
    bench = make_config(bench_args(["--backends", "cpu,board", "--bitfile", "x.bit"]))
    assert bench.board_options == {"bitfile": "x.bit"}
    with pytest.raises(ValueError, match="use --backend board"):
        make_config(bench_args(["--backends", "cpu,sim", "--overlay", "kv260"]))
