"""The board backend: the kernel in a PYNQ overlay on a Zynq board.

    acc = Accelerator("board", bitfile="gnn_agg.bit")   # the .hwh next to it describes the design

`pynq` is imported here and nowhere else (install the `board` extra on the board; PYNQ 4.0 pins
numpy<2). The kernel is found through its VLNV (golden.contract.VLNV): GnnAggIP below is the
DefaultIP subclass the overlay binds to it. PYNQ >= 3.1 has no DefaultIP.call/start, so the
registers are written by host/driver/backends/device.py, the same sequence the sim backend runs.
Completion comes by interrupt when the overlay routes the kernel's `interrupt` pin (PYNQ then
gives the IP an `interrupt` attribute), else by polling CTRL.ap_done. A run that does not finish
within `timeout_s` raises TimeoutError after the bitstream is downloaded again, which resets
the kernel (buffers in the contiguous memory survive).

Options: bitfile (path of the .bit, or a folder holding gnn_agg.bit), or overlay (an already
loaded pynq.Overlay), or neither: host/overlays/<board>/gnn_agg.bit, then the installed
gnn_agg_overlay package (host/driver/overlays.py; board= names the board, default $BOARD, which
PYNQ's images set); ip_name (when the overlay holds several gnn_agg instances); timeout_s=10;
poll_interval_s=0; axi_timeout_cycles=2**20 (written to TIMEOUT at every call, 0: none; an HLS
build ignores it, see device.py).

Import order does not matter: PYNQ assigns drivers when an Overlay is parsed, so an Overlay made
before this module was imported has a plain DefaultIP for the kernel. The kernel is found by its
VLNV in `overlay.ip_dict` either way and, when PYNQ did not bind GnnAggIP, wrapped in it from its
ip_dict entry (the same MMIO window and interrupt pins). The calls used here (allocate,
sync_to_device/sync_from_device, freebuffer, device_address, DefaultIP.read/write, ip_dict,
Overlay.download, Interrupt.wait) are the same in PYNQ 3.1 (PYNQ-Z2) and 4.0 (KV260, ZCU104);
tests/driver/test_board.py runs against a stand-in of each.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pynq

from golden.contract import VLNV, HwConfig

from ..overlays import find_bitfile
from .device import DEFAULT_AXI_TIMEOUT_CYCLES, DeviceBackend, DeviceBuffer, Transport, poll_done


class GnnAggIP(pynq.DefaultIP):
    """PYNQ driver binding for the gnn_agg kernel (register access only; the sequence of a
    call lives in host/driver/backends/device.py)."""

    bindto = [VLNV]


def bind(overlay, name: str) -> GnnAggIP:
    """The driver of IP `name`: PYNQ's own when it bound GnnAggIP at parse time, else GnnAggIP
    made from the IP's ip_dict entry (an Overlay parsed before this module was imported, or one
    whose driver table another GnnAggIP class -- a re-imported module -- registered)."""
    ip = getattr(overlay, name)
    if isinstance(ip, GnnAggIP):
        return ip
    return GnnAggIP(overlay.ip_dict[name])


class PynqBuffer(DeviceBuffer):
    def __init__(self, nbytes: int):
        self._buf = pynq.allocate(shape=(nbytes,), dtype=np.uint8)
        self.view = self._buf
        self.nbytes = nbytes
        self.device_address = int(self._buf.device_address)

    def sync_to_device(self) -> None:
        self._buf.sync_to_device()

    def sync_from_device(self) -> None:
        self._buf.sync_from_device()

    def free(self) -> None:
        if self._buf is not None:
            self._buf.freebuffer()
            self._buf = self.view = None


class BoardTransport(Transport):
    def __init__(self, bitfile: str | None = None, overlay=None, ip_name: str | None = None,
                 poll_interval_s: float = 0.0, board: str | None = None):
        if bitfile is not None and overlay is not None:
            raise ValueError("give one of bitfile= (path of the .bit) or overlay= (a pynq.Overlay), not both")
        if overlay is None:
            if bitfile is None:
                bitfile = find_bitfile(board)
            elif Path(bitfile).is_dir():
                bitfile = Path(bitfile) / "gnn_agg.bit"
            self.bitfile = str(bitfile)
            overlay = pynq.Overlay(self.bitfile)  # GnnAggIP is registered: PYNQ binds it here
        else:
            self.bitfile = getattr(overlay, "bitfile_name", None)
        self.overlay = overlay
        self.pynq_version = getattr(pynq, "__version__", "unknown")
        names = [name for name, d in self.overlay.ip_dict.items() if d.get("type") == VLNV]
        if ip_name is not None:
            if ip_name not in names:
                raise ValueError(f"{ip_name!r} is not a {VLNV} in this overlay (found {names})")
            names = [ip_name]
        if len(names) != 1:
            raise ValueError(f"expected one {VLNV} instance in the overlay, found {names}; pass ip_name=")
        self.ip_name = names[0]
        self.ip = bind(self.overlay, names[0])
        self.poll_interval_s = poll_interval_s
        # PYNQ sets the attribute to None when it could not create the interrupt (a warning)
        self.uses_interrupt = getattr(self.ip, "interrupt", None) is not None
        self._loop = asyncio.new_event_loop() if self.uses_interrupt else None

    def allocate(self, nbytes: int) -> PynqBuffer:
        return PynqBuffer(nbytes)

    def write_reg(self, offset: int, value: int) -> None:
        self.ip.write(int(offset), int(value))

    def read_reg(self, offset: int) -> int:
        return int(self.ip.read(int(offset)))

    def wait_done(self, timeout_s: float) -> bool:
        if not self.uses_interrupt:
            return poll_done(self, timeout_s, self.poll_interval_s)
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(asyncio.wait_for(self.ip.interrupt.wait(), timeout_s))
        except asyncio.TimeoutError:
            return False
        return True

    def reset(self) -> None:
        self.overlay.download()

    def close(self) -> None:
        if self._loop is not None:
            self._loop.close()
            self._loop = None


def open_board(hw: HwConfig | None, *, timeout_s: float = 10.0,
               axi_timeout_cycles: int = DEFAULT_AXI_TIMEOUT_CYCLES, **options) -> DeviceBackend:
    try:
        transport = BoardTransport(**options)
    except RuntimeError as e:
        if "No Devices Found" in str(e):
            raise RuntimeError("the board backend found no PYNQ device on this machine (pynq says "
                               "'No Devices Found'); use backend='sim' or 'cpu' here") from e
        raise
    return DeviceBackend(transport, hw, timeout_s, axi_timeout_cycles)
