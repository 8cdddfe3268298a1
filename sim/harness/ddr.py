"""DDR realism for the simulation's memory models (the C++ harness and sim/cocotb/axi_memory.py):
refresh windows, row-buffer misses by address, and a competing master taking a share of the data
bus. Off by default (the "ideal" model: fixed latency, one beat per cycle); `realistic(board)`
gives a board's DDR part in the kernel's clock cycles.

Source figures (JEDEC speed bins, as in the Micron data sheets of the parts these boards carry):

| board | memory | tREFI | tRFC | tRCD = tRP | row (page) | banks |
|---|---|---|---|---|---|---|
| pynq-z2 | DDR3-1066 (7-7-7), one x16 4 Gb device (MT41K256M16), 16-bit bus | 7.8 us | 260 ns (4 Gb) | 13.125 ns | 2 KiB | 8 |
| kv260 | DDR4-2400 (17-17-17) on the K26 SOM, four x16 8 Gb devices (MT40A512M16), 64-bit bus | 7.8 us | 350 ns (8 Gb) | 14.16 ns | 8 KiB (4 x 2 KiB) | 8 (2 groups x 4) |

Model: every tREFI the data bus is busy for tRFC and all rows close; an access to a row other
than its bank's open one waits tRP + tRCD (precharge + activate) before its beat; address bits
map as row | bank | column (bank = (addr / page) % banks, row = addr / (page * banks)); the
competing master takes a random `contention` share of the data-bus cycles (DEFAULT_CONTENTION,
an assumed figure for the processor system's own traffic, not a measurement). Times become
cycles at the board build's clock (golden.builds), rounded up.
"""
from __future__ import annotations

import dataclasses
import math

DEFAULT_CONTENTION = 0.2


@dataclasses.dataclass(frozen=True)
class DdrPart:
    name: str
    t_refi_ns: float
    t_rfc_ns: float
    t_rcd_ns: float
    t_rp_ns: float
    page_bytes: int
    banks: int


PARTS = {
    "pynq-z2": DdrPart("DDR3-1066 7-7-7, x16 4 Gb (MT41K256M16), 16-bit", 7800, 260, 13.125, 13.125, 2048, 8),
    "kv260": DdrPart("DDR4-2400 17-17-17, 4 x16 8 Gb (MT40A512M16), 64-bit", 7800, 350, 14.16, 14.16, 8192, 8),
}
PARTS["zcu104"] = PARTS["kv260"]  # DDR4-2400 64-bit on the PS side as well


@dataclasses.dataclass(frozen=True)
class DdrModel:
    """DDR effects in kernel clock cycles (0 turns one off)."""
    refresh_interval: int = 0
    refresh_cycles: int = 0
    row_miss_cycles: int = 0
    page_bytes: int = 2048
    banks: int = 8
    contention: float = 0.0

    def __post_init__(self):
        if not 0 <= self.contention < 1:
            raise ValueError(f"contention must be a share of cycles in [0, 1), got {self.contention}")
        if self.refresh_cycles and self.refresh_cycles >= self.refresh_interval:
            raise ValueError(f"refresh_cycles {self.refresh_cycles} must be < refresh_interval {self.refresh_interval}")
        if self.page_bytes < 1 or self.banks < 1 or min(self.refresh_interval, self.refresh_cycles,
                                                        self.row_miss_cycles) < 0:
            raise ValueError(f"bad DDR model {self}")

    def harness_args(self) -> tuple[int, ...]:
        """gs_set_ddr's arguments before the backpressure and seed."""
        return (self.refresh_interval, self.refresh_cycles, self.row_miss_cycles, self.page_bytes,
                self.banks, round(1000 * self.contention))

    def describe(self) -> str:
        return (f"refresh {self.refresh_cycles}/{self.refresh_interval} cycles, row miss {self.row_miss_cycles} "
                f"cycles ({self.page_bytes} B rows, {self.banks} banks), contention {self.contention:.0%}")


def cycles(ns: float, mhz: float) -> int:
    return math.ceil(ns * mhz / 1000 - 1e-9)


def realistic(board: str, mhz: float | None = None, contention: float = DEFAULT_CONTENTION) -> DdrModel:
    """The DDR part of `board` at `mhz` (default: the board build's target clock)."""
    if board not in PARTS:
        raise ValueError(f"no DDR figures for board {board!r}; known: {sorted(PARTS)}")
    if mhz is None:
        from golden.builds import board_build
        mhz = float(board_build(board).clock_mhz)
    p = PARTS[board]
    return DdrModel(refresh_interval=cycles(p.t_refi_ns, mhz), refresh_cycles=cycles(p.t_rfc_ns, mhz),
                    row_miss_cycles=cycles(p.t_rp_ns + p.t_rcd_ns, mhz), page_bytes=p.page_bytes,
                    banks=p.banks, contention=contention)
