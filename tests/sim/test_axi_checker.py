"""The cocotb memory model's AXI4 master checker (sim/cocotb/axi_checker.py) on hand-made edge
sequences: a compliant master passes, each rule fires on a sequence that breaks it (and only
that rule), and the rule names are the C++ harness's counter names."""
from __future__ import annotations

import pytest

from host.driver.backends.sim import VIOLATION_COUNTERS
from sim.cocotb.axi_checker import RULES, SIGNALS, AxiMasterChecker

BUS = 8


def idle(**over):
    sig = dict.fromkeys(SIGNALS, 0)
    sig.update(ARSIZE=3, AWSIZE=3, ARBURST=1, AWBURST=1)
    sig.update(over)
    return sig


def ar(addr=0x1000, len_=3, ready=1, **over):
    return idle(ARVALID=1, ARREADY=ready, ARADDR=addr, ARLEN=len_, **over)


def run(edges, max_reads=4, max_writes=4, reset_first=True):
    c = AxiMasterChecker(BUS, max_reads, max_writes)
    if reset_first:
        c.reset_edge(idle())
        c.reset_edge(idle())
        c.edge(idle())  # VALID may rise only after the first edge out of reset
    for e in edges:
        if e == "reset":
            c.reset_edge(idle())
        else:
            c.edge(e)
    return c


def fired(c) -> set[str]:
    return {k for k, v in c.counts.items() if v}


def write_burst(beats=2, stall_w=False):
    """AW then `beats` W beats, then B."""
    out = [idle(AWVALID=1, AWREADY=1, AWADDR=0x2000, AWLEN=beats - 1)]
    for i in range(beats):
        w = dict(WVALID=1, WDATA=0x11 * (i + 1), WSTRB=0xFF, WLAST=int(i == beats - 1))
        if stall_w:
            out.append(idle(WREADY=0, **w))
        out.append(idle(WREADY=1, **w))
    out.append(idle(BVALID=1, BREADY=1))
    return out


def test_rule_names_are_the_harness_counters():
    assert set(RULES) <= set(VIOLATION_COUNTERS)


def test_a_compliant_master_passes():
    edges = [idle(), ar(ready=0), ar(ready=0), ar(),
             *[idle(RVALID=1, RREADY=1, RLAST=int(i == 3)) for i in range(4)],
             *write_burst(4, stall_w=True), idle(WVALID=0, AWVALID=1, AWADDR=0x3000, AWLEN=0, AWREADY=0),
             idle(AWVALID=1, AWADDR=0x3000, AWLEN=0, AWREADY=1, WVALID=1, WLAST=1, WSTRB=0xFF),
             idle(WVALID=1, WLAST=1, WSTRB=0xFF, WREADY=1), idle(BVALID=1, BREADY=1)]
    c = run(edges)
    assert c.total == 0, c.violations


@pytest.mark.parametrize("rule,edges", [
    ("valid_dropped", [ar(ready=0), idle()]),
    ("payload_changed", [ar(ready=0), ar(addr=0x1040)]),
    ("payload_changed", [ar(ready=0, ARCACHE=3), ar(ARCACHE=2)]),
    ("payload_changed", [idle(AWVALID=1, AWREADY=1, AWLEN=1),
                         idle(WVALID=1, WDATA=5, WSTRB=0xFF), idle(WVALID=1, WREADY=1, WDATA=6, WSTRB=0xFF)]),
    ("bad_size", [ar(ARSIZE=2)]),
    ("unaligned", [ar(addr=0x1004)]),
    ("bad_burst", [ar(ARBURST=2)]),
    ("cross_4k", [ar(addr=0x1FF0, len_=3)]),
    ("wlast_mismatch", [idle(AWVALID=1, AWREADY=1, AWLEN=1), idle(WVALID=1, WREADY=1, WLAST=1)]),
    ("w_before_aw", [idle(WVALID=1, WLAST=1)]),
    ("outstanding", [ar(), ar(addr=0x1040)]),
    ("outstanding", [idle(AWVALID=1, AWREADY=1, AWLEN=0), idle(AWVALID=1, AWREADY=1, AWADDR=0x40, AWLEN=0)]),
    ("valid_in_reset", []),
], ids=lambda v: v if isinstance(v, str) else "")
def test_each_rule_fires_on_a_sequence_that_breaks_it(rule, edges):
    if rule == "valid_in_reset":
        c = AxiMasterChecker(BUS, 4, 4)
        c.edge(ar())           # in flight when reset comes: the first reset edge is exempt
        c.reset_edge(ar())
        assert c.total == 0
        c.reset_edge(ar())     # still high at the second reset edge
        c.edge(ar())           # and at the first edge after reset
        assert c.counts["valid_in_reset"] == 2 and fired(c) == {"valid_in_reset"}, c.violations
        return
    c = run(edges, max_reads=1, max_writes=1)
    assert fired(c) == {rule}, c.violations
    assert c.violations[0].split(": ")[1] == rule


def test_reset_drops_the_state_of_a_stalled_channel():
    """A VALID that waited when reset came is not held to its old payload afterwards."""
    c = run([ar(ready=0), "reset", "reset", idle(), ar(addr=0x1040)])
    assert c.total == 0, c.violations


def test_reads_retire_on_rlast_only():
    c = run([ar(), idle(RVALID=1, RREADY=1), ar(addr=0x1040)], max_reads=1)
    assert fired(c) == {"outstanding"}
    c = run([ar(len_=0), idle(RVALID=1, RREADY=1, RLAST=1), ar(addr=0x1040)], max_reads=1)
    assert c.total == 0
    c = run([ar(len_=0), idle(RVALID=1, RREADY=0, RLAST=1), ar(addr=0x1040)], max_reads=1)
    assert fired(c) == {"outstanding"}  # RLAST without RREADY is no handshake
