"""cocotb tests of the gnn_agg RTL against the golden model (run from tests/rtl/test_gnn_agg*.py).

GNN_N_RANDOM sets how many seeded random problems test_shared_cases runs after the edge cases and
before the error cases (golden.cases.standard_cases); GNN_CASES=name,name restricts the set;
GNN_SKIP_AXI_ERRORS=1 leaves out the AXI error-injection cases (the HLS export does not report
AXI errors, docs/HLS.md).
"""
from __future__ import annotations

import dataclasses
import os

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from gnn_agg_tb import Outcome, Testbench
from golden.cases import (edge_cases, make_vector, random_features, random_graph, standard_cases,
                          partial_row_cases, tiled_bipartite_cases, tiled_cases)
from golden.contract import TILE_END, TILE_ROW_MASK, Ctrl, Err, HW_MAGIC, Irq, Mode, Reg
from golden.graph import CSR


def shared_cases(hw):
    seed = int(os.environ.get("GNN_SEED", "1"))
    cases = standard_cases(hw, seed=seed, n_random=int(os.environ.get("GNN_N_RANDOM", "200")))
    wanted = [n for n in os.environ.get("GNN_CASES", "").split(",") if n]
    if wanted:
        missing = set(wanted) - {c.name for c in cases}
        assert not missing, f"no case named {sorted(missing)}"
        cases = [c for c in cases if c.name in wanted]
    if os.environ.get("GNN_SKIP_AXI_ERRORS", "0") not in ("", "0"):
        cases = [c for c in cases if not c.axi_error[1]]
    return cases


def small_case(hw, seed: int, n: int = 10, kind: str = "symmetric"):
    rng = np.random.default_rng(seed)
    g = random_graph(rng, n, n + 3, 3)
    return make_vector(f"small_{seed}", g, random_features(rng, n + 3, hw.feat_align, hw=hw), kind, rng, hw=hw)


@cocotb.test()
async def test_shared_cases(dut):
    """Every shared case back to back without reset: bit-exact feat_out, exact stat_error,
    containment, status counters."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    cases = shared_cases(tb.hw)
    tb.log.info("%d cases, latency %d, pause %.2f, hw %s", len(cases), tb.latency, tb.pause, tb.hw)
    for vec in cases:
        res = await tb.run(vec)
        tb.check(vec, res)
    tb.log.info("max reads in flight seen by the memory: %d", tb.mem.max_reads_in_flight)


@cocotb.test()
async def test_tiled_bipartite(dut):
    """golden.cases.tiled_bipartite_cases back to back: bit-exact feat_out, status counters."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    for vec in tiled_bipartite_cases(tb.hw, seed=int(os.environ.get("GNN_SEED", "1"))):
        assert vec.problem.n_src > tb.hw.table_rows(vec.problem.feat_dim) * 2, vec.name   # >= 3 partitions
        res = await tb.run(vec)
        tb.check(vec, res)


@cocotb.test()
async def test_partial_rows(dut):
    """golden.cases.partial_row_cases back to back: bit-exact feat_out, status counters, and the
    acc_buf traffic of the row plans: each row's partial row written and read back once per
    partition it touches beyond its first (CSR.partial_rows), feat_out written once per row."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    bus = tb.hw.bus_bytes
    for vec in partial_row_cases(tb.hw, seed=int(os.environ.get("GNN_SEED", "1"))):
        p = vec.problem
        res = await tb.run(vec)
        tb.check(vec, res)
        layout, _ = vec.layout(tb.hw)
        acc_beats = partial = 0
        if "acc_buf" in layout and not p.mode & Mode.DRAM_GATHER:
            csr = CSR(vec.arrays["row_ptr"], vec.arrays["col_idx"].astype(np.uint32), p.n_src)
            partial = csr.partial_rows(tb.hw.table_rows(p.feat_dim))
            assert partial > 0, vec.name
            acc_beats = partial * p.feat_dim * 4 // bus
            assert tb.mem.beats_in(tb.mem.read_log, *layout["acc_buf"]) == acc_beats, vec.name
            assert tb.mem.beats_in(tb.mem.write_log, *layout["acc_buf"]) == acc_beats, vec.name
        out_beats = p.n_dst * p.feat_dim * tb.hw.feat_bits // 8 // bus
        assert tb.mem.beats_in(tb.mem.write_log, *layout["feat_out"]) == out_beats, vec.name
        assert tb.mem.wr_beats == out_beats + acc_beats, vec.name
        tb.log.info("%s: %d partial rows, %d cycles", vec.name, partial, res.status["cycles"])


@cocotb.test()
async def test_tiled_layout(dut):
    """golden.cases.tiled_cases back to back (TILED mode): bit-exact feat_out and exact stat_error,
    containment, status counters; on the good cases every tile pair and local index is read
    once per run (not once per pass), acc_buf moves exactly CSR.partial_rows partial rows each
    way and feat_out is written once per row; feat_in is read once per pass's partition, with
    the read-ahead where the hint allows one: the hinted partition's rows [rem, R) are read
    before its rows [0, rem), which its own load then reads (a full load's bytes; a wrong hint's
    rows once more)."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    bus = tb.hw.bus_bytes
    read_ahead = 0
    for vec in tiled_cases(tb.hw, seed=int(os.environ.get("GNN_SEED", "1"))):
        p = vec.problem
        res = await tb.run(vec)
        tb.check(vec, res)
        if vec.expect_error:
            continue
        layout, _ = vec.layout(tb.hw)
        for name, check in (("row_ptr", 2), ("col_idx", 0)):   # + the words of the row_ptr check
            addr, nbytes = layout[name]
            assert tb.mem.beats_in(tb.mem.read_log, addr, nbytes) == -(-nbytes // bus) + check, (vec.name, name)
        rows = tb.hw.table_rows(p.feat_dim)
        markers = int(np.count_nonzero(vec.arrays["row_ptr"].reshape(-1)[0::2] & TILE_END))   # passes (P, or P + 1 split)
        partial = p.n_pairs - p.n_dst - markers   # CSR.partial_rows(R)
        acc_beats = partial * p.feat_dim * 4 // bus
        if "acc_buf" in layout:
            assert tb.mem.beats_in(tb.mem.read_log, *layout["acc_buf"]) == acc_beats, vec.name
            assert tb.mem.beats_in(tb.mem.write_log, *layout["acc_buf"]) == acc_beats, vec.name
        out_beats = p.n_dst * p.feat_dim * tb.hw.feat_bits // 8 // bus
        assert tb.mem.beats_in(tb.mem.write_log, *layout["feat_out"]) == out_beats, vec.name
        assert tb.mem.wr_beats == out_beats + acc_beats, vec.name
        parts = tb.hw.partitions(p.n_src, p.feat_dim)
        rem = p.n_src - (parts - 1) * rows
        pairs = vec.arrays["row_ptr"].reshape(-1, 2)
        marked = [int(w) & TILE_ROW_MASK for w in pairs[:, 0] if w & TILE_END]
        hint = int(pairs[0, 1])
        ahead = parts > 1 and marked[0] == parts - 1 and rem < rows and hint < parts - 1
        load = sum(min(rows, p.n_src - q * rows) for q in marked if q < parts)
        if ahead and marked[1] != hint:
            load += rows - rem
        row_bytes = p.feat_dim * tb.hw.feat_bits // 8
        base, nbytes = layout["feat_in"]
        assert tb.mem.beats_in(tb.mem.read_log, base, nbytes) * bus == load * row_bytes, vec.name
        if ahead:
            read_ahead += 1
            starts = [(a - base) // row_bytes for a, _ in tb.mem.read_log if base <= a < base + nbytes]
            first = next(r for r in starts if hint * rows <= r < (hint + 1) * rows)
            assert first == hint * rows + rem, (vec.name, first)
        tb.log.info("%s: %d partitions of %d rows, %d partial rows, %d cycles", vec.name,
                    tb.hw.partitions(p.n_src, p.feat_dim), rows, partial, res.status["cycles"])
    assert read_ahead, "no case reads ahead"


@cocotb.test()
async def test_registers_and_polling(dut):
    """Hardware words, argument read-back, ap_idle / ap_done (clear on read) by polling,
    ISR toggle-on-write and the GIE / IER gating of the interrupt line."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    hw = tb.hw
    assert await tb.read(Reg.HW_MAGIC) == HW_MAGIC
    assert await tb.read(Reg.HW_PARAMS) == hw.hw_params_word
    assert await tb.read(Reg.HW_MAX_FEAT) == hw.max_feat
    assert await tb.read(Reg.HW_TABLE_ELEMS) == hw.table_elems
    assert await tb.read(Reg.HW_FORMATS) == hw.hw_formats_word
    assert await tb.read(Reg.CTRL) == int(Ctrl.AP_IDLE)
    await tb.write(Reg.FEAT_OUT + 4, 0x12345678)
    assert await tb.read(Reg.FEAT_OUT + 4) == 0x12345678
    await tb.write(Reg.MODE, 0x5A)
    assert await tb.read(Reg.MODE) == 0x5A

    vec = small_case(hw, 3)
    _, ptrs = tb.load(vec)
    await tb.program(vec, ptrs)
    await tb.write(Reg.CTRL, int(Ctrl.AP_START))
    ctrl = await tb.read(Reg.CTRL)
    assert not ctrl & Ctrl.AP_IDLE, f"running kernel reports idle (CTRL={ctrl:#x})"
    for _ in range(tb.cycle_budget(vec) // 8):
        ctrl = await tb.read(Reg.CTRL)
        if ctrl & Ctrl.AP_DONE:
            break
    assert ctrl & Ctrl.AP_DONE and ctrl & Ctrl.AP_IDLE, f"no ap_done by polling (CTRL={ctrl:#x})"
    assert not await tb.read(Reg.CTRL) & Ctrl.AP_DONE, "ap_done must clear on read"
    assert not dut.interrupt.value, "interrupt raised with GIE = 0"
    # ISR.done was set by ap_done; IER gates the line, GIE gates everything
    assert await tb.read(Reg.ISR) & Irq.DONE
    await tb.write(Reg.IER, int(Irq.DONE))
    await ClockCycles(dut.ap_clk, 2)
    assert not dut.interrupt.value, "interrupt raised with GIE = 0"
    await tb.write(Reg.GIE, 1)
    await ClockCycles(dut.ap_clk, 2)
    assert dut.interrupt.value and await tb.read(Reg.CTRL) & Ctrl.INTERRUPT
    # ap_ready comes with ap_done (not pipelined), so ISR.ready is set too; IER.ready = 0 masks it
    await tb.write(Reg.ISR, int(Irq.DONE))  # toggle: clears
    await ClockCycles(dut.ap_clk, 2)
    assert not dut.interrupt.value and await tb.read(Reg.ISR) == int(Irq.READY)
    await tb.write(Reg.ISR, int(Irq.READY))
    assert await tb.read(Reg.ISR) == 0
    await tb.write(Reg.ISR, int(Irq.READY))  # toggle: sets, but IER.ready is 0
    assert await tb.read(Reg.ISR) == int(Irq.READY) and not dut.interrupt.value
    await tb.write(Reg.ISR, int(Irq.READY))
    st = await tb.status()
    tb.check(vec, Outcome(st["error"], st, tb.feat_out(*tb.layout["feat_out"], vec)))


@cocotb.test()
async def test_auto_restart(dut):
    """auto_restart re-runs the call after each ap_done until it is cleared."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    vec = small_case(tb.hw, 5)
    _, ptrs = tb.load(vec)
    await tb.program(vec, ptrs)
    await tb.write(Reg.CTRL, int(Ctrl.AP_START | Ctrl.AUTO_RESTART))
    runs = 0
    budget = tb.cycle_budget(vec)
    while runs < 3:
        await tb.wait_interrupt(budget)
        await tb.acknowledge()
        runs += 1
    await tb.write(Reg.CTRL, 0)  # clear auto_restart: the run in progress is the last one
    for _ in range(budget // 8):
        if await tb.read(Reg.CTRL) & Ctrl.AP_IDLE:
            break
    await ClockCycles(dut.ap_clk, 200)
    assert await tb.read(Reg.CTRL) & Ctrl.AP_IDLE, "kernel still restarting after auto_restart was cleared"
    st = await tb.status()
    assert st["error"] == 0 and np.array_equal(tb.feat_out(*tb.layout["feat_out"], vec), vec.expect)


@cocotb.test()
async def test_reset_mid_run(dut):
    """ap_rst_n in the middle of a run leaves the kernel idle; the next call is exact."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    hw = tb.hw
    big = [v for v in edge_cases(hw) if v.name.startswith("tiled_symmetric")][0]
    for cut in (40, 400, 2000):
        _, ptrs = tb.load(big)
        await tb.program(big, ptrs)
        await tb.write(Reg.CTRL, int(Ctrl.AP_START))
        await ClockCycles(dut.ap_clk, cut)
        await tb.reset(3)
        assert await tb.read(Reg.CTRL) == int(Ctrl.AP_IDLE)
        await tb.enable_interrupt()
        for vec in (small_case(hw, cut), big):
            res = await tb.run(vec)
            tb.check(vec, res)


@cocotb.test()
async def test_write_error(dut):
    """SLVERR on writes of feat_out sets AXI_WR, ap_done still comes, the next call is exact;
    DECERR on the col_idx reads sets AXI_RD (SLVERR is in the shared error cases)."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    vec = small_case(tb.hw, 7)
    layout, _ = vec.layout(tb.hw)
    res = await tb.run(vec, write_error_window=layout["feat_out"])
    tb.check(vec, res, expect_error=int(Err.AXI_WR))
    vec.axi_error = layout["col_idx"]
    res = await tb.run(vec, error_resp=3)
    tb.check(vec, res, expect_error=int(Err.AXI_RD))
    vec.axi_error = (0, 0)
    res = await tb.run(vec)
    tb.check(vec, res)
    await RisingEdge(dut.ap_clk)


@cocotb.test()
async def test_gather_reads_in_flight(dut):
    """DRAM-gather mode keeps many row reads in flight, so a long read latency is hidden:
    the memory sees >= 8 bursts outstanding and the read data bus is busy most of the run."""
    tb = Testbench(dut)
    tb.mem.configure(read_latency=100, pause=0.0)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    hw = tb.hw
    rng = np.random.default_rng(9)
    feat_dim = 4 * hw.feat_align
    g = random_graph(rng, 24, 40, 12)
    vec = make_vector("gather_in_flight", g, random_features(rng, 40, feat_dim, hw=hw), "sum", rng, dram=True, hw=hw)
    res = await tb.run(vec)
    tb.check(vec, res)
    assert tb.mem.max_reads_in_flight >= 8, f"only {tb.mem.max_reads_in_flight} reads in flight"
    row_beats = g.n_edges * feat_dim * hw.feat_bytes // hw.bus_bytes
    assert res.status["rd_beats"] >= row_beats
    assert res.status["cycles"] < 1.3 * res.status["rd_beats"] + 2000, \
        f"{res.status['cycles']} cycles for {res.status['rd_beats']} read beats at latency 100"


@cocotb.test()
async def test_row_ptr_check(dut):
    """row_ptr[0] != 0 or row_ptr[n_dst] != n_edges ends the run after the bus words holding those
    entries (ROW_PTR; a read error on them: AXI_RD alone), however large n_edges or n_dst is:
    nothing else read, nothing written; the next call is exact."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    hw = tb.hw
    vec = small_case(hw, 21)
    layout, _ = vec.layout(hw)
    rp_addr = layout["row_ptr"][0]
    bad_head = vec.arrays["row_ptr"].copy()
    bad_head[0] = 1
    huge_dst = 1 << 31
    tail_word = (rp_addr + 4 * huge_dst) & ~(hw.bus_bytes - 1)
    # (name, register overrides, row_ptr array, read-error window, error, reads)
    faults = [("n_edges_huge", {Reg.N_EDGES: 0xFFFFFFFF}, None, (0, 0), Err.ROW_PTR, 2),
              ("n_edges_one_more", {Reg.N_EDGES: vec.problem.n_edges + 1}, None, (0, 0), Err.ROW_PTR, 2),
              ("n_dst_huge", {Reg.N_DST: huge_dst}, None, (0, 0), Err.ROW_PTR, 2),
              ("head_not_0", {}, bad_head, (0, 0), Err.ROW_PTR, 1),
              ("head_slverr", {}, None, (rp_addr, hw.bus_bytes), Err.AXI_RD, 1)]
    for name, regs, row_ptr, window, err, reads in faults:
        faulty = dataclasses.replace(vec, name=name, arrays={**vec.arrays, "row_ptr": row_ptr}
                                     if row_ptr is not None else vec.arrays, axi_error=window)
        _, ptrs = tb.load(faulty)
        if Reg.N_DST in regs:  # the word holding row_ptr[n_dst] lies in the buffer n_dst describes
            tb.mem.readable.append((tail_word, hw.bus_bytes))
        await tb.program(faulty, ptrs)
        for reg, value in regs.items():
            await tb.write(reg, value)
        await tb.write(Reg.CTRL, int(Ctrl.AP_START))
        await tb.wait_interrupt(tb.cycle_budget(vec))
        await tb.acknowledge()
        st = await tb.status()
        tb.check(faulty, Outcome(st["error"], st, None), expect_error=int(err))
        assert (tb.mem.ar_count, st["rd_beats"], tb.mem.aw_count) == (reads, reads, 0), \
            f"{name}: {tb.mem.ar_count} reads ({st['rd_beats']} beats), {tb.mem.aw_count} writes"
        res = await tb.run(vec)
        tb.check(vec, res)


@cocotb.test()
async def test_timeout(dut):
    """TIMEOUT reads back (0 after reset = none); a memory that stops sending R beats (after 0 or
    a few of them) or never sends B ends the run with TIMEOUT alone, ap_done and nothing written
    outside feat_out; once the memory path answers again the next call is exact."""
    tb = Testbench(dut)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    hw = tb.hw
    assert await tb.read(Reg.TIMEOUT) == 0
    limit = 4 * tb.latency + 64  # well above any gap the memory model leaves between beats
    await tb.write(Reg.TIMEOUT, limit)
    assert await tb.read(Reg.TIMEOUT) == limit
    vec = big = [v for v in edge_cases(hw) if v.name.startswith("tiled_symmetric")][0]
    rng = np.random.default_rng(tb.seed)
    for read_beats, writes in ((0, False), (1, False), (int(rng.integers(2, 200)), False), (None, True)):
        tb.mem.stop_answering(read_beats, writes)
        _, ptrs = tb.load(vec)
        await tb.program(vec, ptrs)
        await tb.write(Reg.CTRL, int(Ctrl.AP_START))
        await tb.wait_interrupt(tb.cycle_budget(vec) + limit)
        await tb.acknowledge()
        st = await tb.status()
        res = Outcome(st["error"], st, None)
        tb.check(vec, res, expect_error=int(Err.TIMEOUT))
        assert await tb.read(Reg.CTRL) & Ctrl.AP_IDLE
        tb.mem.answer_again()
        for clean in (small_case(hw, 30 + (read_beats or 0)), big):
            tb.check(clean, await tb.run(clean))
    await tb.write(Reg.TIMEOUT, 0)
    tb.check(vec, await tb.run(vec))
