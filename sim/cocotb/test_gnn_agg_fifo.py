"""cocotb tests of gnn_agg_fifo against a Python deque (run from tests/rtl/test_gnn_agg_fifo.py).

Every cycle the test checks out_valid, in_ready, count and the front entry exactly, with pushes
and pops at random rates (empty, full, one entry, push and pop in the same cycle, a push into an
empty FIFO), so the OUT_REG build's register is shown to be the front entry in every case."""
from __future__ import annotations

from collections import deque

import cocotb

from leaf_tb import n_cases, next_cycle, rng, settle, start


@cocotb.test()
async def test_random_traffic(dut):
    width = len(dut.in_data)
    depth = 2 ** (len(dut.count) - 1)
    await start(dut, {"in_valid": 0, "in_data": 0, "out_ready": 0})
    r = rng()
    model: deque[int] = deque()
    pushed = popped = 0
    # phases of (push probability, pop probability): fill, drain, balanced, bursts
    phases = [(0.9, 0.1), (0.1, 0.9), (0.5, 0.5), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.3, 0.7)]
    for _ in range(n_cases(40)):
        p_push, p_pop = r.choice(phases)
        for _ in range(r.randrange(1, 3 * depth)):
            valid = r.random() < p_push
            data = r.getrandbits(width)
            ready = r.random() < p_pop
            dut.in_valid.value = int(valid)
            dut.in_data.value = data
            dut.out_ready.value = int(ready)
            await settle()
            assert int(dut.count.value) == len(model)
            assert bool(dut.in_ready.value) == (len(model) < depth)
            assert bool(dut.out_valid.value) == bool(model)
            if model:
                assert int(dut.out_data.value) == model[0], "front entry differs"
            pop, push = ready and bool(model), valid and len(model) < depth
            if pop:
                model.popleft()
                popped += 1
            if push:
                model.append(data)
                pushed += 1
            await next_cycle(dut)
    assert pushed > 4 * depth and popped > 4 * depth
