"""cocotb tests of gnn_agg_unpack against a Python model (run from tests/rtl/test_gnn_agg_unpack.py).

The model places element j of a run at 16-bit half skip + j (16-bit elements) or 2j (32-bit
elements, skip = 0, as the kernel uses them) of the words in order. Every cycle the test checks
out_valid, out_data, out_valid2 / out_data2 (the next element when it is in the same word) and
in_ready (the word is popped exactly with its last element, or the run's last), so exactly
ceil((2 * skip + count * element bytes) / bus bytes) words are used. The consumer stalls at
random (backpressure) and takes two elements at random when offered; the producer leaves gaps."""
from __future__ import annotations

import cocotb

from leaf_tb import n_cases, next_cycle, pack, rng, settle, start


async def run(dut, r, bus_bits: int, wide: bool, skip: int, count: int, p_valid: float,
              p_ready: float, p_take2: float):
    halves = bus_bits // 16
    step = 2 if wide else 1
    ebits = 16 * step
    mask = (1 << ebits) - 1
    values = [r.randrange(1 << ebits) for _ in range(count)]
    if r.random() < 0.2:
        values = [r.choice((0, mask, 1 << (ebits - 1))) for _ in range(count)]
    place = [divmod(skip + step * j, halves) for j in range(count)]   # (word, half) of element j
    n_words = place[-1][0] + 1 if count else 0
    hw = [[r.getrandbits(16) for _ in range(halves)] for _ in range(n_words)]  # garbage elsewhere
    for (w, h), v in zip(place, values):
        hw[w][h] = v & 0xFFFF
        if wide:
            hw[w][h + 1] = v >> 16
    words = [pack(x, 16) for x in hw]

    dut.wide.value = int(wide)
    dut.skip.value = skip
    dut.count.value = count
    dut.start.value = 1
    dut.in_valid.value = 0
    dut.out_ready.value = 0
    dut.out_take2.value = 0
    await next_cycle(dut)
    dut.start.value = 0
    j, word_i, cycles = 0, 0, 0
    while j < count:
        cycles += 1
        assert cycles < 40 + 20 * count, f"stuck at element {j}/{count}"
        valid = r.random() < p_valid
        ready = r.random() < p_ready
        take2 = r.random() < p_take2
        dut.in_valid.value = int(valid)
        dut.in_data.value = words[word_i]
        dut.out_ready.value = int(ready)
        dut.out_take2.value = int(take2)
        await settle()
        assert place[j][0] == word_i, "the module is on another word than the model"
        assert bool(dut.out_valid.value) == valid
        if valid:
            assert int(dut.out_data.value) == values[j], f"element {j}: {int(dut.out_data.value):#x}, expected {values[j]:#x}"
        has2 = valid and j + 1 < count and place[j + 1][0] == word_i
        assert bool(dut.out_valid2.value) == has2
        if has2:
            assert int(dut.out_data2.value) == values[j + 1]
        fire = valid and ready
        n = (2 if take2 and has2 else 1) if fire else 0
        last = j + n - 1
        pop = fire and (last == count - 1 or place[last + 1][0] != word_i)
        assert bool(dut.in_ready.value) == pop, f"in_ready {bool(dut.in_ready.value)}, expected {pop}"
        j += n
        word_i += pop
        await next_cycle(dut)
    assert word_i == n_words
    # the run is over: nothing offered, no word popped
    dut.in_valid.value = 1
    dut.out_ready.value = 1
    for _ in range(2):
        await settle()
        assert not dut.out_valid.value and not dut.in_ready.value and not dut.out_valid2.value
        await next_cycle(dut)
    dut.in_valid.value = 0
    dut.out_ready.value = 0


@cocotb.test()
async def test_runs(dut):
    bus_bits = len(dut.in_data)
    halves = bus_bits // 16
    await start(dut, {"start": 0, "wide": 0, "skip": 0, "count": 0, "in_valid": 0, "in_data": 0,
                      "out_ready": 0, "out_take2": 0})
    r = rng()
    edge = [(False, 0, 0), (True, 0, 0), (False, 0, 1), (True, 0, 1), (False, halves - 1, 1),
            (False, halves - 1, 2), (False, 0, halves), (True, 0, halves // 2), (False, 1, halves),
            (True, 0, halves // 2 + 1), (False, halves - 1, 3 * halves)]
    for wide, skip, count in edge:   # back to back: full speed, then stalls, then pairs
        await run(dut, r, bus_bits, wide, skip, count, 1.0, 1.0, 0.0)
        await run(dut, r, bus_bits, wide, skip, count, 0.7, 0.5, 0.0)
        await run(dut, r, bus_bits, wide, skip, count, 1.0, 1.0, 1.0)
    for _ in range(n_cases(80)):
        wide = r.random() < 0.4
        await run(dut, r, bus_bits, wide, 0 if wide else r.randrange(halves), r.randrange(0, 60),
                  r.choice((1.0, 0.7, 0.3)), r.choice((1.0, 0.6)), r.choice((0.0, 0.5, 1.0)))
