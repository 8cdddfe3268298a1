"""Shared pieces of the leaf-module cocotb tests (sim/cocotb/test_gnn_agg_<module>.py).

Environment (set by the pytest wrappers in tests/rtl/test_gnn_agg_<module>.py):
    LEAF_SEED   seed of the test's random.Random (default 1)
    LEAF_N      how many random cases or commands a test runs (each test has its default)

Timing convention: inputs change at the falling edge; `settle()` (ReadOnly) then shows the
combinational outputs for those inputs, and the rising edge that follows is when the module acts
on them. So a handshake seen as valid and ready after settle() completes at the next rising edge.
"""
from __future__ import annotations

import os
import random

from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly


def rng() -> random.Random:
    return random.Random(int(os.environ.get("LEAF_SEED", "1")))


def n_cases(default: int) -> int:
    return int(os.environ.get("LEAF_N", str(default)))


async def start(dut, idle: dict) -> None:
    """Start a 10 ns clock, drive `idle` (name -> value), hold reset for 3 cycles."""
    Clock(dut.clk, 10, unit="ns").start()
    for name, value in idle.items():
        getattr(dut, name).value = value
    dut.rst_n.value = 0
    await ClockCycles(dut.clk, 3)
    await FallingEdge(dut.clk)
    dut.rst_n.value = 1


async def next_cycle(dut) -> None:
    """Advance to the next falling edge (the middle of the next cycle), where inputs may change."""
    await FallingEdge(dut.clk)


async def settle() -> None:
    await ReadOnly()


def elems(value: int, n: int, bits: int) -> list[int]:
    """Split a packed value into n fields of `bits` bits, field 0 in the low bits."""
    mask = (1 << bits) - 1
    return [(value >> (bits * i)) & mask for i in range(n)]


def pack(fields, bits: int) -> int:
    out = 0
    for i, f in enumerate(fields):
        out |= (f & ((1 << bits) - 1)) << (bits * i)
    return out
