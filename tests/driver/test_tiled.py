"""The driver's tiled layout (Mode.TILED, golden.graph.tile_csr): chosen on sim and board when a
call's sources need more than one table partition, built and uploaded once per (graph, R),
freed with the graph, checked before anything reaches the device; the output is the CSR run's
and the cpu backend's, bit for bit, for every normalization, with W and ReLU."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from golden.cases import random_features, random_graph
from golden.contract import BOARDS, TILE_END, TILE_ROW_MASK, Mode, Reg
from golden.graph import pass_order, tile_csr
from golden.norm import normalization
from host.driver import Accelerator, GraphLayer
from tests.support.fake_pynq import make_fake_pynq

HW = BOARDS["pynq-z2"]          # table_rows(256) = 512, table_rows(128) = 1024, table_rows(16) = 8192
N_SRC, N_DST = 1100, 40          # F = 256: 3 partitions, F = 128: 2, F = 16: 1


def _norms(csr, rng):
    out = {kind: normalization(csr, kind) for kind in ("symmetric", "mean", "sum")}
    out["weighted"] = normalization(csr, "weighted", edge_w=rng.uniform(0.05, 0.9, csr.n_edges))
    return out


@pytest.fixture(scope="module")
def graph():
    rng = np.random.default_rng(41)
    csr = random_graph(rng, N_DST, N_SRC, 7)
    return csr, _norms(csr, rng), rng


@pytest.fixture
def sim(sim_library):
    acc = Accelerator("sim", library=sim_library)
    yield acc
    acc.close()


def test_sim_tiled_equals_sim_csr_equals_cpu(sim, graph):
    csr, norms, _ = graph
    rng = np.random.default_rng(42)
    cpu = Accelerator("cpu")
    for f, parts in ((256, 3), (128, 2)):
        assert HW.partitions(N_SRC, f) == parts
        x = random_features(rng, N_SRC, f)
        w = random_features(rng, f, f)   # WGT has FEAT's 16-bit integer range in this build
        for kind, nrm in norms.items():
            g, gc = sim.load_graph(csr, nrm), cpu.load_graph(csr, nrm)
            for weight, relu in ((None, False), (w, True)):
                expect = cpu.aggregate(gc, x, weight, relu)
                runs = {}
                for tiled in (None, True, False):
                    y = sim.aggregate(g, x, weight, relu, tiled=tiled)
                    np.testing.assert_array_equal(y, expect, err_msg=f"F={f} {kind} W={weight is not None} tiled={tiled}")
                    assert sim.status.error == 0 and sim.status.edges == csr.n_edges
                    runs[tiled] = sim.status
                assert runs[None] == runs[True]           # the default on several partitions is TILED
                # the edges are read once instead of once per pass
                assert runs[True].rd_beats < runs[False].rd_beats, (f, kind)
                np.testing.assert_array_equal(cpu.aggregate(gc, x, weight, relu, tiled=True), expect)
            assert list(g.layouts) == [HW.table_rows(f)]
            g.release()
    assert sim.backend.transport.counters()["violations"] == 0
    cpu.close()


def test_one_partition_runs_the_csr_by_default(sim, graph):
    csr, norms, _ = graph
    x = random_features(np.random.default_rng(43), N_SRC, 16)
    assert HW.partitions(N_SRC, 16) == 1
    g = sim.load_graph(csr, norms["mean"])
    y = sim.aggregate(g, x)
    assert g.layouts == {} and g.state.tiled == {}
    np.testing.assert_array_equal(sim.aggregate(g, x, tiled=True), y)   # one tile, forced
    assert list(g.layouts) == [HW.table_rows(16)]
    np.testing.assert_array_equal(sim.aggregate(g, x, gather="dram"), y)


def test_layout_is_built_once_per_r_and_freed_with_the_graph(sim, graph, monkeypatch):
    csr, norms, _ = graph
    import host.driver.accelerator as accelerator
    built = []
    monkeypatch.setattr(accelerator, "tile_csr", lambda c, r, o: built.append(r) or tile_csr(c, r, o))
    rng = np.random.default_rng(44)
    x256, x128 = random_features(rng, N_SRC, 256), random_features(rng, N_SRC, 128)
    arena = sim.backend.transport.arena
    sim.backend.release_call_buffers()
    free0 = arena.free_bytes
    g = sim.load_graph(csr, norms["weighted"])
    after_load = arena.free_bytes
    y256 = sim.aggregate(g, x256)
    layout = g.layouts[512]
    want = pass_order(csr, 512, 256, HW.feat_bytes)   # the model's order
    word = layout.pairs[:, 0].astype(np.int64)
    assert tuple(word[(word & TILE_END) != 0] & TILE_ROW_MASK) == want
    tiles = dict(g.state.tiled[512])
    assert set(tiles) == {"row_ptr", "col_idx", "edge_w"}
    assert tiles["row_ptr"].nbytes >= layout.pairs.nbytes and layout.n_pairs == csr.n_dst + csr.partial_rows(512) + 3
    free1 = arena.free_bytes
    assert sim.backend._scratch and after_load - free1 >= layout.nbytes   # the layout's buffers
    np.testing.assert_array_equal(sim.aggregate(g, x256), y256)   # same layout, same buffers
    assert built == [512] and arena.free_bytes == free1 and g.state.tiled[512] == tiles
    sim.aggregate(g, x128)
    assert built == [512, 1024] and sorted(g.layouts) == [512, 1024] and sorted(g.state.tiled) == [512, 1024]
    sim.aggregate(g, x128, tiled=False)
    sim.aggregate(g, x256)
    assert built == [512, 1024]
    g.release()
    assert g.layouts == {} and g.state.tiled == {} and g.state == {}
    sim.backend.release_call_buffers()
    assert arena.free_bytes == free0 > after_load
    with pytest.raises(ValueError, match="released"):
        sim.aggregate(g, x256)


def _swap_sources(layout):
    """Two edges of one partition with different sources swapped: a layout validate_tiled accepts
    that encodes another graph."""
    col = layout.col_idx.copy()
    i = 0
    j = int(np.flatnonzero(col != col[i])[0])
    word = layout.pairs[:, 0].astype(np.int64)
    assert j < int(layout.pairs[np.flatnonzero(word & TILE_END)[1], 1])   # both in the first tile
    col[i], col[j] = col[j], col[i]
    return types.SimpleNamespace(pairs=layout.pairs, col_idx=col, edge_order=layout.edge_order)


def _flip_fin(layout):
    pairs = layout.pairs.copy()
    pairs[1, 0] ^= 1 << 31   # pair 0 is the first marker
    return types.SimpleNamespace(pairs=pairs, col_idx=layout.col_idx, edge_order=layout.edge_order)


def _wide_pairs(layout):
    return types.SimpleNamespace(pairs=layout.pairs.astype(np.int64), col_idx=layout.col_idx,
                                 edge_order=layout.edge_order)


def _repeat_edge(layout):
    order = layout.edge_order.copy()
    order[1] = order[0]
    return types.SimpleNamespace(pairs=layout.pairs, col_idx=layout.col_idx, edge_order=order)


@pytest.mark.parametrize("corrupt, message", [
    (_swap_sources, "does not encode this graph"),
    (_flip_fin, "add=.*fin="),
    (_wide_pairs, "pairs must be uint32"),
    (_repeat_edge, "not a permutation"),
])
def test_bad_layout_never_reaches_the_device(sim, graph, monkeypatch, corrupt, message):
    csr, norms, _ = graph
    import host.driver.accelerator as accelerator
    monkeypatch.setattr(accelerator, "tile_csr", lambda c, r, o: corrupt(tile_csr(c, r, o)))
    x = random_features(np.random.default_rng(45), N_SRC, 256)
    g = sim.load_graph(csr, norms["sum"])
    t = sim.backend.transport
    before, free = t.counters(), t.arena.free_bytes
    with pytest.raises(ValueError, match=message):
        sim.aggregate(g, x)
    assert t.counters() == before and t.arena.free_bytes == free and g.layouts == {} and g.state.tiled == {}
    monkeypatch.setattr(accelerator, "tile_csr", tile_csr)
    cpu = Accelerator("cpu")
    np.testing.assert_array_equal(sim.aggregate(g, x), cpu.aggregate(cpu.load_graph(csr, norms["sum"]), x))


def test_tiled_argument_errors(graph):
    csr, norms, _ = graph
    acc = Accelerator("cpu")
    g = acc.load_graph(csr, norms["mean"])
    x = random_features(np.random.default_rng(46), N_SRC, 256)
    with pytest.raises(ValueError, match="not with gather='dram'"):
        acc.aggregate(g, x, gather="dram", tiled=True)
    with pytest.raises(ValueError, match="tiled must be a bool or None"):
        acc.aggregate(g, x, tiled="yes")
    acc.aggregate(g, x)
    assert g.layouts == {}        # the cpu backend computes on the CSR unless asked
    call = acc.prepare_call(g, x, tiled=True)
    assert call.problem.mode & Mode.TILED and not call.problem.mode & Mode.IDX16
    assert call.problem.n_pairs == call.tiled.n_pairs == csr.n_dst + csr.partial_rows(512) + 3


def test_layer_on_sim_tiled_equals_csr_equals_cpu(sim):
    """GraphLayer (gcn with self loops) on a square graph of 3 partitions at F = 256: the default
    (TILED), tiled=False on the call or the layer, and the cpu backend agree bit for bit."""
    rng = np.random.default_rng(47)
    n, f = 1100, 256
    ei = rng.integers(0, n, size=(2, 2500))
    x = rng.uniform(-1, 1, size=(n, f))
    assert HW.partitions(n, f) == 3
    cpu = GraphLayer(Accelerator("cpu"), ei, num_nodes=n, norm="gcn")
    layer = GraphLayer(sim, ei, num_nodes=n, norm="gcn")
    y = layer(x)
    assert list(layer.graph.layouts) == [512]
    np.testing.assert_array_equal(y, layer(x, tiled=False))
    np.testing.assert_array_equal(y, cpu(x))
    csr_layer = GraphLayer(sim, ei, num_nodes=n, norm="gcn", tiled=False)
    np.testing.assert_array_equal(csr_layer(x), y)
    assert csr_layer.graph.layouts == {}
    layer.release()
    assert layer.graph.layouts == {}


def test_board_backend_runs_tiled_with_n_pairs(graph, monkeypatch):
    """The board path over the stand-in pynq: TILED calls write N_PAIRS and give golden's output."""
    csr, norms, _ = graph
    fake = make_fake_pynq(HW)
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    board, cpu = Accelerator("board", bitfile="gnn_agg.bit"), Accelerator("cpu")
    x = random_features(np.random.default_rng(48), N_SRC, 256)
    for kind, nrm in norms.items():
        g = board.load_graph(csr, nrm)
        np.testing.assert_array_equal(board.aggregate(g, x), cpu.aggregate(cpu.load_graph(csr, nrm), x),
                                      err_msg=kind)
        assert (Reg.N_PAIRS, g.layouts[512].n_pairs) in fake.kernel.writes
    board.close()
    sys.modules.pop("host.driver.backends.board", None)
