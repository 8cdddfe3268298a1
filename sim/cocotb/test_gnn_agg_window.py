"""cocotb tests of gnn_agg_window against a Python model (run from tests/rtl/test_gnn_agg_window.py).

The model follows the module's contract cycle by cycle: it holds `cnt` buffered elements,
offers min(cnt, N) of them, accepts a word whenever elements remain to come from memory and
cnt + (elements per word) <= 2N + BUS_BITS/16 (decided before the take), and drops the
elements of the last word beyond `count`. Every cycle the test checks out_count, in_ready and
the offered elements exactly; the consumer takes a random 0..out_count (backpressure) and the
producer leaves random gaps. The comparison tags are checked every cycle too: out_lt[i][t] is
offered element i < the tag_limit[t] of the cycle before, with the limits changed at random
(values of the run and their neighbours, 0 and 2^32)."""
from __future__ import annotations

import cocotb

from leaf_tb import elems, n_cases, next_cycle, pack, rng, settle, start


class Model:
    def __init__(self, bus_bits: int, n: int):
        self.halves = bus_bits // 16
        self.n = n
        self.cap = 2 * n + self.halves
        self.cnt = 0
        self.left = 0
        self.wide = False

    def start(self, wide: bool, count: int):
        self.cnt, self.left, self.wide = 0, count, wide

    @property
    def epw(self) -> int:
        return self.halves // 2 if self.wide else self.halves

    @property
    def in_ready(self) -> bool:
        return self.left != 0 and self.cnt + self.epw <= self.cap

    @property
    def out_count(self) -> int:
        return min(self.cnt, self.n)

    def step(self, ingest: bool, take: int) -> int:
        """One clock; returns the elements the accepted word brings."""
        n_in = min(self.left, self.epw) if ingest else 0
        self.cnt = self.cnt - take + n_in
        self.left -= n_in
        return n_in


TAG_BITS = 33   # a tag limit: 32-bit elements compared without wrap, 2^32 above all


def tag_limits(r, values: list[int], tags: int) -> list[int]:
    pool = values + [v + 1 for v in values] + [0, 1 << 32]
    return [r.choice(pool) for _ in range(tags)]


async def run(dut, r, model: Model, bus_bits: int, wide: bool, count: int, p_valid: float,
              p_take: float):
    ebits = 32 if wide else 16
    mask = (1 << ebits) - 1
    values = [r.randrange(1 << ebits) for _ in range(count)]
    if r.random() < 0.2:  # extremes
        values = [r.choice((0, mask, 1 << (ebits - 1))) for _ in range(count)]
    per_word = bus_bits // ebits
    words = [values[i:i + per_word] for i in range(0, count, per_word)]
    # elements of the last word beyond count are garbage that must be dropped
    words = [pack(w + [r.randrange(1 << ebits) for _ in range(per_word - len(w))], ebits) for w in words]

    tags = len(dut.tag_limit) // TAG_BITS
    limits = tag_limits(r, values, tags)
    dut.tag_limit.value = pack(limits, TAG_BITS)
    dut.wide.value = int(wide)
    dut.count.value = count
    dut.start.value = 1
    dut.in_valid.value = 0
    dut.out_take.value = 0
    model.start(wide, count)
    await next_cycle(dut)
    dut.start.value = 0
    taken, word_i, cycles = 0, 0, 0
    limit = 40 + 20 * count
    while taken < count or word_i < len(words):
        cycles += 1
        assert cycles < limit, f"stuck: {taken}/{count} elements taken, {word_i}/{len(words)} words"
        out_count = int(dut.out_count.value)   # from registers: stable at the falling edge
        assert out_count == model.out_count, f"out_count {out_count}, model {model.out_count}"
        offered = elems(int(dut.out_data.value), model.n, 32)[:out_count]
        assert offered == values[taken:taken + out_count], "offered elements differ"
        lt = elems(int(dut.out_lt.value), model.n * tags, 1)
        for i, v in enumerate(offered):
            want = [int(v < lim) for lim in limits]   # the limits of the cycle before
            assert lt[i * tags:(i + 1) * tags] == want, f"out_lt[{i}] of {v}: {lt[i * tags:(i + 1) * tags]}, limits {limits}"
        if r.random() < 0.3:
            limits = tag_limits(r, values, tags)
            dut.tag_limit.value = pack(limits, TAG_BITS)
        take = r.randint(0, out_count) if r.random() < p_take else out_count
        valid = word_i < len(words) and r.random() < p_valid
        dut.out_take.value = take
        dut.in_valid.value = int(valid)
        dut.in_data.value = words[word_i] if valid else r.getrandbits(bus_bits)
        await settle()
        in_ready = bool(dut.in_ready.value)
        assert in_ready == model.in_ready, f"in_ready {in_ready}, model {model.in_ready}"
        ingest = valid and in_ready
        model.step(ingest, take)
        word_i += ingest
        taken += take
        await next_cycle(dut)
    # the run is over: nothing offered, no word accepted
    dut.out_take.value = 0
    dut.in_valid.value = 1
    for _ in range(3):
        await settle()
        assert int(dut.out_count.value) == 0 and not dut.in_ready.value
        await next_cycle(dut)
    dut.in_valid.value = 0
    return cycles


@cocotb.test()
async def test_runs(dut):
    bus_bits = len(dut.in_data)
    n = len(dut.out_data) // 32
    await start(dut, {"start": 0, "wide": 0, "count": 0, "in_valid": 0, "in_data": 0, "out_take": 0, "tag_limit": 0})
    r = rng()
    model = Model(bus_bits, n)
    halves = bus_bits // 16
    edge = [(False, 0), (True, 0), (False, 1), (True, 1), (False, halves), (True, halves // 2),
            (False, halves + 1), (True, halves // 2 + 1), (False, 4 * n + 3), (True, 4 * n + 3)]
    for wide, count in edge:  # full speed, then with backpressure and gaps
        await run(dut, r, model, bus_bits, wide, count, 1.0, 0.0)
        await run(dut, r, model, bus_bits, wide, count, 0.6, 0.5)
    for _ in range(n_cases(60)):
        await run(dut, r, model, bus_bits, r.random() < 0.5, r.randrange(0, 80),
                  r.choice((1.0, 0.8, 0.3)), r.choice((0.0, 0.5, 1.0)))


@cocotb.test()
async def test_full_rate(dut):
    """With a word every cycle and the consumer taking all it is offered, N elements per cycle
    flow once the window fills, when a word holds at least N elements."""
    bus_bits = len(dut.in_data)
    n = len(dut.out_data) // 32
    await start(dut, {"start": 0, "wide": 0, "count": 0, "in_valid": 0, "in_data": 0, "out_take": 0, "tag_limit": 0})
    r = rng()
    model = Model(bus_bits, n)
    for wide in (False, True):
        per_word = bus_bits // (32 if wide else 16)
        if per_word < n:
            continue
        count = 64 * n
        cycles = await run(dut, r, model, bus_bits, wide, count, 1.0, 0.0)
        assert cycles <= count // n + 3, f"{cycles} cycles for {count} elements at N={n}"
