"""The one code path the sim and board backends share: buffer packing in the contract layout and
the register sequence of a call. Only the Transport underneath differs:

    Transport.allocate(nbytes)      -> DeviceBuffer (64-byte aligned, device_address, uint8 view)
    Transport.write_reg / read_reg  -- s_axi_control, 32-bit words
    Transport.wait_done(timeout_s)  -- True once the kernel raised ap_done (interrupt or polling)
    Transport.reset()               -- bring a hung kernel back to idle

One call (DeviceBackend.execute) is, in this order:

    read CTRL (must be idle; the read clears a stale ap_done), read ISR (clear a stale done)
    write the 9 pointers (low word, high word) and the 5 scalars, contract order
    write TIMEOUT = axi_timeout_cycles (the RTL kernel's AXI response time-out; the HLS kernel
        has nothing at 0xFC: its s_axilite adapter ignores the write, answers OKAY, reads 0)
    write GIE = 1, IER = done, CTRL = ap_start
    wait for done (TimeoutError after reset when it does not come)
    read CTRL (clears ap_done), read ISR and write ISR = done when set (toggles it to 0)
    read the 6 status registers; stat_error != 0 -> DeviceError
"""
from __future__ import annotations

import abc
import time

import numpy as np

from golden.contract import (BUFFER_ALIGN, BUFFER_NAMES, BUFFER_REG, HW_MAGIC, SCALAR_REGS,
                             STATUS_REGS, Ctrl, HwConfig, Irq, Mode, Problem, Reg)
from golden.vectors import feat_dtype

from ..types import DeviceError, GraphArrays, LayerCall, RunStatus, TiledArrays

GRAPH_BUFFERS = ("row_ptr", "col_idx", "edge_w", "src_scale", "dst_scale")
#: what a tiled layout replaces (row_ptr holds the tile pairs); src_scale, dst_scale stay the CSR's
TILED_BUFFERS = {"row_ptr": "pairs", "col_idx": "col_idx", "edge_w": "edge_w"}
CALL_BUFFERS = ("feat_in", "weight", "feat_out", "acc_buf")
# far above any gap between two beats of a working memory path (DDR refresh, contention: hundreds
# of cycles), far below the wall-clock timeout_s at any clock of the builds (~10 ms at 100 MHz)
DEFAULT_AXI_TIMEOUT_CYCLES = 1 << 20


class DeviceBuffer(abc.ABC):
    """Memory the kernel can reach: `view` is the host's uint8 window on it."""

    device_address: int
    nbytes: int
    view: np.ndarray

    @abc.abstractmethod
    def sync_to_device(self) -> None: ...

    @abc.abstractmethod
    def sync_from_device(self) -> None: ...

    @abc.abstractmethod
    def free(self) -> None: ...


class Transport(abc.ABC):
    """How registers and memory are reached: a PYNQ overlay, or the Verilator harness."""

    @abc.abstractmethod
    def allocate(self, nbytes: int) -> DeviceBuffer: ...

    @abc.abstractmethod
    def write_reg(self, offset: int, value: int) -> None: ...

    @abc.abstractmethod
    def read_reg(self, offset: int) -> int: ...

    @abc.abstractmethod
    def wait_done(self, timeout_s: float) -> bool: ...

    @abc.abstractmethod
    def reset(self) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def expect_writes(self, windows: list[tuple[int, int]]) -> None:
        """The (address, bytes) windows the next call may write; a transport that can check
        (the sim) reports writes elsewhere, others ignore this."""


def poll_done(transport: Transport, timeout_s: float, interval_s: float = 0.0) -> bool:
    """Wait for CTRL.ap_done by polling (reading CTRL clears ap_done, so call this once)."""
    deadline = time.monotonic() + timeout_s
    while True:
        if transport.read_reg(Reg.CTRL) & Ctrl.AP_DONE:
            return True
        if time.monotonic() > deadline:
            return False
        if interval_s:
            time.sleep(interval_s)


def read_hw_config(transport: Transport) -> HwConfig:
    """The build's parameters and number formats from the hw_* registers (after checking
    hw_magic); a build whose formats this driver cannot pack raises RuntimeError."""
    magic = transport.read_reg(Reg.HW_MAGIC)
    if magic != HW_MAGIC:
        raise RuntimeError(f"no gnn_agg (contract v1) behind this transport: hw_magic=0x{magic:08x}, "
                           f"expected 0x{HW_MAGIC:08x}")
    params = transport.read_reg(Reg.HW_PARAMS)
    formats_word = transport.read_reg(Reg.HW_FORMATS)
    try:
        return HwConfig(bus_bits=8 * (params & 0xFF), lanes=(params >> 8) & 0xFF, pes=(params >> 16) & 0xFF,
                        max_feat=transport.read_reg(Reg.HW_MAX_FEAT),
                        table_elems=transport.read_reg(Reg.HW_TABLE_ELEMS),
                        **HwConfig.formats_from_word(formats_word))
    except ValueError as e:
        raise RuntimeError(f"the gnn_agg build reports hw_params=0x{params:08x}, hw_formats=0x{formats_word:08x}, "
                           f"which this driver does not handle: {e}") from e


def check_axi_timeout_cycles(cycles: int) -> int:
    if isinstance(cycles, bool) or not isinstance(cycles, (int, np.integer)) or not 0 <= cycles < 1 << 32:
        raise ValueError(f"axi_timeout_cycles must be an integer in [0, 2**32) (0: no time-out), got {cycles!r}")
    return int(cycles)


def execute(t: Transport, pointers: dict[str, int], p: Problem, timeout_s: float,
            axi_timeout_cycles: int = DEFAULT_AXI_TIMEOUT_CYCLES) -> RunStatus:
    """The register sequence of one call (module docstring) on transport `t`; pointers of unused
    buffers (absent from `pointers`) are written as 0. Every caller that starts the kernel uses
    this: the backends, the RTL cycle benchmark and the harness tests."""
    ctrl = t.read_reg(Reg.CTRL)
    if not ctrl & Ctrl.AP_IDLE:
        raise RuntimeError(f"gnn_agg is not idle (CTRL=0x{ctrl:x}); is another process using it?")
    if t.read_reg(Reg.ISR) & Irq.DONE:  # left over from a call that ended abnormally
        t.write_reg(Reg.ISR, Irq.DONE)
    for name in BUFFER_NAMES:
        addr = pointers.get(name, 0)
        t.write_reg(BUFFER_REG[name], addr & 0xFFFFFFFF)
        t.write_reg(BUFFER_REG[name] + 4, addr >> 32)
    for reg, value in zip(SCALAR_REGS, (p.n_dst, p.n_src, p.n_edges, p.feat_dim, p.mode)):
        t.write_reg(reg, value)
    if p.mode & Mode.TILED:
        t.write_reg(Reg.N_PAIRS, p.n_pairs)
    t.write_reg(Reg.TIMEOUT, axi_timeout_cycles)
    t.write_reg(Reg.GIE, 1)
    t.write_reg(Reg.IER, Irq.DONE)
    t.write_reg(Reg.CTRL, Ctrl.AP_START)
    if not t.wait_done(timeout_s):
        t.reset()
        raise TimeoutError(f"gnn_agg did not finish within {timeout_s} s "
                           f"(n_edges={p.n_edges}, feat_dim={p.feat_dim}); it was reset")
    t.read_reg(Reg.CTRL)
    # clear only the bit this driver enabled (whether ISR.ready is set without IER.ready
    # differs between builds; it never raises the line while IER.ready is 0)
    if t.read_reg(Reg.ISR) & Irq.DONE:
        t.write_reg(Reg.ISR, Irq.DONE)
    values = [t.read_reg(reg) for reg in STATUS_REGS]
    return RunStatus(*values)


class DeviceGraph(dict):
    """A graph's device buffers: the CSR's by name, and `tiled`, the buffers of each tiled layout
    uploaded so far (by table rows R: row_ptr = the pairs, col_idx, edge_w)."""

    def __init__(self):
        super().__init__()
        self.tiled: dict[int, dict[str, DeviceBuffer]] = {}


class DeviceBackend:
    """Accelerator backend over a Transport: uploads graphs once (and each tiled layout of a
    graph once, on its first TILED call), keeps one set of per-call buffers (feat_in, weight,
    feat_out, acc_buf) that grows when a call needs more, and runs the register sequence.
    `axi_timeout_cycles` is written to TIMEOUT at every call (0: none)."""

    tiled_by_default = True

    def __init__(self, transport: Transport, hw: HwConfig | None, timeout_s: float,
                 axi_timeout_cycles: int = DEFAULT_AXI_TIMEOUT_CYCLES):
        self.transport = transport
        try:
            self.axi_timeout_cycles = check_axi_timeout_cycles(axi_timeout_cycles)
            found = read_hw_config(transport)
            if hw is not None and hw != found:
                raise ValueError(f"the hardware reports {found}, not the requested {hw}")
        except BaseException:
            transport.close()
            raise
        self.hw = found
        self.timeout_s = timeout_s
        self._scratch: dict[str, DeviceBuffer] = {}

    # -- buffers ----------------------------------------------------------------------------
    def _allocate(self, nbytes: int) -> DeviceBuffer:
        # an empty buffer still gets an address: a used pointer must never be 0
        buf = self.transport.allocate(max(nbytes, BUFFER_ALIGN))
        if buf.device_address % BUFFER_ALIGN:
            raise RuntimeError(f"transport returned a buffer at 0x{buf.device_address:x}, "
                               f"not {BUFFER_ALIGN}-byte aligned")
        return buf

    def _upload_arrays(self, arrays: dict[str, np.ndarray | None]) -> dict[str, DeviceBuffer]:
        buffers = {}
        try:
            for name, a in arrays.items():
                if a is None:
                    continue
                buf = self._allocate(a.nbytes)
                buf.view[:a.nbytes] = a.reshape(-1).view(np.uint8)
                buf.sync_to_device()
                buffers[name] = buf
        except BaseException:
            for buf in buffers.values():
                buf.free()
            raise
        return buffers

    def upload_graph(self, graph: GraphArrays) -> DeviceGraph:
        buffers = DeviceGraph()
        buffers.update(self._upload_arrays({name: getattr(graph, name) for name in GRAPH_BUFFERS}))
        return buffers

    def upload_tiled(self, buffers: DeviceGraph, layout: TiledArrays) -> dict[str, DeviceBuffer]:
        """The device buffers of a graph's tiled layout, uploaded on the first call for its R."""
        tiles = buffers.tiled.get(layout.rows_per_part)
        if tiles is None:
            tiles = buffers.tiled[layout.rows_per_part] = self._upload_arrays(
                {name: getattr(layout, field) for name, field in TILED_BUFFERS.items()})
        return tiles

    def release_graph(self, buffers: DeviceGraph) -> None:
        for tiles in buffers.tiled.values():
            for buf in tiles.values():
                buf.free()
        buffers.tiled.clear()
        for buf in buffers.values():
            buf.free()
        buffers.clear()

    def upload_features(self, x: np.ndarray) -> DeviceBuffer:
        buf = self._allocate(x.nbytes)
        buf.view[:x.nbytes] = x.reshape(-1).view(np.uint8)
        buf.sync_to_device()
        return buf

    def release_features(self, buf: DeviceBuffer) -> None:
        buf.free()

    def _scratch_buffer(self, name: str, nbytes: int) -> DeviceBuffer:
        buf = self._scratch.get(name)
        if buf is None or buf.nbytes < nbytes:
            if buf is not None:
                buf.free()
                del self._scratch[name]
            buf = self._scratch[name] = self._allocate(nbytes)
        return buf

    # -- one call ---------------------------------------------------------------------------
    def run(self, graph_buffers: DeviceGraph, graph: GraphArrays, call: LayerCall) -> tuple[np.ndarray, RunStatus]:
        p = call.problem
        sizes = p.buffer_bytes(self.hw)
        if p.mode & Mode.TILED:
            graph_buffers = {**graph_buffers, **self.upload_tiled(graph_buffers, call.tiled)}
        buffers = {name: graph_buffers[name] for name in GRAPH_BUFFERS if name in sizes}
        resident = call.feat_state is not None  # feat_in uploaded once by load_features
        for name in CALL_BUFFERS:
            if name in sizes:
                buffers[name] = call.feat_state if resident and name == "feat_in" else \
                    self._scratch_buffer(name, sizes[name])
        for name, a in (("feat_in", None if resident else call.feat_in), ("weight", call.weight)):
            if name in sizes and a is not None:
                buffers[name].view[:a.nbytes] = a.reshape(-1).view(np.uint8)
                buffers[name].sync_to_device()
        pointers = {name: buffers[name].device_address for name in buffers}
        self.transport.expect_writes([(pointers[n], sizes[n]) for n in ("feat_out", "acc_buf") if n in sizes])
        status = self.execute(pointers, p)
        if status.error:
            raise DeviceError(status.error, f"n_dst={p.n_dst} n_src={p.n_src} n_edges={p.n_edges} "
                                            f"feat_dim={p.feat_dim} mode=0x{p.mode:x}", status,
                              axi_timeout_cycles=self.axi_timeout_cycles)
        out = buffers["feat_out"]
        out.sync_from_device()
        y = out.view[:sizes["feat_out"]].view(feat_dtype(self.hw.feat_bits)).reshape(p.n_dst, p.feat_dim).copy()
        return y, status

    def execute(self, pointers: dict[str, int], p: Problem) -> RunStatus:
        return execute(self.transport, pointers, p, self.timeout_s, self.axi_timeout_cycles)

    def release_call_buffers(self) -> None:
        """Free the per-call buffers (the next call allocates them again)."""
        for buf in self._scratch.values():
            buf.free()
        self._scratch.clear()

    def close(self) -> None:
        self.release_call_buffers()
        self.transport.close()


class Arena:
    """First-fit allocator over one contiguous device window [base, base + size), aligned
    blocks, neighbours merged on free (the sim's DDR; PYNQ has its own allocator)."""

    def __init__(self, base: int, size: int, align: int = BUFFER_ALIGN):
        if base % align:
            raise ValueError(f"arena base 0x{base:x} is not {align}-byte aligned")
        self.base, self.size, self.align = base, size, align
        self._free = [(base, size)]  # sorted (address, bytes)

    def allocate(self, nbytes: int) -> int:
        need = -(-nbytes // self.align) * self.align
        for i, (addr, size) in enumerate(self._free):
            if size >= need:
                if size == need:
                    del self._free[i]
                else:
                    self._free[i] = (addr + need, size - need)
                return addr
        raise ValueError(f"device memory exhausted: {nbytes} bytes requested, largest free block "
                         f"{max((s for _, s in self._free), default=0)} of {self.size}")

    def free(self, addr: int, nbytes: int) -> None:
        size = -(-nbytes // self.align) * self.align
        blocks = sorted(self._free + [(addr, size)])
        merged = [blocks[0]]
        for a, s in blocks[1:]:
            la, ls = merged[-1]
            if la + ls == a:
                merged[-1] = (la, ls + s)
            else:
                merged.append((a, s))
        self._free = merged

    @property
    def free_bytes(self) -> int:
        return sum(s for _, s in self._free)
