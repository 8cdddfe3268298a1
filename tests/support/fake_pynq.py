"""A stand-in for the `pynq` package (not installed off-board) for tests/driver/test_board.py:
Overlay, DefaultIP with bindto registration, allocate() buffers with device addresses, and a
fake kernel behind the registers that computes with golden.hw_model and records every write (a
TILED call is decoded back to its CSR, golden.graph.TiledLayout checking the pairs).
Buffers come from host.driver.backends.device.Arena at the sim's default base, so a board run and a
sim run of the same calls use the same addresses."""
from __future__ import annotations

import types

import numpy as np

from golden.contract import (BUFFER_REG, SCALAR_REGS, VLNV, Ctrl, HwConfig, Irq,
                             Mode, Reg)
from golden.graph import TiledLayout
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
        edge_w = get("edge_w", "<u2", n_edges) if mode & Mode.EDGE_WEIGHT else None
        if mode & Mode.TILED:
            row_ptr, col_idx, edge_w = self._untile(n_dst, n_src, n_edges, feat_dim, edge_w)
            mode &= ~Mode.TILED
        else:
            row_ptr = get("row_ptr", "<u4", n_dst + 1)
            col_idx = get("col_idx", "<u2" if mode & Mode.IDX16 else "<u4", n_edges)
        y = gnn_agg(row_ptr, col_idx,
                    get("feat_in", feat, n_src * feat_dim).reshape(n_src, feat_dim), n_src=n_src,
                    mode=mode,
                    src_scale=get("src_scale", "<u2", n_src) if mode & Mode.PRE_SCALE else None,
                    dst_scale=get("dst_scale", "<u2", n_dst) if mode & Mode.POST_SCALE else None,
                    edge_w=edge_w,
                    weight=get("weight", feat, feat_dim * feat_dim).reshape(feat_dim, feat_dim)
                    if mode & Mode.APPLY_W else None, hw=self.hw)
        out = get("feat_out", feat, n_dst * feat_dim)
        out[:] = y.ravel()
        for reg, v in zip((Reg.STAT_CYCLES, Reg.STAT_EDGES, Reg.STAT_ERROR), (0, n_edges, self.force_error)):
            self.regs[reg] = v
        self.done = True
        if self.regs.get(Reg.IER, 0) & Irq.DONE:
            self.isr |= Irq.DONE

    def _untile(self, n_dst, n_src, n_edges, feat_dim, edge_w):
        """The CSR (and its edge_w) a TILED call's buffers encode, rows in tiled edge order."""
        pairs = self._array("row_ptr", "<u4", 2 * self.regs.get(Reg.N_PAIRS, 0)).reshape(-1, 2)
        local = self._array("col_idx", "<u2", n_edges)
        rows = self.hw.table_rows(feat_dim)
        layout = TiledLayout(pairs.copy(), local.copy(), np.arange(n_edges), rows, n_dst, n_src)
        dst, src = [], []
        for part, v, _, _, starts, ends in layout.tiles():
            dst.append(np.repeat(v, ends - starts))
            src.append(local[starts[0]:ends[-1]].astype(np.int64) + part * rows if len(v) else
                       np.zeros(0, np.int64))
        dst, src = np.concatenate(dst), np.concatenate(src)
        order = np.argsort(dst, kind="stable")
        row_ptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=n_dst))])
        return row_ptr, src[order], None if edge_w is None else edge_w[order]


#: Where the two PYNQ APIs the boards run differ (from the 3.1.2 and 4.0.0 sources): 4.0 (KV260,
#: ZCU104) moved the metadata parser to the separate `pynqmetadata` package, sets PL clocks by
#: frequency (Clocks.set_pl_clk(i, clk_mhz=)) where 3.1 (PYNQ-Z2) takes divisors, adds Versal
#: devices (.pdi images) and no longer closes the device in Overlay.free(). The calls the board
#: backend makes (allocate, sync_*, freebuffer, device_address, DefaultIP.read/write, ip_dict,
#: download, Interrupt.wait) are the same in both; each stand-in has only its own version's API.
PYNQ_APIS = ("3.1", "4.0")


def make_fake_pynq(hw: HwConfig, with_interrupt: bool = False, api: str = "3.1",
                   interrupt_fails: bool = False) -> types.ModuleType:
    """A fresh fake `pynq` module of PYNQ `api` ("3.1" or "4.0"); `module.kernel` is the
    FakeKernel behind the overlay. Drivers are assigned when an Overlay is parsed, as PYNQ does:
    an Overlay made before a DefaultIP subclass with `bindto` exists gets a plain DefaultIP.
    `interrupt_fails`: the IP's interrupt attribute is None, as PYNQ leaves it (with a warning)
    when it cannot create the interrupt."""
    if api not in PYNQ_APIS:
        raise ValueError(f"api must be one of {PYNQ_APIS}")
    pynq = types.ModuleType("pynq")
    pynq.__version__ = {"3.1": "3.1.2", "4.0": "4.0.0"}[api]
    arena = Arena(MEM_BASE, 64 << 20)
    buffers: dict[int, object] = {}
    kernel = FakeKernel(hw, buffers)
    drivers = {}
    pynq.kernel = kernel
    pynq.downloads = 0
    pynq.drivers = drivers

    class Buffer(np.ndarray):
        """Host array plus a separate device copy: forgetting a sync is visible."""

        def sync_to_device(self):
            self.device_copy[:] = self

        def sync_from_device(self):
            self[:] = self.device_copy

        def freebuffer(self):
            del buffers[self.device_address]
            arena.free(self.device_address, self.nbytes)

        @property
        def physical_address(self):
            return self.device_address

    def allocate(shape, dtype="u4", target=None, **kwargs):
        buf = np.zeros(shape, dtype).view(Buffer)
        buf.device_address = arena.allocate(buf.nbytes)
        buf.device_copy = np.zeros(shape, dtype)
        buffers[buf.device_address] = buf
        return buf

    class Device:
        devices = [object()]
        active_device = devices[0]
        closed = 0

        @classmethod
        def close(cls):
            cls.closed += 1

    class DefaultIP:
        def __init_subclass__(cls, **kw):
            super().__init_subclass__(**kw)
            for vlnv in getattr(cls, "bindto", []):
                drivers[vlnv] = cls
                drivers[vlnv.rpartition(":")[0]] = cls

        def __init__(self, description):
            self.description = description
            self.device = description.get("device")
            for pin in description.get("interrupts", {}):
                setattr(self, pin, None if interrupt_fails else Interrupt())

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
        """Parses its (fixed) design at construction: each IP's driver is the class registered for
        its VLNV *now*; instances are made on first attribute access, as PYNQ's _ip_map does."""

        def __init__(self, bitfile, download=True, ignore_version=False, device=None):
            self.bitfile_name = bitfile
            self.device = device or Device.active_device
            gnn = {"type": VLNV, "fullpath": "gnn_agg_0", "phys_addr": 0xA000_0000, "addr_range": 0x1_0000,
                   "interrupts": {"interrupt": {"fullpath": "gnn_agg_0/interrupt"}} if with_interrupt else {}}
            intc = {"type": "xilinx.com:ip:axi_intc:4.1", "fullpath": "axi_intc_0", "interrupts": {}}
            self.ip_dict = {"gnn_agg_0": gnn, "axi_intc_0": intc}
            for details in self.ip_dict.values():
                details["device"] = self.device
                details["driver"] = drivers.get(details["type"], DefaultIP)
            self._ip_map = {}
            if download:
                self.download()

        def __getattr__(self, name):
            ip_dict = self.__dict__.get("ip_dict", {})
            if name not in ip_dict:
                raise AttributeError(name)
            if name not in self._ip_map:
                self._ip_map[name] = ip_dict[name]["driver"](ip_dict[name])
            return self._ip_map[name]

        def download(self):
            pynq.downloads += 1
            kernel.hang = False
            kernel.starts = 0

        def free(self):
            if api == "3.1":  # 4.0 no longer closes the device here
                Device.close()

    class Clocks:
        fclk0_mhz = 100.0

        @classmethod
        def set_pl_clk(cls, clk_idx, *args, **kwargs):
            if api == "3.1":
                div0, div1 = (list(args) + [kwargs.get("div0"), kwargs.get("div1")])[:2]
                if "clk_mhz" in kwargs:
                    raise TypeError("set_pl_clk() got an unexpected keyword argument 'clk_mhz'")
            else:
                if args or "div0" in kwargs:
                    raise TypeError("PYNQ 4.0 sets PL clocks by clk_mhz=")
                cls.fclk0_mhz = float(kwargs["clk_mhz"])

    pynq.DefaultIP, pynq.Overlay, pynq.allocate = DefaultIP, Overlay, allocate
    pynq.Device, pynq.Clocks = Device, Clocks
    if api == "4.0":
        pynq.pynqmetadata = types.ModuleType("pynqmetadata")  # separate package in 4.0
    return pynq
