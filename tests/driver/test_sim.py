"""The sim backend: the RTL under Verilator with the C++ harness, driven by host.driver.
Bit-exact with golden on the shared case set, the same register writes as the board path,
input rejection before any bus activity, and recovery from AXI errors and timeouts."""
from __future__ import annotations

import sys

import numpy as np
import pytest

from golden.cases import random_features, random_graph, random_vector, standard_cases
from golden.contract import BOARDS, Err, HwConfig
from golden.graph import synthetic_bipartite
from golden.norm import normalization
from host.driver import Accelerator, DeviceError
from tests.support.fake_pynq import make_fake_pynq
from tests.support.vectors import run_vector

HW = BOARDS["pynq-z2"]


@pytest.fixture
def sim(sim_library):
    acc = Accelerator("sim", library=sim_library)
    yield acc
    acc.close()


def test_sim_matches_golden_on_shared_cases(sim):
    cases = [v for v in standard_cases(HW, seed=7, n_random=200) if v.expect is not None]
    rng = np.random.default_rng(8)
    cases += [random_vector(rng, f"large_{i}", HW, scale=8) for i in range(12)]
    for v in cases:
        np.testing.assert_array_equal(run_vector(sim, v), v.expect, err_msg=v.name)
        s = sim.status
        assert (s.error, s.edges) == (0, v.problem.n_edges), v.name
        assert s.wr_beats == v.problem.n_dst * v.problem.feat_dim * 2 // HW.bus_bytes or \
            v.problem.needs_acc_buf(HW), v.name
    assert sim.backend.transport.counters()["violations"] == 0


def test_memory_timing_changes_cycles_not_bits(sim):
    rng = np.random.default_rng(21)
    csr = random_graph(rng, 120, 150, 8)
    x = random_features(rng, 150, 32)
    norm = normalization(csr, "mean")
    cpu = Accelerator("cpu")
    expect = cpu.aggregate(cpu.load_graph(csr, norm), x)
    g = sim.load_graph(csr, norm)
    t = sim.backend.transport
    cycles = {}
    for name, timing in (("fast", dict(read_latency=2, write_latency=2)),
                         ("default", {}),
                         ("slow", dict(read_latency=200, read_bandwidth=(1, 4), max_reads=2))):
        t.set_timing(**timing)
        for gather in ("table", "dram"):
            np.testing.assert_array_equal(sim.aggregate(g, x, gather=gather), expect)
            cycles[name, gather] = sim.status.cycles
    for gather in ("table", "dram"):
        assert cycles["fast", gather] < cycles["default", gather] < cycles["slow", gather]


def test_register_writes_equal_the_board_path(sim_library, monkeypatch):
    """The sim harness records every control write the RTL accepted; the board backend (over
    the stand-in pynq, same allocator base) must issue exactly the same writes."""
    vectors = [v for v in standard_cases(HW, seed=9, n_random=12) if v.expect is not None][-14:]
    fake = make_fake_pynq(HW)
    monkeypatch.setitem(sys.modules, "pynq", fake)
    monkeypatch.delitem(sys.modules, "host.driver.backends.board", raising=False)
    board = Accelerator("board", bitfile="gnn_agg.bit")
    sim = Accelerator("sim", library=sim_library)
    sim.backend.transport.clear_write_log()
    for v in vectors:
        np.testing.assert_array_equal(run_vector(board, v), run_vector(sim, v), err_msg=v.name)
    sim_writes = sim.backend.transport.write_log()
    assert len(sim_writes) == (2 * 9 + 5 + 5) * len(vectors)  # pointers, scalars, TIMEOUT GIE IER CTRL ISR
    assert sim_writes == fake.kernel.writes
    board.close()
    sim.close()
    sys.modules.pop("host.driver.backends.board", None)


def test_malformed_input_never_reaches_the_device(sim):
    rng = np.random.default_rng(5)
    csr = random_graph(rng, 30, 40, 4)
    g = sim.load_graph(csr, normalization(csr, "symmetric"))
    t = sim.backend.transport
    x = random_features(rng, 40, 32)
    sim.aggregate(g, x)  # allocates the per-call buffers
    t.clear_write_log()
    before, free = t.counters(), t.arena.free_bytes
    memory = t.memory.copy()
    bad_calls = [dict(x_q=x.astype(np.float64)), dict(x_q=x[:, :24]), dict(x_q=x[:-1]),
                 dict(x_q=x, weight_q=np.zeros((32, 16), np.int16)), dict(x_q=x, gather="sram"),
                 dict(x_q=np.zeros((40, HW.max_feat + 16), np.int16))]
    for kwargs in bad_calls:
        with pytest.raises(ValueError):
            sim.aggregate(g, **kwargs)
    bad_norm = normalization(csr, "symmetric")
    bad_norm.src_scale[3] = np.inf
    with pytest.raises(ValueError, match="NaN and inf"):
        sim.load_graph(csr, bad_norm)
    assert t.write_log() == []
    assert t.counters() == before and t.arena.free_bytes == free
    np.testing.assert_array_equal(t.memory, memory)


def _one_graph(sim, seed=6):
    rng = np.random.default_rng(seed)
    csr = random_graph(rng, 40, 50, 6)
    x = random_features(rng, 50, 16)
    cpu = Accelerator("cpu")
    norm = normalization(csr, "symmetric")
    expect = cpu.aggregate(cpu.load_graph(csr, norm), x)
    return sim.load_graph(csr, norm), x, expect


@pytest.mark.parametrize("where", ["col_idx", "row_ptr", "feat_in"])
def test_injected_read_error_raises_and_next_call_works(sim, where):
    g, x, expect = _one_graph(sim)
    np.testing.assert_array_equal(sim.aggregate(g, x), expect)
    t = sim.backend.transport
    buf = g.state[where] if where in g.state else sim.backend._scratch[where]
    t.inject_read_error(buf.device_address, 64)
    with pytest.raises(DeviceError) as info:
        sim.aggregate(g, x)
    assert "AXI_RD" in info.value.reasons
    assert sim.status.error & Err.AXI_RD
    t.inject_read_error(0, 0)
    np.testing.assert_array_equal(sim.aggregate(g, x), expect)
    assert sim.status.error == 0


def test_injected_write_error_raises_and_next_call_works(sim):
    g, x, expect = _one_graph(sim)
    sim.aggregate(g, x)
    t = sim.backend.transport
    t.inject_write_error(sim.backend._scratch["feat_out"].device_address, 8)
    with pytest.raises(DeviceError) as info:
        sim.aggregate(g, x)
    assert info.value.reasons == ("AXI_WR",)
    t.inject_write_error(0, 0)
    np.testing.assert_array_equal(sim.aggregate(g, x), expect)


@pytest.mark.parametrize("cause", ["cycle_budget", "memory_never_answers"])
def test_timeout_resets_and_next_call_works(sim, cause):
    g, x, expect = _one_graph(sim)
    t = sim.backend.transport
    if cause == "cycle_budget":
        t.max_cycles = 50
    else:
        t.max_cycles = 20_000
        t.set_timing(read_latency=10**9)
    with pytest.raises(TimeoutError, match="reset"):
        sim.aggregate(g, x)
    t.max_cycles = 1 << 32
    t.set_timing()
    np.testing.assert_array_equal(sim.aggregate(g, x), expect)
    assert sim.status.error == 0


@pytest.mark.slow
def test_ml1m_scale_layer_bit_exact():
    """One symmetric-normalized layer over a generated ML-1M-shaped graph (2,000,418 edges,
    F = 64, 5 table partitions), table mode over the tiled layout (the default) and the CSR, and
    DRAM gather (about 8 M, 9.5 M and 35 M simulated cycles): the tiled run reads the edges once."""
    csr = synthetic_bipartite().unified()
    assert csr.n_edges == 2_000_418
    x = random_features(np.random.default_rng(0), csr.n_src, 64)
    norm = normalization(csr, "symmetric")
    cpu = Accelerator("cpu")
    expect = cpu.aggregate(cpu.load_graph(csr, norm), x)
    with Accelerator("sim") as sim:
        g = sim.load_graph(csr, norm)
        status = {}
        for gather, tiled in (("table", None), ("table", False), ("dram", None)):
            np.testing.assert_array_equal(sim.aggregate(g, x, gather=gather, tiled=tiled), expect,
                                          err_msg=f"{gather} tiled={tiled}")
            assert (sim.status.error, sim.status.edges) == (0, csr.n_edges)
            status[gather, tiled] = sim.status
        assert list(g.layouts) == [sim.hw.table_rows(64)]
        tiled, flat = status["table", None], status["table", False]
        assert tiled.cycles < flat.cycles and tiled.rd_beats < flat.rd_beats


@pytest.mark.slow
def test_waves_are_dumped(tmp_path):
    """waves= builds the traced variant of the harness and writes a VCD of the whole run."""
    rng = np.random.default_rng(12)
    csr = random_graph(rng, 6, 8, 2)
    x = random_features(rng, 8, 16)
    vcd = tmp_path / "run.vcd"
    with Accelerator("sim", waves=vcd) as sim:
        y = sim.aggregate(sim.load_graph(csr, normalization(csr, "sum")), x)
        cycles = sim.status.cycles
    cpu = Accelerator("cpu")
    np.testing.assert_array_equal(y, cpu.aggregate(cpu.load_graph(csr, normalization(csr, "sum")), x))
    text = vcd.read_text()
    assert "m_axi_gmem_ARVALID" in text and "s_axi_control_AWADDR" in text
    # two dumps per simulated cycle (clock low and high), reset and register traffic included
    assert text.count("\n#") > 2 * cycles


def test_buffers_are_reused_across_calls_and_freed(sim):
    rng = np.random.default_rng(13)
    csr = random_graph(rng, 50, 60, 5)
    x = random_features(rng, 60, 32)
    t = sim.backend.transport
    empty = t.arena.free_bytes
    g = sim.load_graph(csr, normalization(csr, "weighted", edge_w=rng.uniform(0, 1.5, csr.n_edges)))
    sim.aggregate(g, x)
    after_first = t.arena.free_bytes
    t.clear_write_log()
    for relu in (True, False, True):
        sim.aggregate(g, x, relu=relu)
    writes = t.write_log()
    calls = [writes[i:i + 28] for i in range(0, len(writes), 28)]
    pointers = [[v for off, v in call if 0x10 <= off < 0x7C] for call in calls]
    assert pointers[0] == pointers[1] == pointers[2]  # same graph and per-call buffers
    assert t.arena.free_bytes == after_first
    g.release()
    sim.backend.release_call_buffers()
    assert t.arena.free_bytes == empty


def test_hw_config_must_match_the_simulated_build(sim_library):
    other = BOARDS["kv260"]
    with pytest.raises(ValueError, match="hardware reports"):
        Accelerator("sim", hw=other, library=sim_library)


def test_shared_error_vectors_through_the_register_sequence(sim):
    """golden.cases.error_cases run as raw DDR images (pointers as the vectors set them, bypassing
    the driver's checks) through DeviceBackend.execute: every stat_error the RTL reports decodes
    to the expected Err names, nothing is written outside feat_out / acc_buf, and the next call
    is clean."""
    from golden.cases import error_cases
    from golden.contract import BUFFER_NAMES
    from golden.vectors import DEFAULT_IMAGE_BASE
    t = sim.backend.transport
    base = t.mem_base
    for v in error_cases(HW, seed=3):
        pointers, image = v.image(HW, image_base=base)
        ptrs = dict(zip(BUFFER_NAMES, pointers))
        t.memory[:len(image)] = np.frombuffer(image, np.uint8)
        sizes = v.problem.buffer_bytes(HW)
        t.expect_writes([(ptrs[n], sizes[n]) for n in ("feat_out", "acc_buf") if n in sizes])
        err_base, err_bytes = v.axi_error  # in the vector's own image coordinates
        t.inject_read_error(err_base - DEFAULT_IMAGE_BASE + base if err_bytes else 0, err_bytes)
        status = sim.backend.execute(ptrs, v.problem)
        t.inject_read_error(0, 0)
        assert DeviceError(status.error).reasons == tuple(e.name for e in Err if e & v.expect_error), v.name
        assert v.changed_outside_outputs(t.memory, HW, base).size == 0, v.name
    t.memory[:len(image)] = 0
    g, x, expect = _one_graph(sim)
    np.testing.assert_array_equal(sim.aggregate(g, x), expect)


def test_resident_features_serve_many_graphs(sim):
    """Features uploaded once by load_features give the same bits as an array per call, across
    graphs and gather modes, and a request-sized graph does not re-upload them."""
    rng = np.random.default_rng(31)
    x = random_features(rng, 300, 32)
    cpu = Accelerator("cpu")
    resident = sim.load_features(x)
    for n_dst, degree in ((1, 12), (4, 5), (40, 3)):
        csr = random_graph(rng, n_dst, 300, degree)
        norm = normalization(csr, "symmetric", src_degree=np.full(300, 7))
        expect = cpu.aggregate(cpu.load_graph(csr, norm), x)
        g = sim.load_graph(csr, norm)
        for gather in ("table", "dram"):
            np.testing.assert_array_equal(sim.aggregate(g, resident, gather=gather), expect)
            np.testing.assert_array_equal(sim.aggregate(g, x, gather=gather), expect)
        g.release()
    other = Accelerator("cpu")
    with pytest.raises(ValueError, match="another Accelerator"):
        other.aggregate(other.load_graph(csr, norm), resident)
    resident.release()
    with pytest.raises(ValueError, match="released"):
        sim.aggregate(sim.load_graph(csr, norm), resident)
    with pytest.raises(ValueError, match="rows"):
        sim.aggregate(sim.load_graph(csr, norm), sim.load_features(x[:10]))


@pytest.mark.slow
def test_8bit_build_through_the_driver():
    """The RTL built with 8-bit features (Q4.4, W Q2.6, COEF UQ2.14, 24-bit accumulator): the
    driver reads those formats from HW_FORMATS and packs 8-bit buffers; every output is bit-exact
    with golden in the same formats, and feat_out takes half the write beats of a 16-bit build."""
    from sim.harness.build import build
    q8 = HwConfig(64, 16, 1, 256, 1 << 17, feat_bits=8, feat_frac=4, wgt_frac=6, coef_frac=14, acc_bits=24)
    with Accelerator("sim", hw=q8, library=build(q8)) as acc:
        assert acc.formats == q8.formats
        for v in [v for v in standard_cases(q8, seed=9, n_random=40) if v.expect is not None]:
            np.testing.assert_array_equal(run_vector(acc, v), v.expect, err_msg=v.name)
            assert acc.status.wr_beats == v.problem.n_dst * v.problem.feat_dim // q8.bus_bytes or \
                v.problem.needs_acc_buf(q8), v.name
        assert acc.backend.transport.counters()["violations"] == 0
