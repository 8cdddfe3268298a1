"""The C++ Verilator harness on its own, around a fixture kernel (sim/harness/copy_kernel.sv:
gnn_agg's ports and control registers, copying feat_in to feat_out in bursts): the AXI-Lite
master, DDR model latency/bandwidth and realism (refresh, row misses, contention), SLVERR and
DECERR injection, read- and write-window checks, a slave that stops answering, a reset at a
given cycle, each AXI master-rule check firing on a fixture that breaks it,
reset, interrupt, for a 64- and a 128-bit bus (Verilator's scalar and wide signal types)."""
from __future__ import annotations

import numpy as np
import pytest

from golden.contract import HW_MAGIC, Ctrl, HwConfig, Problem, Reg
from host.driver import RunStatus
from host.driver.backends.device import execute
from host.driver.backends.sim import SimProtocolError, SimTransport
from sim.harness.build import HARNESS_DIR, build
from sim.harness.ddr import DdrModel

BURST_BEATS = 16  # the fixture's longest burst
FIXTURE_MAX_OUTSTANDING = 1  # the fixture runs one burst at a time
FAULT_REG = 0x98  # the fixture's FAULT word (copy_kernel.sv)


@pytest.fixture(scope="module", params=[64, 128], ids=["bus64", "bus128"])
def fixture_lib(request):
    hw = HwConfig(bus_bits=request.param, lanes=16, pes=1, max_feat=256, table_elems=1 << 17)
    return hw, build(hw, files_f=HARNESS_DIR / "copy_kernel.f", top="copy_kernel",
                     max_outstanding=FIXTURE_MAX_OUTSTANDING)


@pytest.fixture
def harness(fixture_lib):
    hw, lib = fixture_lib
    t = SimTransport(lib, mem_bytes=1 << 20)
    yield hw, t
    t.close()


def _copy(t: SimTransport, src, dst, n_src: int, feat_dim: int) -> RunStatus:
    """One fixture run through the driver's register sequence (TimeoutError, after a reset, when
    ap_done does not come)."""
    return execute(t, {"feat_in": src.device_address, "feat_out": dst.device_address},
                   Problem(0, n_src, 0, feat_dim, 0), timeout_s=60.0)


def _buffers(t: SimTransport, nbytes: int, seed: int):
    src, dst = t.allocate(nbytes), t.allocate(nbytes)
    src.view[:] = np.random.default_rng(seed).integers(0, 256, nbytes, dtype=np.uint8)
    dst.view[:] = 0xCD
    return src, dst


def test_control_registers_and_write_log(harness):
    hw, t = harness
    assert t.read_reg(Reg.HW_MAGIC) == HW_MAGIC
    assert t.read_reg(Reg.HW_PARAMS) == hw.hw_params_word
    assert t.read_reg(Reg.CTRL) & Ctrl.AP_IDLE
    t.clear_write_log()
    for i, reg in enumerate((Reg.N_DST, Reg.N_SRC, Reg.N_EDGES, Reg.FEAT_DIM)):
        t.write_reg(reg, 0x1234_5678 + i)
    assert [t.read_reg(r) for r in (Reg.N_DST, Reg.N_SRC, Reg.N_EDGES, Reg.FEAT_DIM)] == \
        [0x1234_5678 + i for i in range(4)]
    assert t.write_log() == [(int(r), 0x1234_5678 + i) for i, r in
                             enumerate((Reg.N_DST, Reg.N_SRC, Reg.N_EDGES, Reg.FEAT_DIM))]


def test_copy_is_exact_and_interrupt_follows_gie_ier(harness):
    hw, t = harness
    n_src, feat_dim = 300, 32
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=1)
    assert _copy(t, src, dst, n_src, feat_dim)
    np.testing.assert_array_equal(dst.view, src.view)
    beats = n_src * feat_dim * 2 // hw.bus_bytes
    assert [t.read_reg(Reg.STAT_RD_BEATS), t.read_reg(Reg.STAT_WR_BEATS), t.read_reg(Reg.STAT_ERROR)] == [beats, beats, 0]
    c = t.counters()
    assert (c["read_beats"], c["write_beats"], c["violations"]) == (beats, beats, 0)
    assert not t._lib.gs_interrupt(t._h)  # ISR cleared
    t.write_reg(Reg.IER, 0)  # done no longer raises the line: the run ends at max_cycles
    t.write_reg(Reg.CTRL, Ctrl.AP_START)
    t.max_cycles = 50_000
    assert not t.wait_done(60.0)
    assert t.read_reg(Reg.CTRL) & Ctrl.AP_DONE


def test_latency_and_bandwidth_cost_exact_cycles(harness):
    """The fixture runs one burst at a time, so every extra cycle of read or write latency
    costs exactly one cycle per burst."""
    hw, t = harness
    n_src, feat_dim = 64, 64  # 8 KiB: whole bursts of BURST_BEATS beats
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=2)
    bursts = n_src * feat_dim * 2 // hw.bus_bytes // BURST_BEATS

    def cycles(**timing):
        t.set_timing(**timing)
        assert _copy(t, src, dst, n_src, feat_dim)
        np.testing.assert_array_equal(dst.view, src.view)
        return t.read_reg(Reg.STAT_CYCLES)

    base = cycles(read_latency=10, write_latency=5)
    assert cycles(read_latency=30, write_latency=5) == base + 20 * bursts
    assert cycles(read_latency=10, write_latency=12) == base + 7 * bursts
    # half the read bandwidth: the second..last beat of each burst waits one more cycle
    assert cycles(read_latency=10, write_latency=5, read_bandwidth=(1, 2)) == base + (BURST_BEATS - 1) * bursts
    assert cycles(read_latency=10, write_latency=5, write_bandwidth=(1, 4)) == base + 3 * (BURST_BEATS - 1) * bursts


def test_slverr_injection_reports_and_recovers(harness):
    hw, t = harness
    n_src, feat_dim = 64, 32
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=3)
    t.inject_read_error(src.device_address + 1024, hw.bus_bytes)
    assert _copy(t, src, dst, n_src, feat_dim)
    assert t.read_reg(Reg.STAT_ERROR) == 1 << 5  # AXI_RD
    bad = slice(1024, 1024 + hw.bus_bytes)
    assert not dst.view[bad].any()  # SLVERR beats carry zeros
    assert np.array_equal(np.delete(dst.view, np.r_[bad]), np.delete(src.view, np.r_[bad]))
    t.inject_read_error(0, 0)
    dst.view[:] = 0xCD
    t.inject_write_error(dst.device_address + 512, 1)
    assert _copy(t, src, dst, n_src, feat_dim)
    assert t.read_reg(Reg.STAT_ERROR) == 1 << 6  # AXI_WR
    assert (dst.view[512:512 + hw.bus_bytes] == 0xCD).all()  # the failed beat was not written
    t.inject_write_error(0, 0)
    assert _copy(t, src, dst, n_src, feat_dim)
    assert t.read_reg(Reg.STAT_ERROR) == 0
    np.testing.assert_array_equal(dst.view, src.view)


def test_decerr_injection_and_response_names(harness):
    """The error windows answer DECERR when asked (the default is SLVERR); the fixture reports
    either as AXI_RD / AXI_WR, and the data of a failed read beat is 0."""
    hw, t = harness
    n_src, feat_dim = 64, 32
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=13)
    t.inject_read_error(src.device_address + 256, 1, resp="DECERR")
    assert _copy(t, src, dst, n_src, feat_dim)
    assert t.read_reg(Reg.STAT_ERROR) == 1 << 5
    assert not dst.view[256:256 + hw.bus_bytes].any()
    t.inject_read_error(0, 0)
    t.inject_write_error(dst.device_address, 1, resp="DECERR")
    assert _copy(t, src, dst, n_src, feat_dim)
    assert t.read_reg(Reg.STAT_ERROR) == 1 << 6
    t.inject_write_error(0, 0)
    assert _copy(t, src, dst, n_src, feat_dim) and t.read_reg(Reg.STAT_ERROR) == 0
    np.testing.assert_array_equal(dst.view, src.view)
    with pytest.raises(ValueError, match="SLVERR"):
        t.inject_read_error(0, 0, resp="OKAY")
    assert t.counters()["violations"] == 0


def test_reads_outside_allowed_windows_are_violations(harness):
    hw, t = harness
    n_src, feat_dim = 16, 32
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=14)
    t.expect_reads([(dst.device_address, dst.nbytes)])  # src is not readable
    with pytest.raises(SimProtocolError, match="read_outside_window"):
        _copy(t, src, dst, n_src, feat_dim)
    assert t.counters()["read_outside_window"] == n_src * feat_dim * 2 // hw.bus_bytes
    assert "read_outside_window: read beat at 0x%x" % src.device_address in t.first_violation()
    t.expect_reads([(src.device_address, src.nbytes)])
    assert _copy(t, src, dst, n_src, feat_dim)
    np.testing.assert_array_equal(dst.view, src.view)

    class Top:  # the last 256 bytes of the 64-bit address space: outside the memory (DECERR)
        device_address = (1 << 64) - 256
    for window, outside in (((1 << 64) - 256, 0), ((1 << 64) - 128, 128 // hw.bus_bytes)):
        t.expect_reads([(window, (1 << 64) - window)])  # a window that ends at 2**64
        before = t.counters()["read_outside_window"]
        with pytest.raises(SimProtocolError, match="out_of_memory"):
            _copy(t, Top, dst, 4, 32)
        assert t.read_reg(Reg.STAT_ERROR) == 1 << 5  # AXI_RD: the model answered DECERR
        assert t.counters()["read_outside_window"] - before == outside
    t.expect_reads([])  # anywhere again


@pytest.mark.parametrize("read_beats, writes", [(0, False), (5, False), (None, True)])
def test_stop_answering_until_answer_again(harness, read_beats, writes):
    """A slave that stops answering: exactly `read_beats` more R beats (or no B), the run never
    ends (the fixture has no time-out; the driver's sequence resets it); after answer_again the
    next run is exact and no rule was broken."""
    hw, t = harness
    n_src, feat_dim = 64, 32
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=15)
    beats0 = t.counters()["read_beats"]
    t.stop_answering(read_beats, writes=writes)
    t.max_cycles = 20_000
    with pytest.raises(TimeoutError, match="it was reset"):
        _copy(t, src, dst, n_src, feat_dim)
    got = t.counters()["read_beats"] - beats0
    # without B the fixture stops after its first burst (it waits for each B before reading on)
    assert got == (read_beats if read_beats is not None else BURST_BEATS)
    t.answer_again()
    t.max_cycles = 1 << 32
    dst.view[:] = 0
    assert _copy(t, src, dst, n_src, feat_dim) and t.read_reg(Reg.STAT_ERROR) == 0
    np.testing.assert_array_equal(dst.view, src.view)
    assert t.counters()["violations"] == 0


def test_reset_at_a_cycle_in_mid_run(harness):
    """reset_at: ap_rst_n falls at the given cycle inside run_cycles, which returns; the kernel
    is idle, nothing broke a rule, and the next run is exact."""
    hw, t = harness
    n_src, feat_dim = 128, 64
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=16)
    for reg, v in ((Reg.FEAT_IN, src.device_address), (Reg.FEAT_IN + 4, 0), (Reg.FEAT_OUT, dst.device_address),
                   (Reg.FEAT_OUT + 4, 0), (Reg.N_SRC, n_src), (Reg.FEAT_DIM, feat_dim), (Reg.GIE, 1), (Reg.IER, 1)):
        t.write_reg(reg, v)
    t.write_reg(Reg.CTRL, Ctrl.AP_START)
    at = t.cycle() + 300
    t.reset_at(at, 5)
    assert t.reset_pending()
    ran = t.run_cycles(1 << 20)
    assert t.cycle() == at + 5 + 1 and ran < 1 << 20 and not t.interrupt() and not t.reset_pending()
    assert t.read_reg(Reg.CTRL) & Ctrl.AP_IDLE
    assert 0 < t.counters()["write_beats"] < n_src * feat_dim * 2 // hw.bus_bytes  # cut in mid-copy
    t.reset_at(0)
    dst.view[:] = 0
    assert _copy(t, src, dst, n_src, feat_dim)
    np.testing.assert_array_equal(dst.view, src.view)
    assert t.counters()["violations"] == 0


def test_writes_outside_allowed_windows_and_memory_are_violations(harness):
    hw, t = harness
    n_src, feat_dim = 16, 32
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=4)
    t.expect_writes([(src.device_address, src.nbytes)])  # dst is not writable
    with pytest.raises(SimProtocolError, match="write_outside_window"):
        _copy(t, src, dst, n_src, feat_dim)
    assert (dst.view == 0xCD).all()
    t.expect_writes([(dst.device_address, dst.nbytes)])
    assert _copy(t, src, dst, n_src, feat_dim)
    np.testing.assert_array_equal(dst.view, src.view)

    class Outside:
        device_address = t.mem_base + t.mem_bytes + 4096
    with pytest.raises(SimProtocolError, match="out_of_memory"):
        _copy(t, src, Outside, n_src, feat_dim)


def test_reset_drops_a_hung_run(harness):
    hw, t = harness
    n_src, feat_dim = 128, 64
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=5)
    t.set_timing(read_latency=10**9)
    t.max_cycles = 5000
    with pytest.raises(TimeoutError, match="it was reset"):  # no ap_done: the sequence resets the kernel
        _copy(t, src, dst, n_src, feat_dim)
    assert t.read_reg(Reg.CTRL) & Ctrl.AP_IDLE
    t.set_timing()
    t.max_cycles = 1 << 32
    assert _copy(t, src, dst, n_src, feat_dim)
    np.testing.assert_array_equal(dst.view, src.view)


def test_missing_rtl_is_a_clear_build_error(tmp_path):
    from sim.harness.build import BuildError
    with pytest.raises(BuildError, match="not in this tree yet"):
        build(files_f=tmp_path / "files.f")
    listing = tmp_path / "files.f"
    listing.write_text("// a comment\nrtl/no_such_module.sv\n")
    with pytest.raises(BuildError, match="no_such_module.sv not found"):
        build(files_f=listing)


def test_a_build_says_what_it_builds_and_where_it_is_cached(tmp_path, monkeypatch, capsys):
    import sim.harness.build as build_mod
    monkeypatch.setattr(build_mod, "BUILD_ROOT", tmp_path)
    hw = HwConfig(bus_bits=64, lanes=16, pes=1, max_feat=256, table_elems=1 << 17)
    lib = build(hw, files_f=HARNESS_DIR / "copy_kernel.f", top="copy_kernel",
                max_outstanding=FIXTURE_MAX_OUTSTANDING)
    err = capsys.readouterr().err
    assert "building the Verilator simulation of copy_kernel (64-bit bus, 16 lanes, 1 PE)" in err
    assert f"later runs reuse {lib.parent}" in err and f"built {lib.parent.name} in " in err
    assert build(hw, files_f=HARNESS_DIR / "copy_kernel.f", top="copy_kernel",
                 max_outstanding=FIXTURE_MAX_OUTSTANDING) == lib
    assert capsys.readouterr().err == ""  # a cached build is silent


def test_the_kernels_outstanding_limit_comes_from_its_source(tmp_path):
    from sim.harness.build import BuildError, declared_parameter, rtl_sources
    from sim.harness.build import REPO
    assert declared_parameter(rtl_sources(REPO / "rtl" / "files.f"), "gnn_agg", "MAX_OUTSTANDING") == 32
    with pytest.raises(BuildError, match="declares no parameter MAX_OUTSTANDING"):
        declared_parameter([HARNESS_DIR / "copy_kernel.sv"], "copy_kernel", "MAX_OUTSTANDING")


# ---- protocol checks: each one fires on a fixture that breaks its rule -------------------------
# (FAULT value, the counter that must fire, backpressure needed to provoke it)
FAULTS = {
    "valid_dropped": (1, 0.5), "payload_changed_ar": (2, 0.5), "payload_changed_w": (3, 0.5),
    "bad_size": (4, 0.0), "unaligned": (5, 0.0), "bad_burst": (6, 0.0), "cross_4k": (7, 0.0),
    "wlast_mismatch": (8, 0.0), "w_before_aw": (9, 0.0), "outstanding_reads": (11, 0.0),
    "outstanding_writes": (12, 0.0),
}


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_each_protocol_check_fires(harness, case):
    hw, t = harness
    fault, stall = FAULTS[case]
    counter = case.rsplit("_", 1)[0] if case.startswith(("payload_changed", "outstanding")) else case
    # 256 bytes (one or two bursts: the duplicated bursts stay under the model's queue limits), or
    # 2 KiB under backpressure (a stall is sure to come)
    n_src, feat_dim = (32 if stall else 4), 32
    src, dst = t.allocate(8192), t.allocate(8192)
    src.view[:] = np.random.default_rng(fault).integers(0, 256, 8192, dtype=np.uint8)
    start = 4096 - 64 if case == "cross_4k" else 0  # 64 bytes below a 4 KiB boundary

    class At:
        def __init__(self, buf, off):
            self.device_address = buf.device_address + off
    assert _copy(t, At(src, start), At(dst, start), n_src, feat_dim)  # compliant: no violation
    t.set_timing(max_reads=16, max_writes=16)
    t.set_ddr(address_stall=stall, seed=fault)
    t.write_reg(FAULT_REG, fault)
    with pytest.raises(SimProtocolError, match=counter) as err:
        _copy(t, At(src, start), At(dst, start), n_src, feat_dim)
    assert t.counters()[counter] > 0
    assert f"{counter}:" in t.first_violation() or counter in str(err.value)


def test_valid_during_reset_is_a_violation(harness):
    hw, t = harness
    t.write_reg(FAULT_REG, 10)  # ARVALID high while in reset
    t.reset()
    assert t.counters()["valid_in_reset"] > 0
    assert "valid_in_reset: AR/AW/WVALID = 1/0/0 during reset" in t.first_violation()
    t.write_reg(FAULT_REG, 0)
    src, dst = _buffers(t, 256, seed=10)
    with pytest.raises(SimProtocolError, match="valid_in_reset"):  # reported at the next run's end
        _copy(t, src, dst, 4, 32)
    assert _copy(t, src, dst, 4, 32)  # reported once; a clean run passes again
    np.testing.assert_array_equal(dst.view, src.view)


def test_backpressure_keeps_the_copy_exact(harness):
    """Random AR/AW/W backpressure: a compliant master sees no violation and copies exactly."""
    hw, t = harness
    src, dst = _buffers(t, 64 * 64 * 2, seed=11)
    t.set_ddr(address_stall=0.4, seed=11)
    assert _copy(t, src, dst, 64, 64)
    np.testing.assert_array_equal(dst.view, src.view)
    assert t.counters()["violations"] == 0


# ---- DDR realism --------------------------------------------------------------------------------
def _cycles(t, src, dst, n_src, feat_dim, ddr=None):
    t.set_ddr(ddr)
    dst.view[:] = 0
    assert _copy(t, src, dst, n_src, feat_dim)
    np.testing.assert_array_equal(dst.view, src.view)
    return t.read_reg(Reg.STAT_CYCLES), t.counters()


def test_ddr_refresh_row_misses_and_contention_cost_cycles(harness):
    """Each mechanism alone: the copy stays exact and takes more cycles than the ideal model,
    and the harness counts the events it caused."""
    hw, t = harness
    n_src, feat_dim = 64, 64
    src, dst = _buffers(t, n_src * feat_dim * 2, seed=12)
    t.set_timing(read_latency=10, write_latency=5)
    ideal, c0 = _cycles(t, src, dst, n_src, feat_dim)
    assert (c0["refresh_cycles"], c0["contended_cycles"], c0["row_misses"]) == (0, 0, 0)

    refresh, c = _cycles(t, src, dst, n_src, feat_dim, DdrModel(refresh_interval=200, refresh_cycles=40))
    assert refresh > ideal and c["refresh_cycles"] - c0["refresh_cycles"] >= 40 * (ideal // 200)

    before = t.counters()["row_misses"]
    # rows of 256 bytes, 2 banks: src and dst sit in different rows, so every burst misses
    rows, c = _cycles(t, src, dst, n_src, feat_dim, DdrModel(row_miss_cycles=7, page_bytes=256, banks=2))
    bursts = n_src * feat_dim * 2 // hw.bus_bytes // BURST_BEATS
    assert c["row_misses"] - before >= 2 * bursts and rows >= ideal + 7 * 2 * bursts

    before = t.counters()["row_misses"]
    # one 64 KiB row holds src and dst: only the first beat misses, 7 cycles late
    one_row, c = _cycles(t, src, dst, n_src, feat_dim, DdrModel(row_miss_cycles=7, page_bytes=1 << 16, banks=1))
    assert c["row_misses"] - before == 1 and one_row == ideal + 7

    busy, c = _cycles(t, src, dst, n_src, feat_dim, DdrModel(contention=0.5))
    assert busy > ideal and c["contended_cycles"] > 0
    assert _cycles(t, src, dst, n_src, feat_dim)[0] == ideal  # off again: the ideal cycles


def test_ddr_model_refuses_impossible_settings():
    with pytest.raises(ValueError, match="contention"):
        DdrModel(contention=1.0)
    with pytest.raises(ValueError, match="refresh_cycles"):
        DdrModel(refresh_interval=100, refresh_cycles=100)
