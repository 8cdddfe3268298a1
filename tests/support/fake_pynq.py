"""A stand-in for the `pynq` package (not installed off-board) for tests/driver/test_board.py:
Overlay, DefaultIP with bindto registration, allocate() buffers with device addresses, and a
fake kernel behind the registers that computes with golden.hw_model and records every write.
Buffers come from host.driver.backends.device.Arena at the sim's default base, so a board run and a
sim run of the same calls use the same addresses."""
from __future__ import annotations

import types

import numpy as np

from golden.contract import (BUFFER_REG, SCALAR_REGS, VLNV, Ctrl, HwConfig, Irq,
                             Mode, Reg)
from golden.hw_model import gnn_agg
from golden.vectors import feat_dtype
from host.driver.backends.device import Arena

MEM_BASE = 0x1000_0000


class FakeKernel:
    """Registers per docs/CONTRACT.md; ap_start computes with the golden model at once (or
    never, when `hang`); `force_error` is ORed into stat_error."""

    def __init__(self, hw: HwConfig, buffers: dict):
        self.hw, self.buffers = hw, buffers
        self.formats_word = hw.hw_formats_word  # what HW_FORMATS reads (a test may change it)
        self.regs = {}
        self.writes: list[tuple[int, int]] = []
        self.hang = False
        self.force_error = 0
        self.done = False
        self.isr = 0
        self.starts = 0

    def write(self, offset: int, value: int):
        self.writes.append((offset, value))
        if offset == Reg.CTRL and value & Ctrl.AP_START:
            self.starts += 1
            if not self.hang:
                self._run()
        elif offset == Reg.ISR:
            self.isr ^= value
        else:
            self.regs[offset] = value

    def read(self, offset: int) -> int:
        if offset == Reg.CTRL:
            value = (Ctrl.AP_DONE if self.done else 0) | (0 if self.hang and self.starts else Ctrl.AP_IDLE)
            self.done = False
            return int(value)
        if offset == Reg.ISR:
            return self.isr
        hw = self.hw
        fixed = {Reg.HW_MAGIC: 0x474E4101, Reg.HW_PARAMS: hw.hw_params_word,
                 Reg.HW_MAX_FEAT: hw.max_feat, Reg.HW_TABLE_ELEMS: hw.table_elems,
                 Reg.HW_FORMATS: self.formats_word}
        return fixed.get(offset, self.regs.get(offset, 0))

    def _array(self, name, dtype, count):
        addr = self.regs.get(BUFFER_REG[name], 0) | self.regs.get(BUFFER_REG[name] + 4, 0) << 32
        buf = self.buffers[addr]
        return np.asarray(buf.device_copy[:np.dtype(dtype).itemsize * count]).view(dtype)

    def _run(self):
        n_dst, n_src, n_edges, feat_dim, mode = (self.regs[r] for r in SCALAR_REGS)
        get = self._array
        feat = feat_dtype(self.hw.feat_bits)
        y = gnn_agg(get("row_ptr", "<u4", n_dst + 1),
                    get("col_idx", "<u2" if mode & Mode.IDX16 else "<u4", n_edges),
                    get("feat_in", feat, n_src * feat_dim).reshape(n_src, feat_dim), n_src=n_src,
                    mode=mode,
                    src_scale=get("src_scale", "<u2", n_src) if mode & Mode.PRE_SCALE else None,
                    dst_scale=get("dst_scale", "<u2", n_dst) if mode & Mode.POST_SCALE else None,
                    edge_w=get("edge_w", "<u2", n_edges) if mode & Mode.EDGE_WEIGHT else None,
                    weight=get("weight", feat, feat_dim * feat_dim).reshape(feat_dim, feat_dim)
                    if mode & Mode.APPLY_W else None, hw=self.hw)
        out = get("feat_out", feat, n_dst * feat_dim)
        out[:] = y.ravel()
        for reg, v in zip((Reg.STAT_CYCLES, Reg.STAT_EDGES, Reg.STAT_ERROR), (0, n_edges, self.force_error)):
            self.regs[reg] = v
        self.done = True
        if self.regs.get(Reg.IER, 0) & Irq.DONE:
            self.isr |= Irq.DONE


def make_fake_pynq(hw: HwConfig, with_interrupt: bool = False) -> types.ModuleType:
    """A fresh fake `pynq` module; `module.kernel` is the FakeKernel behind the overlay."""
    pynq = types.ModuleType("pynq")
    arena = Arena(MEM_BASE, 64 << 20)
    buffers: dict[int, object] = {}
    kernel = FakeKernel(hw, buffers)
    drivers = {}
    pynq.kernel = kernel
    pynq.downloads = 0

    class Buffer(np.ndarray):
        """Host array plus a separate device copy: forgetting a sync is visible."""

        def sync_to_device(self):
            self.device_copy[:] = self

        def sync_from_device(self):
            self[:] = self.device_copy

        def freebuffer(self):
            del buffers[self.device_address]
            arena.free(self.device_address, self.nbytes)

    def allocate(shape, dtype):
        buf = np.zeros(shape, dtype).view(Buffer)
        buf.device_address = arena.allocate(buf.nbytes)
        buf.device_copy = np.zeros(shape, dtype)
        buffers[buf.device_address] = buf
        return buf

    class DefaultIP:
        def __init_subclass__(cls, **kw):
            super().__init_subclass__(**kw)
            for vlnv in getattr(cls, "bindto", []):
                drivers[vlnv] = cls

        def __init__(self, description):
            self.description = description
            if with_interrupt:
                self.interrupt = Interrupt()

        def write(self, offset, value):
            kernel.write(offset, value)

        def read(self, offset):
            return kernel.read(offset)

    class Interrupt:
        async def wait(self):
            import asyncio
            while not kernel.isr:
                await asyncio.sleep(0.001)

    class Overlay:
        def __init__(self, bitfile):
            self.bitfile = bitfile
            self.ip_dict = {"gnn_agg_0": {"type": VLNV}, "axi_intc_0": {"type": "xilinx.com:ip:axi_intc:4.1"}}
            self.gnn_agg_0 = drivers[VLNV](self.ip_dict["gnn_agg_0"])

        def download(self):
            pynq.downloads += 1
            kernel.hang = False
            kernel.starts = 0

    pynq.DefaultIP, pynq.Overlay, pynq.allocate = DefaultIP, Overlay, allocate
    return pynq
