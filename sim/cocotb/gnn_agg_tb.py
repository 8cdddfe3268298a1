"""Testbench for gnn_agg: clock, reset, AXI-Lite master (cocotbext-axi), AXI4 memory model, and
one call = program the arguments, start, wait for done, check against the golden answer.

Configuration comes from the environment (sim/runner.py sets it from pytest):
    GNN_HW        the build's HwConfig fields in order, comma-separated (sim.runner.hw_env)
    GNN_LATENCY   read latency in cycles            GNN_PAUSE  stall probability per channel
                  (the memory's five channels, and BREADY / RREADY of the AXI-Lite master)
    GNN_SEED      randomization seed
"""
from __future__ import annotations

import dataclasses
import logging
import os
import random

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotbext.axi import AxiLiteBus, AxiLiteMaster

from axi_memory import AxiMemory
from golden.contract import BUFFER_ALIGN, BUFFER_NAMES, Ctrl, Err, HwConfig, Irq, Reg
from golden.vectors import DEFAULT_IMAGE_BASE, Vector, feat_dtype

CLOCK_NS = 10
PRE_MEMORY_ERRORS = int(Err.ARG | Err.ALIGN | Err.RANGE)


def hw_from_env() -> HwConfig:
    return HwConfig(*(int(v) for v in os.environ.get("GNN_HW", "64,16,1,256,1024").split(",")))


def _round_up(n: int, a: int) -> int:
    return -(-n // a) * a


@dataclasses.dataclass
class Outcome:
    error: int
    status: dict
    feat_out: np.ndarray | None


class Testbench:
    def __init__(self, dut, hw: HwConfig | None = None):
        self.dut = dut
        self.hw = hw or hw_from_env()
        self.log = dut._log
        self.latency = int(os.environ.get("GNN_LATENCY", "0"))
        self.pause = float(os.environ.get("GNN_PAUSE", "0"))
        self.seed = int(os.environ.get("GNN_SEED", "1"))
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axi_control"), dut.ap_clk,
                                  dut.ap_rst_n, reset_active_level=False)
        logging.getLogger("cocotb.gnn_agg.s_axi_control").setLevel(logging.WARNING)  # logs every access
        if self.pause:
            self.stall_lite_responses(self.pause, self.seed)
        self.mem = AxiMemory(dut, self.hw.bus_bytes, seed=self.seed)
        self.mem.configure(self.latency, self.pause)

    async def start_clock_and_reset(self):
        cocotb.start_soon(Clock(self.dut.ap_clk, CLOCK_NS, unit="ns").start())
        cocotb.start_soon(self.mem.run(self.dut.ap_clk, self.dut.ap_rst_n))
        await self.reset()

    async def reset(self, cycles: int = 8):
        self.dut.ap_rst_n.value = 0
        await ClockCycles(self.dut.ap_clk, cycles)
        self.dut.ap_rst_n.value = 1
        await ClockCycles(self.dut.ap_clk, 2)

    def stall_lite_responses(self, pause: float, seed: int):
        """BREADY and RREADY of the AXI-Lite master low in a random share `pause` of the cycles
        (the slave must hold BVALID/BRESP and RVALID/RDATA until the handshake)."""
        rng = random.Random(seed ^ 0x5A5A)

        def stalls():
            while True:
                yield rng.random() < pause
        self.axil.write_if.b_channel.set_pause_generator(stalls())
        self.axil.read_if.r_channel.set_pause_generator(stalls())

    # ------------------------------------------------------------------ registers
    async def write(self, reg: int, value: int):
        await self.axil.write_dword(int(reg), value & 0xFFFFFFFF)

    async def read(self, reg: int) -> int:
        return await self.axil.read_dword(int(reg))

    async def write_bytes(self, reg: int, offset: int, data: bytes):
        """A partial write to the register's (aligned) address: `data` into bytes offset.., WSTRB
        set for those bytes only. (cocotbext-axi's own byte writes put the byte address on AWADDR,
        which the slave does not decode: it compares whole register addresses.)"""
        wif = self.axil.write_if
        aw = wif.aw_channel._transaction_obj()
        aw.awaddr = int(reg)
        w = wif.w_channel._transaction_obj()
        w.wdata = int.from_bytes(data, "little") << 8 * offset
        w.wstrb = ((1 << len(data)) - 1) << offset
        await wif.aw_channel.send(aw)
        await wif.w_channel.send(w)
        b = await wif.b_channel.recv()
        assert int(b.bresp) == 0, f"partial write to {int(reg):#x}: BRESP {int(b.bresp)}"

    async def status(self) -> dict:
        names = ("cycles", "edges", "stalls", "rd_beats", "wr_beats", "error")
        regs = (Reg.STAT_CYCLES, Reg.STAT_EDGES, Reg.STAT_STALLS, Reg.STAT_RD_BEATS,
                Reg.STAT_WR_BEATS, Reg.STAT_ERROR)
        return {n: await self.read(r) for n, r in zip(names, regs)}

    # ------------------------------------------------------------------ one call
    def load(self, vec: Vector, write_error_window=(0, 0), error_resp: int = 2) -> tuple[dict, list[int]]:
        """Put the vector's DDR image in the memory model; returns (layout, pointers)."""
        layout, _ = vec.layout(self.hw)
        ptrs, image = vec.image(self.hw)
        readable = [(a, _round_up(n, BUFFER_ALIGN)) for name, (a, n) in layout.items() if name != "feat_out"]
        writable = [(a, _round_up(n, BUFFER_ALIGN)) for name, (a, n) in layout.items()
                    if name in ("feat_out", "acc_buf")]
        self.mem.load(DEFAULT_IMAGE_BASE, image, readable, writable, vec.axi_error, write_error_window,
                      error_resp)
        self.vec, self.image, self.layout = vec, image, layout
        return layout, ptrs

    async def program(self, vec: Vector, ptrs: list[int]):
        p = vec.problem
        for name, reg, value in zip(BUFFER_NAMES, (Reg.ROW_PTR, Reg.COL_IDX, Reg.EDGE_W, Reg.SRC_SCALE,
                                                   Reg.DST_SCALE, Reg.FEAT_IN, Reg.WEIGHT, Reg.FEAT_OUT,
                                                   Reg.ACC_BUF), ptrs):
            await self.write(reg, value)
            await self.write(reg + 4, value >> 32)
        for reg, value in ((Reg.N_DST, p.n_dst), (Reg.N_SRC, p.n_src), (Reg.N_EDGES, p.n_edges),
                           (Reg.FEAT_DIM, p.feat_dim), (Reg.MODE, p.mode), (Reg.N_PAIRS, p.n_pairs)):
            await self.write(reg, value)

    def cycle_budget(self, vec: Vector) -> int:
        p = vec.problem
        hw = self.hw
        f = max(p.feat_dim, hw.lanes)
        wpr = f // hw.lanes
        passes = hw.partitions(p.n_src, f) if f <= hw.max_feat else 1
        stall = 1 + 4 * self.pause
        work = (len(self.image) // hw.bus_bytes) * passes + p.n_edges * (wpr + f // 4) * passes \
            + p.n_dst * (f * wpr + 8 * wpr) + 64 * p.n_dst
        return int(20_000 + (self.latency + 8) * 64 + 4 * stall * work)

    async def enable_interrupt(self):
        await self.write(Reg.GIE, 1)
        await self.write(Reg.IER, int(Irq.DONE))

    async def wait_interrupt(self, cycles: int):
        if not self.dut.interrupt.value:
            await with_timeout(RisingEdge(self.dut.interrupt), cycles * CLOCK_NS, "ns")

    async def acknowledge(self):
        """Read CTRL (clears ap_done) and toggle ISR.done back to 0."""
        ctrl = await self.read(Reg.CTRL)
        isr = await self.read(Reg.ISR)
        await self.write(Reg.ISR, isr)
        return ctrl

    async def run(self, vec: Vector, write_error_window=(0, 0), error_resp: int = 2) -> Outcome:
        """One call with the interrupt line as completion signal; returns what came out."""
        _, ptrs = self.load(vec, write_error_window, error_resp)
        await self.program(vec, ptrs)
        await self.write(Reg.CTRL, int(Ctrl.AP_START))
        await self.wait_interrupt(self.cycle_budget(vec))
        ctrl = await self.acknowledge()
        assert ctrl & Ctrl.AP_DONE, f"{vec.name}: interrupt without ap_done (CTRL={ctrl:#x})"
        assert not self.dut.interrupt.value, "interrupt still high after ISR was cleared"
        st = await self.status()
        out = None
        if "feat_out" in self.layout:
            addr, nbytes = self.layout["feat_out"]
            out = self.feat_out(addr, nbytes, vec)
        return Outcome(st["error"], st, out)

    def feat_out(self, addr: int, nbytes: int, vec: Vector) -> np.ndarray:
        """feat_out as the build's FEAT integers [n_dst, feat_dim]."""
        return np.frombuffer(self.mem.read_bytes(addr, nbytes), dtype=feat_dtype(self.hw.feat_bits)).reshape(
            vec.problem.n_dst, vec.problem.feat_dim)

    def check(self, vec: Vector, res: Outcome, expect_error: int | None = None):
        """Bit-exact output, exact error code, containment, and status counters."""
        name = vec.name
        expect_error = vec.expect_error if expect_error is None else expect_error
        assert not self.mem.violations, f"{name}: memory violations: {self.mem.violations[:5]}"
        assert res.error == expect_error, f"{name}: stat_error {res.error:#x}, expected {expect_error:#x}"
        self.check_untouched(name)
        st = res.status
        assert st["rd_beats"] == self.mem.rd_beats, f"{name}: stat_rd_beats {st['rd_beats']} vs {self.mem.rd_beats}"
        assert st["wr_beats"] == self.mem.wr_beats, f"{name}: stat_wr_beats {st['wr_beats']} vs {self.mem.wr_beats}"
        if expect_error & PRE_MEMORY_ERRORS:
            assert self.mem.ar_count == 0 and self.mem.aw_count == 0, \
                f"{name}: {self.mem.ar_count} reads / {self.mem.aw_count} writes despite an argument error"
        if expect_error == 0:
            assert st["edges"] == vec.problem.n_edges, f"{name}: stat_edges {st['edges']}"
            if vec.problem.n_dst:
                diff = np.argwhere(res.feat_out != vec.expect)
                assert diff.size == 0, (f"{name}: {len(diff)} elements differ, first at {tuple(diff[0])}: "
                                        f"got {res.feat_out[tuple(diff[0])]}, want {vec.expect[tuple(diff[0])]}")

    def check_untouched(self, name: str):
        """Every image byte outside feat_out / acc_buf is what the vector put there."""
        bad = self.vec.changed_outside_outputs(self.mem.mem, self.hw, DEFAULT_IMAGE_BASE)
        assert bad.size == 0, f"{name}: {bad.size} bytes outside feat_out/acc_buf changed, first at {int(bad[0]):#x}"
