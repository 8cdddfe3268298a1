"""The PYNQ overlay package (overlay/), its notebooks and the board measurement command, off a
board: the wheel builds without bitstreams and says so, the notebooks run top to bottom on the
`sim` backend, `python -m host.bench.board` writes its JSON on `sim` (marked as not a board) and on
stand-ins of PYNQ 3.1 and 4.0."""
from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch

from host.driver import Accelerator
from tests.support.fake_pynq import PYNQ_APIS, make_fake_pynq

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "overlay"
NOTEBOOKS = sorted((PACKAGE / "gnn_agg_overlay" / "notebooks").glob("*.ipynb"))


def build_wheel(src: Path, out: Path) -> tuple[str, zipfile.ZipFile]:
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-v",
                           str(src), "-w", str(out)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (wheel,) = out.glob("gnn_agg_overlay-*.whl")
    return proc.stdout + proc.stderr, zipfile.ZipFile(wheel)


def copy_package(tmp_path) -> Path:
    src = tmp_path / "overlay"
    shutil.copytree(PACKAGE, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "*.bit", "*.hwh"))
    return src


def test_wheel_builds_without_bitstreams_and_says_how_to_build_them(tmp_path):
    log, wheel = build_wheel(copy_package(tmp_path), tmp_path / "dist")
    assert "NOTE: no bitstream for pynq-z2, kv260, zcu104 in this package (it includes none)" in log
    assert "make bitstream BOARD=<board> IMPL=rtl" in log
    names = wheel.namelist()
    assert not [n for n in names if n.endswith((".bit", ".hwh"))]     # never a placeholder
    assert {f"gnn_agg_overlay/notebooks/{p.name}" for p in NOTEBOOKS} <= set(names) and len(NOTEBOOKS) == 3
    entry_points = wheel.read("gnn_agg_overlay-0.1.0.dist-info/entry_points.txt").decode()
    assert "[pynq.notebooks]" in entry_points and "gnn-agg = gnn_agg_overlay.notebooks" in entry_points
    assert "Requires-Dist: gnn-agg[board]" in wheel.read("gnn_agg_overlay-0.1.0.dist-info/METADATA").decode()


def test_wheel_carries_the_bitstreams_make_bitstream_copied_in(tmp_path):
    src = copy_package(tmp_path)
    (src / "gnn_agg_overlay" / "kv260").mkdir()
    for suffix in ("bit", "hwh"):  # stands for what hls/flow/bitstream.py copies (tests/hls/test_flow_package.py)
        (src / "gnn_agg_overlay" / "kv260" / f"gnn_agg.{suffix}").write_text(suffix)
    log, wheel = build_wheel(src, tmp_path / "dist")
    assert {"gnn_agg_overlay/kv260/gnn_agg.bit", "gnn_agg_overlay/kv260/gnn_agg.hwh"} <= set(wheel.namelist())
    assert "no bitstream for pynq-z2, zcu104 in this package (includes kv260)" in log


@pytest.fixture
def overlay_module(monkeypatch):
    monkeypatch.syspath_prepend(str(PACKAGE))
    for name in [m for m in sys.modules if m.startswith("gnn_agg_overlay")]:
        monkeypatch.delitem(sys.modules, name)
    return importlib.import_module("gnn_agg_overlay")


def test_package_says_how_to_build_a_missing_bitstream(overlay_module, monkeypatch):
    monkeypatch.setattr(overlay_module, "boards", lambda: [])
    with pytest.raises(FileNotFoundError, match=r"make bitstream BOARD=kv260 IMPL=rtl"):
        overlay_module.bitfile("kv260")
    monkeypatch.setenv("BOARD", "ZCU104")
    with pytest.raises(FileNotFoundError, match=r"no bitstream for zcu104"):
        overlay_module.bitfile()


@pytest.mark.parametrize("api", PYNQ_APIS)
def test_package_exposes_the_one_driver(monkeypatch, api):
    """With pynq present, importing the package registers host.driver's GnnAggIP (no second class)."""
    from golden.contract import BOARDS, VLNV
    fake = make_fake_pynq(BOARDS["pynq-z2"], api=api)
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    monkeypatch.syspath_prepend(str(PACKAGE))
    for name in [m for m in sys.modules if m.startswith("gnn_agg_overlay")]:
        monkeypatch.delitem(sys.modules, name)
    overlay = importlib.import_module("gnn_agg_overlay")
    board = sys.modules["host.driver.backends.board"]
    assert overlay.GnnAggIP is board.GnnAggIP and fake.drivers[VLNV] is board.GnnAggIP
    assert isinstance(fake.Overlay("gnn_agg.bit").gnn_agg_0, board.GnnAggIP)   # bound at parse time
    sys.modules.pop("host.driver.backends.board", None)


@pytest.fixture(scope="module")
def recommender(tmp_path_factory, small_bipartite):
    """A small saved Hybrid + quant. recommender, as `python -m host.rec` writes it."""
    from host.rec.model import GNN, FusionHead, sparse_adjacency, unified_graph
    from host.rec.quant import export_fixed
    from host.rec.serve import OnlineGNN, OnlineRecommender
    graph = small_bipartite
    torch.manual_seed(1)
    gnn = GNN(graph.n_users, graph.n_items, 16, 2, "lightgcn")
    csr, norm = unified_graph(graph)
    fixed = export_fixed(gnn, sparse_adjacency(csr, norm))
    e_user, e_item = torch.randn(graph.n_users, 8), torch.randn(graph.n_items, 8)
    head = FusionHead(16, 8, hidden=16, proj=8)
    known = [graph.items[graph.users == u] for u in range(graph.n_users)]
    path = tmp_path_factory.mktemp("model") / "recommender.pt"
    with Accelerator("cpu") as acc:
        OnlineRecommender(OnlineGNN(acc, fixed, graph), head, e_user, e_item, known).save(path)
    return path


def code_cells(path: Path) -> list[str]:
    book = json.loads(path.read_text())
    assert book["nbformat"] == 4
    return ["".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_on_sim(notebook, sim_library, recommender, monkeypatch, capsys):
    """Every code cell in order, one namespace, the backend set to "sim" as a user off-board would."""
    monkeypatch.setenv("GNN_AGG_BACKEND", "sim")
    monkeypatch.setenv("GNN_AGG_MODEL", str(recommender))
    monkeypatch.setenv("GNN_AGG_GRAPH_SCALE", "0.02")
    namespace = {"__name__": "__main__"}
    for k, source in enumerate(code_cells(notebook)):
        try:
            exec(compile(source, f"{notebook.name}[cell {k}]", "exec"), namespace)
        except Exception as e:
            raise AssertionError(f"{notebook.name}, code cell {k} failed: {e!r}\n{source}") from e
    assert namespace["acc"].backend_name == "sim"
    assert "backend sim" in capsys.readouterr().out


BENCH_LAYER_FIELDS = {"board", "build", "gather", "bit_exact", "cycles", "edges", "stall_cycles", "rd_beats",
                      "wr_beats", "error", "bytes_moved"}            # host.bench.layer.accelerator_layer's
BENCH_REQUEST_FIELDS = {"p50_ms", "p95_ms", "p99_ms", "mean_ms", "min_ms", "max_ms", "latencies_ms", "projected",
                        "board", "clock_mhz", "kernel_cycles_median", "parts_ms"}   # host.bench.serving's


def test_board_measurement_runs_on_sim_marked_not_a_board(tmp_path, sim_library, recommender, capsys):
    from host.bench.board import main
    assert main(["--backend", "sim", "--library", str(sim_library), "--quick", "--model", str(recommender),
                 "--out", str(tmp_path)]) == 0
    r = json.loads((tmp_path / "board.json").read_text())
    assert r["backend"] == "sim" and r["measured_on_board"] is False and r["note"].startswith("NOT A BOARD")
    assert r["build"] == "pynq-z2" and "assumed" in r["clock_source"]
    (layer,) = r["layers"]
    assert {"graph", "n_nodes", "n_edges", "feat_dim", "accelerator"} <= set(layer)
    for a in layer["accelerator"]:
        assert BENCH_LAYER_FIELDS <= set(a) and a["bit_exact"] and a["cycles"] > 0
        assert a["measured"]["wall_ms"]["median_ms"] > 0 and a["measured"]["kernel_ms"] > 0
    ps = r["ps_pl"]
    assert ps["register_read_us"] > 0 and ps["minimal_call"]["cycles"] > 0
    (req,) = r["requests"]["backends"].values()
    assert BENCH_REQUEST_FIELDS <= set(req) and req["projected"] is False and req["measured_on_board"] is False
    assert req["n_requests"] == len(req["latencies_ms"]) and req["p99_ms"] >= req["p50_ms"] > 0
    assert "NOT A BOARD" in capsys.readouterr().out


@pytest.mark.parametrize("api", PYNQ_APIS)
def test_board_measurement_on_a_pynq_stand_in(tmp_path, monkeypatch, api):
    """The board path of the command (PL clock from pynq.Clocks, the PYNQ version, the bitfile)."""
    from golden.contract import BOARDS
    from host.bench.board import main
    fake = make_fake_pynq(BOARDS["kv260"], api=api)
    fake.Clocks.fclk0_mhz = 187.5
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    monkeypatch.setenv("BOARD", "KV260")
    assert main(["--bitfile", "gnn_agg.bit", "--quick", "--out", str(tmp_path)]) == 0
    r = json.loads((tmp_path / "board.json").read_text())
    assert r["backend"] == "board" and r["measured_on_board"] is True and r["board"] == "kv260"
    assert r["clock_mhz"] == 187.5 and r["pynq_version"] == fake.__version__ and r["build"] == "kv260"
    assert all(a["bit_exact"] for a in r["layers"][0]["accelerator"]) and "skipped" in r["requests"]
    sys.modules.pop("host.driver.backends.board", None)
