"""An AXI4 slave memory model for the gnn_agg m_axi_gmem port, written for checking rather than
speed of the DUT:

* configurable read latency (cycles from AR accepted to the first R beat) and random
  ready/valid backpressure on every channel (AR/R/AW/W/B, `pause` = probability of a stall cycle);
* read bursts of different IDs are answered out of order (AXI allows it; per ID order is kept);
* a read window answered with SLVERR or DECERR (the vector files' axi_error), and a write
  window whose bursts get SLVERR in B;
* the master-side AXI4 rules (axi_checker.AxiMasterChecker: VALID/payload held while stalled,
  reset values, size, alignment, INCR, 4 KiB, WLAST, write data after its address, outstanding
  limits as the RTL declares them): the first violation raises AxiProtocolError in this
  coroutine, which fails the running cocotb test;
* DDR realism, off by default (`configure_ddr`, a sim.harness.ddr.DdrModel, the C++ harness's
  model): refresh windows, row-buffer misses by address, a competing master taking a share of
  the data-bus cycles; counted in refresh_cycles / row_misses / contended_cycles;
* a slave that stops answering (`stop_answering`): no R beat after the next N, no B at all,
  until `answer_again` drops what it owed, as an interconnect reset would (the time-out tests);
* containment checks: reads only inside `readable` ranges, writes only inside `writable` ranges,
  nothing outside the image. These are collected in `violations` (the test asserts it empty).

One coroutine serves all five channels, one wake-up per clock edge. When the DUT's reset is
active the model drops everything in flight, as an interconnect sharing the reset would.
"""
from __future__ import annotations

import collections
import random

from cocotb.triggers import RisingEdge

from axi_checker import SIGNALS, AxiMasterChecker


class AxiProtocolError(AssertionError):
    """The DUT broke a master-side AXI rule on the memory port."""


class _Sampled(dict):
    """The values of one clock edge, each signal read on first use; the model's own outputs are
    the values it drove for the cycle before the edge."""

    def __init__(self, signals, driven):
        super().__init__()
        self._signals, self._driven = signals, driven

    def __missing__(self, name):
        v = self._driven[name] if name in self._driven else int(self._signals[name].value)
        self[name] = v
        return v


class AxiMemory:
    def __init__(self, dut, bus_bytes: int, prefix: str = "m_axi_gmem", seed: int = 0,
                 max_outstanding: int | None = None):
        """max_outstanding: the RTL's limit on reads in flight and writes awaiting B (default:
        the DUT's MAX_OUTSTANDING parameter; no limit checked for a DUT without one, e.g. the
        HLS export)."""
        self.dut = dut
        self.bus_bytes = bus_bytes
        self.rng = random.Random(seed)
        self.s = {name: getattr(dut, f"{prefix}_{name}") for name in (
            "ARVALID", "ARREADY", "ARADDR", "ARLEN", "ARID", "ARSIZE", "ARBURST",
            "RVALID", "RREADY", "RDATA", "RLAST", "RID", "RRESP",
            "AWVALID", "AWREADY", "AWADDR", "AWLEN", "AWSIZE", "AWBURST",
            "WVALID", "WREADY", "WDATA", "WSTRB", "WLAST",
            "BVALID", "BREADY", "BRESP", "BID", *SIGNALS)}
        if max_outstanding is None:
            try:
                max_outstanding = int(dut.MAX_OUTSTANDING.value)
            except AttributeError:
                max_outstanding = 1 << 32
        self.checker = AxiMasterChecker(bus_bytes, max_outstanding, max_outstanding)
        self.base = 0
        self.mem = bytearray()
        self.read_latency = 0
        self.pause = 0.0
        self.error_window = (0, 0)
        self.error_resp = 2
        self.write_error_window = (0, 0)
        self.readable: list[tuple[int, int]] = []
        self.writable: list[tuple[int, int]] = []
        self.violations: list[str] = []
        self.rd_beats = 0
        self.wr_beats = 0
        self.ar_count = 0
        self.aw_count = 0
        self.max_reads_in_flight = 0
        self.read_log: list[tuple[int, int]] = []    # (address, beats) of every AR / AW burst
        self.write_log: list[tuple[int, int]] = []
        self._driven: dict[str, int] = {}
        self.configure_ddr(None)
        self._reset_state()

    # ------------------------------------------------------------------ set-up
    def load(self, base: int, image: bytes, readable, writable, error_window=(0, 0),
             write_error_window=(0, 0), error_resp: int = 2):
        """error_resp: what reads in error_window get, 2 = SLVERR or 3 = DECERR."""
        self.base = base
        self.mem = bytearray(image)
        self.readable = list(readable)
        self.writable = list(writable)
        self.error_window = tuple(error_window)
        self.error_resp = error_resp
        self.write_error_window = tuple(write_error_window)
        self.violations.clear()
        self.rd_beats = self.wr_beats = self.ar_count = self.aw_count = 0
        self.max_reads_in_flight = 0
        self.read_log.clear()
        self.write_log.clear()

    def beats_in(self, log: list[tuple[int, int]], addr: int, nbytes: int) -> int:
        """Beats of the bursts in `log` (read_log / write_log) that start inside [addr, addr + nbytes)."""
        return sum(beats for a, beats in log if addr <= a < addr + nbytes)

    def configure(self, read_latency: int, pause: float):
        self.read_latency = read_latency
        self.pause = pause

    def configure_ddr(self, ddr=None, seed: int = 0):
        """DDR realism (None: the ideal model); its own random stream, so the stalls of `pause`
        are the same with and without it."""
        self.ddr = ddr
        self.ddr_rng = random.Random(seed ^ 0xDD4)
        self.open_rows: dict[int, int] = {}
        self.row_ready = 0
        self.refresh_cycles = self.row_misses = self.contended_cycles = 0

    def _data_bus_free(self) -> bool:
        """This cycle's data bus: not refreshing (rows close), not taken, no activation pending."""
        d = self.ddr
        if d is None:
            return True
        if d.refresh_interval and self.cycle % d.refresh_interval < d.refresh_cycles:
            self.open_rows.clear()
            self.refresh_cycles += 1
            return False
        if d.contention and self.ddr_rng.random() < d.contention:
            self.contended_cycles += 1
            return False
        return self.cycle >= self.row_ready

    def _row_open(self, addr: int) -> bool:
        """Is the beat's row open in its bank? Else open it (the beat waits row_miss_cycles)."""
        d = self.ddr
        if d is None or not d.row_miss_cycles:
            return True
        page = addr // d.page_bytes
        bank, row = page % d.banks, page // d.banks
        if self.open_rows.get(bank) == row:
            return True
        self.open_rows[bank] = row
        self.row_ready = self.cycle + d.row_miss_cycles
        self.row_misses += 1
        return False

    def stop_answering(self, read_beats: int | None = None, writes: bool = False):
        """From now on send at most `read_beats` more R beats (None: no limit) and, with `writes`,
        no B response; AR, AW and W are still accepted."""
        self.r_beats_left = read_beats
        self.b_withheld = writes

    def answer_again(self):
        """Drop every transaction in flight, as a reset of the interconnect would (the master
        abandoned them: gnn_agg's TIMEOUT), and answer normally again."""
        self._reset_state()
        self.checker.abandon()

    def read_bytes(self, addr: int, n: int) -> bytes:
        off = addr - self.base
        return bytes(self.mem[off:off + n])

    def _reset_state(self):
        self.cycle = 0
        self.pending = collections.OrderedDict()  # id -> deque of [ready_cycle, addr, beats_left]
        self.current = None                        # (id, burst) being answered
        self.write_bursts = collections.deque()    # [addr, beats_left, resp] in AW order
        self.b_queue = collections.deque()         # (ready_cycle, resp)
        self.r_beat = None                         # (data, last, id, resp) on the bus
        self.b_out = None
        self.r_beats_left = None                   # stop_answering: R beats still to send
        self.b_withheld = False

    # ------------------------------------------------------------------ helpers
    def _drive(self, name: str, value: int):
        if self._driven.get(name) != value:
            self.s[name].value = value
            self._driven[name] = value

    def _inside(self, ranges, lo: int, hi: int) -> bool:
        return any(a <= lo and hi <= a + n for a, n in ranges)

    def _check_burst(self, kind: str, addr: int, beats: int, ranges):
        """Containment (the AXI rules are the checker's)."""
        nbytes = beats * self.bus_bytes
        if not self._inside(ranges, addr, addr + nbytes):
            self.violations.append(f"{kind} [{addr:#x}, {addr + nbytes:#x}) outside the allowed buffers")

    def _beat_data(self, addr: int) -> tuple[int, int]:
        off = addr - self.base
        if 0 <= off and off + self.bus_bytes <= len(self.mem):
            data = int.from_bytes(self.mem[off:off + self.bus_bytes], "little")
        else:
            data = 0
        lo, n = self.error_window
        resp = self.error_resp if n and lo < addr + self.bus_bytes and addr < lo + n else 0
        return data, resp

    def _pick_read(self):
        ready = [i for i, q in self.pending.items() if q and q[0][0] <= self.cycle]
        if not ready:
            return None
        rid = self.rng.choice(ready) if self.pause else ready[0]
        return rid, self.pending[rid].popleft()

    def _stall(self) -> bool:
        return self.pause > 0 and self.rng.random() < self.pause

    # ------------------------------------------------------------------ the model
    async def run(self, clock, reset_n):
        s = self.s
        for name in ("ARREADY", "RVALID", "RLAST", "RID", "RRESP", "RDATA", "AWREADY", "WREADY",
                     "BVALID", "BRESP", "BID"):
            self._drive(name, 0)
        while True:
            await RisingEdge(clock)
            sampled = _Sampled(s, self._driven)
            if not reset_n.value:
                self.checker.reset_edge(sampled)
                self._raise_on_protocol_violation()
                self._reset_state()
                for name in ("ARREADY", "RVALID", "AWREADY", "WREADY", "BVALID"):
                    self._drive(name, 0)
                continue
            self.checker.edge(sampled)
            self._raise_on_protocol_violation()
            self.cycle += 1
            bus_free = self._data_bus_free()
            # ---- AR
            if self._driven["ARREADY"] and s["ARVALID"].value:
                addr, beats, rid = int(s["ARADDR"].value), int(s["ARLEN"].value) + 1, int(s["ARID"].value)
                self._check_burst("read", addr, beats, self.readable)
                self.ar_count += 1
                self.read_log.append((addr, beats))
                self.pending.setdefault(rid, collections.deque()).append(
                    [self.cycle + self.read_latency, addr, beats])
                in_flight = sum(len(q) for q in self.pending.values()) + (self.current is not None)
                self.max_reads_in_flight = max(self.max_reads_in_flight, in_flight)
            self._drive("ARREADY", 0 if self._stall() else 1)
            # ---- R
            if self.r_beat is not None and s["RREADY"].value:
                self.r_beat = None
                self.rd_beats += 1
            if self.r_beat is None:
                if self.current is None:
                    self.current = self._pick_read()
                if (self.current is not None and not self._stall() and bus_free and self.r_beats_left != 0
                        and self._row_open(self.current[1][1])):
                    if self.r_beats_left is not None:
                        self.r_beats_left -= 1
                    rid, burst = self.current
                    data, resp = self._beat_data(burst[1])
                    burst[1] += self.bus_bytes
                    burst[2] -= 1
                    last = burst[2] == 0
                    if last:
                        self.current = None
                    self.r_beat = (data, int(last), rid, resp)
                    self._drive("RDATA", data)
                    self._drive("RLAST", int(last))
                    self._drive("RID", rid)
                    self._drive("RRESP", resp)
            self._drive("RVALID", int(self.r_beat is not None))
            # ---- AW
            if self._driven["AWREADY"] and s["AWVALID"].value:
                addr, beats = int(s["AWADDR"].value), int(s["AWLEN"].value) + 1
                self._check_burst("write", addr, beats, self.writable)
                self.aw_count += 1
                self.write_log.append((addr, beats))
                lo, n = self.write_error_window
                resp = 2 if n and lo < addr + beats * self.bus_bytes and addr < lo + n else 0
                self.write_bursts.append([addr, beats, resp])
            self._drive("AWREADY", 0 if self._stall() else 1)
            # ---- W (data may arrive with or after its AW; a beat before any AW waits)
            if self._driven["WREADY"] and s["WVALID"].value:
                addr_beats = self.write_bursts[0]
                self._write_beat(addr_beats[0], int(s["WDATA"].value), int(s["WSTRB"].value))
                addr_beats[0] += self.bus_bytes
                addr_beats[1] -= 1
                if addr_beats[1] == 0 or s["WLAST"].value:
                    self.write_bursts.popleft()
                    self.b_queue.append((self.cycle + 2, addr_beats[2]))
                self.wr_beats += 1
            # a read's row miss this cycle takes the bus too (else a read and a write to two rows of
            # one bank would close each other's row forever)
            self._drive("WREADY", int(bool(self.write_bursts) and not self._stall() and bus_free
                                      and self.cycle >= self.row_ready and self._row_open(self.write_bursts[0][0])))
            # ---- B
            if self.b_out is not None and s["BREADY"].value:
                self.b_out = None
            if (self.b_out is None and self.b_queue and self.b_queue[0][0] <= self.cycle and not self._stall()
                    and not self.b_withheld):
                self.b_out = self.b_queue.popleft()
                self._drive("BRESP", self.b_out[1])
                self._drive("BID", 0)
            self._drive("BVALID", int(self.b_out is not None))

    def _raise_on_protocol_violation(self):
        if self.checker.total:
            raise AxiProtocolError(f"m_axi_gmem: {'; '.join(self.checker.violations[:3])}")

    def _write_beat(self, addr: int, data: int, strb: int):
        if not self._inside(self.writable, addr, addr + self.bus_bytes):
            self.violations.append(f"write beat at {addr:#x} outside feat_out/acc_buf")
            return
        off = addr - self.base
        raw = data.to_bytes(self.bus_bytes, "little")
        for i in range(self.bus_bytes):
            if strb >> i & 1:
                self.mem[off + i] = raw[i]
