"""cocotb tests of gnn_agg_div (the serial divider) against Python's // and % (run from
tests/rtl/test_gnn_agg_div.py). The build's WIDTH comes from the module's parameter."""
from __future__ import annotations

import cocotb

from leaf_tb import n_cases, next_cycle, rng, start


def model(a: int, b: int, width: int) -> tuple[int, int]:
    """Quotient and remainder; a zero divisor gives all ones and the dividend (documented)."""
    if b == 0:
        return (1 << width) - 1, a
    return a // b, a % b


async def divide(dut, a: int, b: int, width: int) -> tuple[int, int]:
    """Pulse start with (a, b) held, wait for busy to drop, return (quotient, remainder), still in
    the cycle the result appeared (so the caller can start again at once). Checks that busy stays
    high exactly WIDTH cycles. busy and the results are registers: read at the falling edge."""
    dut.dividend.value = a
    dut.divisor.value = b
    dut.start.value = 1
    await next_cycle(dut)
    dut.start.value = 0
    cycles = 0
    while dut.busy.value:
        cycles += 1
        assert cycles <= width, "busy for more than WIDTH cycles"
        await next_cycle(dut)
    assert cycles == width, f"busy for {cycles} cycles, expected {width}"
    return int(dut.quotient.value), int(dut.remainder.value)


@cocotb.test()
async def test_random_and_edges(dut):
    width = int(dut.WIDTH.value)
    top = (1 << width) - 1
    await start(dut, {"start": 0, "dividend": 0, "divisor": 0})
    assert not dut.busy.value and int(dut.quotient.value) == 0 and int(dut.remainder.value) == 0
    r = rng()
    cases = [(0, 1), (1, 1), (top, 1), (top, top), (top - 1, top), (0, top), (top, 2), (top, top // 2 + 1),
             (5 & top, 0), (0, 0), (top, 0)]
    if width >= 18:  # the partition sizes of the PYNQ-Z2 build (TABLE_ELEMS / feat_dim)
        cases += [(131072, 16), (131072, 48), (131072, 64), (131072, 256)]
    cases += [(r.randrange(top + 1), r.randrange(1, top + 1)) for _ in range(n_cases(150))]
    cases += [(r.randrange(top + 1), r.randrange(1, 1 << r.randrange(1, width + 1))) for _ in range(n_cases(150))]
    for a, b in cases:
        # back to back: start again in the cycle the previous result appears
        got = await divide(dut, a, b, width)
        assert got == model(a, b, width), f"{a} / {b}: got {got}, expected {model(a, b, width)}"
        if r.random() < 0.3:  # the result holds while start stays low, whatever the inputs do
            dut.dividend.value = r.randrange(top + 1)
            await next_cycle(dut)
            assert (int(dut.quotient.value), int(dut.remainder.value)) == got and not dut.busy.value


@cocotb.test()
async def test_restart_while_busy(dut):
    """start while busy abandons the division in progress and begins the new one."""
    width = int(dut.WIDTH.value)
    top = (1 << width) - 1
    await start(dut, {"start": 0, "dividend": 0, "divisor": 0})
    r = rng()
    for _ in range(n_cases(40)):
        dut.dividend.value = r.randrange(top + 1)
        dut.divisor.value = r.randrange(1, top + 1)
        dut.start.value = 1
        await next_cycle(dut)
        dut.start.value = 0
        for _ in range(r.randrange(0, width)):
            await next_cycle(dut)
        a, b = r.randrange(top + 1), r.randrange(1, top + 1)
        assert await divide(dut, a, b, width) == model(a, b, width)
