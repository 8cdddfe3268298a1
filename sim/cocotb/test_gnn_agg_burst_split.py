"""cocotb tests of gnn_agg_burst_split against a Python model (run from
tests/rtl/test_gnn_agg_burst_split.py).

The model cuts a command (address, beats) greedily into bursts of
min(beats left, MAX_BURST, beats to the next 4 KiB boundary), the beats counted from the bus word
that holds the address; the bursts after the first start bus-aligned. Commands are mostly
bus-aligned (what the top gives the splitter); unaligned ones a few bytes below 4 KiB boundaries
check that no burst crosses 4 KiB whatever the command (issue 19, defence in depth). The test checks the address
channel carries exactly those bursts in order, that `burst` announces the next one while
`busy`, that `issue` = busy && (channel register free) && allow, that cmd_ready is !busy, and
that AX stays stable while AX_VALID waits for AX_READY. allow and AX_READY are random
(backpressure); commands follow each other back to back or with gaps."""
from __future__ import annotations

import cocotb

from leaf_tb import n_cases, next_cycle, rng, settle, start


def bursts(addr: int, beats: int, bus_bytes: int, max_burst: int) -> list[tuple[int, int]]:
    out = []
    while beats:
        to_4k = 4096 // bus_bytes - addr % 4096 // bus_bytes
        n = min(beats, max_burst, to_4k)
        out.append((addr, n))
        addr = (addr // bus_bytes * bus_bytes + n * bus_bytes) % (1 << 64)
        beats -= n
    return out


def crosses_4k(addr: int, beats: int, bus_bytes: int) -> bool:
    first = addr // bus_bytes * bus_bytes   # the bus word of an unaligned start
    return first // 4096 != (first + beats * bus_bytes - 1) // 4096


@cocotb.test()
async def test_commands(dut):
    max_burst = int(dut.MAX_BURST.value)
    bus_bytes = int(dut.BUS_BITS.value) // 8
    await start(dut, {"cmd_valid": 0, "cmd_addr": 0, "cmd_beats": 0, "allow": 0, "ax_ready": 0})
    r = rng()
    top = (1 << 64) - 4096 * 4
    cmds = [(0, 0), (0, 1), (4096 - bus_bytes, 1), (4096 - bus_bytes, 2), (0, max_burst),
            (0, max_burst + 1), (4096 - 3 * bus_bytes, 4096 // bus_bytes + 5), (top, 3 * 4096 // bus_bytes),
            ((1 << 64) - 4096, 4096 // bus_bytes), (0x1000, 1000)]
    for _ in range(n_cases(120)):
        addr = r.choice((r.getrandbits(40), r.getrandbits(12), 4096 * r.randrange(1 << 20) - bus_bytes * r.randrange(1, 8)))
        beats = r.choice((r.randrange(1, 2 * max_burst + 2), r.randrange(0, 4), r.randrange(1, 1200)))
        cmds.append(((addr % (1 << 64)) & ~(bus_bytes - 1), beats))
    # unaligned starts just below (and just above) 4 KiB boundaries, and the top of the address space
    cmds += [(4096 - 3, 1), (4096 - 3, 2), (4096 - 3, max_burst + 300), (4096 - bus_bytes + 1, 600),
             (4096 - 2 * bus_bytes - 1, 3), (4096 + 1, max_burst), ((1 << 64) - 5, 1),
             ((1 << 64) - 4096 - 7, 4096 // bus_bytes)]
    for _ in range(n_cases(40)):
        addr = 4096 * r.randrange(1, 1 << 20) - r.randrange(1, 4 * bus_bytes)
        if r.random() < 0.5 and addr % bus_bytes == 0:
            addr += r.randrange(1, bus_bytes)
        cmds.append((addr, r.choice((r.randrange(1, 2 * max_burst + 2), r.randrange(1, 6), r.randrange(1, 1200)))))
    expect = [b for a, n in cmds for b in bursts(a, n, bus_bytes, max_burst)]

    p_allow, p_ready = 1.0, 1.0
    got, pending = [], list(expect)
    cmd_i, cycles, held = 0, 0, None
    # which bursts of the current command remain (for `burst` and `busy`)
    cur: list[tuple[int, int]] = []
    while cmd_i < len(cmds) or cur or dut.ax_valid.value:
        cycles += 1
        assert cycles < 200000, "stuck"
        if cycles % 500 == 0:  # phases of backpressure
            p_allow, p_ready = r.choice((1.0, 0.7, 0.3)), r.choice((1.0, 0.7, 0.3))
        offer = cmd_i < len(cmds) and r.random() < 0.8
        allow = r.random() < p_allow
        ready = r.random() < p_ready
        dut.cmd_valid.value = int(offer)
        if offer:
            dut.cmd_addr.value, dut.cmd_beats.value = cmds[cmd_i]
        dut.allow.value = int(allow)
        dut.ax_ready.value = int(ready)
        await settle()
        busy = bool(cur)
        assert bool(dut.busy.value) == busy
        assert bool(dut.cmd_ready.value) == (not busy)
        ax_valid = bool(dut.ax_valid.value)
        if held is not None:   # AX_VALID stays up, AX stable, until AX_READY
            assert ax_valid and (int(dut.ax_addr.value), int(dut.ax_len.value)) == held
        if busy:
            assert int(dut.burst.value) == cur[0][1], f"burst {int(dut.burst.value)}, expected {cur[0][1]}"
        issue = busy and (not ax_valid or ready) and allow
        assert bool(dut.issue.value) == issue
        if ax_valid:
            beat = (int(dut.ax_addr.value), int(dut.ax_len.value) + 1)
            held = None if ready else (beat[0], beat[1] - 1)
            if ready:
                want = pending.pop(0)
                assert beat == want, f"burst {beat}, expected {want}"
                assert 1 <= beat[1] <= max_burst and not crosses_4k(*beat, bus_bytes), f"burst {beat} crosses 4 KiB"
                got.append(beat)
        if issue:
            cur.pop(0)
        elif offer and not busy:  # the command is taken (while idle only)
            cur = bursts(*cmds[cmd_i], bus_bytes, max_burst)
            cmd_i += 1
        await next_cycle(dut)
    assert got == expect
