"""cocotb tests of gnn_agg's AXI-Lite slave under a hostile master (run from
tests/rtl/test_gnn_agg_axil.py): partial-strobe writes (an argument byte changes only where its
WSTRB bit is set; CTRL / GIE / IER / ISR act only when byte 0 is strobed; read-only words ignore
writes, as Vitis HLS's s_axilite does) and BREADY / RREADY held low for random cycles."""
from __future__ import annotations

import cocotb
import numpy as np

from gnn_agg_tb import Outcome, Testbench
from golden.cases import make_vector, random_features, random_graph
from golden.contract import BUFFER_NAMES, HW_MAGIC, Ctrl, Reg


@cocotb.test()
async def test_partial_strobes(dut):
    tb = Testbench(dut)
    tb.stall_lite_responses(0.6, 3)
    await tb.start_clock_and_reset()
    await tb.write(Reg.N_SRC, 0x11223344)
    await tb.write_bytes(Reg.N_SRC, 1, b"\xab")
    assert await tb.read(Reg.N_SRC) == 0x1122AB44
    await tb.write_bytes(Reg.N_SRC, 2, b"\xcd\xef")
    assert await tb.read(Reg.N_SRC) == 0xEFCDAB44
    await tb.write(Reg.FEAT_IN + 4, 0)
    await tb.write_bytes(Reg.FEAT_IN + 4, 3, b"\x7f")
    assert await tb.read(Reg.FEAT_IN + 4) == 0x7F000000
    # control words act only with byte 0 strobed
    await tb.write_bytes(Reg.IER, 1, b"\xff")
    assert await tb.read(Reg.IER) == 0
    await tb.write_bytes(Reg.CTRL, 1, b"\x01")
    assert await tb.read(Reg.CTRL) == int(Ctrl.AP_IDLE), "a CTRL write without byte 0 must not start"
    await tb.write_bytes(Reg.GIE, 0, b"\x01")
    assert await tb.read(Reg.GIE) == 1
    # read-only words keep their value
    await tb.write_bytes(Reg.HW_MAGIC, 0, b"\x00\x00")
    assert await tb.read(Reg.HW_MAGIC) == HW_MAGIC


@cocotb.test()
async def test_byte_programmed_run_under_stalled_responses(dut):
    """Every argument written one byte at a time (partial strobes compose to the full word), with
    BREADY / RREADY low 70% of the cycles: the run is bit-exact."""
    tb = Testbench(dut)
    tb.stall_lite_responses(0.7, 5)
    await tb.start_clock_and_reset()
    await tb.enable_interrupt()
    rng = np.random.default_rng(5)
    g = random_graph(rng, 12, 14, 4)
    vec = make_vector("bytes", g, random_features(rng, 14, tb.hw.feat_align, hw=tb.hw), "symmetric", rng, hw=tb.hw)
    _, ptrs = tb.load(vec)
    p = vec.problem
    words = []
    for reg, value in zip((Reg.ROW_PTR, Reg.COL_IDX, Reg.EDGE_W, Reg.SRC_SCALE, Reg.DST_SCALE, Reg.FEAT_IN,
                           Reg.WEIGHT, Reg.FEAT_OUT, Reg.ACC_BUF), ptrs):
        words += [(reg, value & 0xFFFFFFFF), (reg + 4, value >> 32)]
    words += [(Reg.N_DST, p.n_dst), (Reg.N_SRC, p.n_src), (Reg.N_EDGES, p.n_edges), (Reg.FEAT_DIM, p.feat_dim),
              (Reg.MODE, p.mode)]
    assert len(ptrs) == len(BUFFER_NAMES)
    for reg, value in words:
        await tb.write(reg, 0xA5A5A5A5)  # stale contents the byte writes must replace
        for i, byte in enumerate(value.to_bytes(4, "little")):
            await tb.write_bytes(reg, i, bytes([byte]))
    for reg, value in words:
        assert await tb.read(reg) == value, f"register {int(reg):#x}"
    await tb.write(Reg.CTRL, int(Ctrl.AP_START))
    await tb.wait_interrupt(tb.cycle_budget(vec))
    await tb.acknowledge()
    st = await tb.status()
    tb.check(vec, Outcome(st["error"], st, tb.feat_out(*tb.layout["feat_out"], vec)))
