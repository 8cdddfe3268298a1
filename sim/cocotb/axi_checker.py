"""Master-side AXI4 rules on one memory port, checked edge by edge (the cocotb memory model runs it
on m_axi_gmem; sim/harness/harness.cpp checks the same rules under the same names; the rules are
listed in docs/RELIABILITY.md, "AXI protocol checks").

`edge(sig)` takes the values sampled at one rising clock edge (a mapping from the AXI signal name
without prefix, e.g. "ARVALID", to an int) and `reset_edge(sig)` an edge with reset active.
Violations are counted per rule in `counts` and described in `violations` (the first
MAX_MESSAGES). No cocotb here: tests/sim/test_axi_checker.py drives it with bad sequences.
"""
from __future__ import annotations

import collections

FOUR_K = 4096
INCR = 1
MAX_MESSAGES = 50

#: every rule, by the name the C++ harness counts it under
RULES = ("valid_in_reset", "valid_dropped", "payload_changed", "bad_size", "unaligned", "bad_burst",
         "cross_4k", "wlast_mismatch", "w_before_aw", "outstanding")

ADDRESS_PAYLOAD = ("ADDR", "LEN", "SIZE", "BURST", "ID", "LOCK", "CACHE", "PROT", "QOS")
#: channel -> (VALID, READY, payload signals that must hold while VALID waits for READY)
CHANNELS = {
    "AR": ("ARVALID", "ARREADY", tuple("AR" + f for f in ADDRESS_PAYLOAD)),
    "AW": ("AWVALID", "AWREADY", tuple("AW" + f for f in ADDRESS_PAYLOAD)),
    "W": ("WVALID", "WREADY", ("WDATA", "WSTRB", "WLAST")),
}
#: the signals edge() reads (a sampler may fetch them lazily)
SIGNALS = tuple(dict.fromkeys(
    [n for valid, ready, payload in CHANNELS.values() for n in (valid, ready, *payload)]
    + ["RVALID", "RREADY", "RLAST", "BVALID", "BREADY"]))


class AxiMasterChecker:
    """The rules a master must keep, as one slave sees them:

    valid_in_reset   AR/AW/WVALID low at reset edges after the first (a synchronous reset acts at
                     its first edge) and at the first edge after reset
    valid_dropped    a VALID that waited for READY stays high until the handshake
    payload_changed  ... and its payload (ADDR/LEN/SIZE/BURST/ID/LOCK/CACHE/PROT/QOS, W
                     DATA/STRB/LAST) stays the same
    bad_size         AxSIZE = the bus width (the kernel moves whole bus words)
    unaligned        AxADDR a multiple of the bus width
    bad_burst        AxBURST = INCR
    cross_4k         a burst stays inside one 4 KiB page
    wlast_mismatch   WLAST exactly on the last beat of the oldest write burst (AW order)
    w_before_aw      write data never leads its address: WVALID only while an accepted AW awaits
                     data or AWVALID is high (a slave may wait for AW before WREADY, AXI A3.3.1)
    outstanding      reads in flight (AR accepted, RLAST not yet) <= max_reads and writes
                     awaiting B <= max_writes, the limits the RTL declares
    """

    def __init__(self, bus_bytes: int, max_reads: int, max_writes: int):
        self.bus_bytes = bus_bytes
        self.size = bus_bytes.bit_length() - 1
        self.max_reads = max_reads
        self.max_writes = max_writes
        self.counts = dict.fromkeys(RULES, 0)
        self.violations: list[str] = []
        self.edges = 0
        self._clear(first_reset_edge=True)

    def _clear(self, first_reset_edge: bool):
        self._stalled = dict.fromkeys(CHANNELS)   # channel -> payload at the edge it waited
        self._reads = 0                           # AR accepted, RLAST not yet
        self._writes = 0                          # AW accepted, B not yet
        self._w_bursts = collections.deque()      # beats left of accepted AWs awaiting data
        self._first_reset_edge = first_reset_edge
        self._after_reset = not first_reset_edge

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def _fail(self, rule: str, text: str):
        self.counts[rule] += 1
        if len(self.violations) < MAX_MESSAGES:
            self.violations.append(f"edge {self.edges}: {rule}: {text}")

    def reset_edge(self, sig):
        """An edge with reset active: in-flight state is dropped with the master's."""
        self.edges += 1
        if not self._first_reset_edge:
            for ch, (valid, _, _) in CHANNELS.items():
                if sig[valid]:
                    self._fail("valid_in_reset", f"{valid} high during reset")
        self._clear(first_reset_edge=False)
        self._after_reset = True

    def edge(self, sig):
        self.edges += 1
        self._first_reset_edge = True  # the next reset starts with an exempt edge
        if self._after_reset:
            self._after_reset = False
            for valid, _, _ in CHANNELS.values():
                if sig[valid]:
                    self._fail("valid_in_reset", f"{valid} high at the first edge after reset")
        fire = {}
        for ch, (valid, ready, payload) in CHANNELS.items():
            v = bool(sig[valid])
            held = self._stalled[ch]
            if held is not None:
                if not v:
                    self._fail("valid_dropped", f"{valid} fell before {ready}")
                else:
                    now = tuple(int(sig[n]) for n in payload)
                    if now != held:
                        changed = ", ".join(f"{n} {a:#x} -> {b:#x}" for n, a, b in zip(payload, held, now) if a != b)
                        self._fail("payload_changed", f"{changed} while {valid} waited for {ready}")
            r = bool(sig[ready])
            fire[ch] = v and r
            self._stalled[ch] = tuple(int(sig[n]) for n in payload) if v and not r else None
        if fire["AR"]:
            self._check_burst("AR", sig)
            self._reads += 1
            if self._reads > self.max_reads:
                self._fail("outstanding", f"{self._reads} reads in flight, the RTL declares {self.max_reads}")
        if fire["AW"]:
            self._check_burst("AW", sig)
            self._writes += 1
            if self._writes > self.max_writes:
                self._fail("outstanding", f"{self._writes} writes awaiting B, the RTL declares {self.max_writes}")
            self._w_bursts.append(int(sig["AWLEN"]) + 1)
        if sig["WVALID"] and not self._w_bursts and not sig["AWVALID"]:
            self._fail("w_before_aw", "WVALID with no write address offered or awaiting data")
        if fire["W"] and self._w_bursts:
            self._w_bursts[0] -= 1
            last = self._w_bursts[0] == 0
            if bool(sig["WLAST"]) != last:
                self._fail("wlast_mismatch", f"WLAST={int(sig['WLAST'])} with {self._w_bursts[0]} beats left")
            if last or sig["WLAST"]:
                self._w_bursts.popleft()
        if sig["RVALID"] and sig["RREADY"] and sig["RLAST"] and self._reads:
            self._reads -= 1
        if sig["BVALID"] and sig["BREADY"] and self._writes:
            self._writes -= 1

    def _check_burst(self, ch: str, sig):
        addr, beats = int(sig[ch + "ADDR"]), int(sig[ch + "LEN"]) + 1
        size, burst = int(sig[ch + "SIZE"]), int(sig[ch + "BURST"])
        if size != self.size:
            self._fail("bad_size", f"{ch}SIZE {size} at {addr:#x}, the bus needs {self.size}")
        if addr % self.bus_bytes:
            self._fail("unaligned", f"{ch}ADDR {addr:#x} not a multiple of {self.bus_bytes}")
        if burst != INCR:
            self._fail("bad_burst", f"{ch}BURST {burst} at {addr:#x}")
        if addr // FOUR_K != (addr + beats * (1 << size) - 1) // FOUR_K:
            self._fail("cross_4k", f"{ch} burst at {addr:#x} of {beats} beats crosses 4 KiB")
