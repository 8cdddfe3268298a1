"""The sim backend: the RTL compiled by Verilator with the C++ harness (sim/harness/harness.cpp),
loaded through ctypes. The DDR model's memory is one window [mem_base, mem_base + mem_bytes)
that Python sees as a NumPy array (no copies: sync_to_device / sync_from_device do nothing).

Options (``Accelerator("sim", **options)``):
    mem_bytes=64 MiB, mem_base=0x10000000  the DDR window the kernel can reach
    read_latency=32, write_latency=16       cycles from AR to the first R beat, last W beat to B
    read_bandwidth=(1, 1), write_bandwidth=(1, 1)   at most num/den beats per cycle
    max_reads=8, max_writes=8               bursts in flight (AR / AW accepted before their data)
    ddr=None                                a sim.harness.ddr.DdrModel (refresh, row misses, competing
                                            traffic; None: the ideal model above)
    max_cycles=2**32, timeout_s=600         a run that takes longer raises TimeoutError (after reset)
    axi_timeout_cycles=2**20                written to TIMEOUT at every call (0: none; device.py)
    waves=None                              a .vcd path: dump every signal (builds a traced variant)
    library=None                            a prebuilt harness library (default: build for `hw`)
"""
from __future__ import annotations

import ctypes
import time
from pathlib import Path

import numpy as np

from golden.contract import HwConfig

from .device import DEFAULT_AXI_TIMEOUT_CYCLES, Arena, DeviceBackend, DeviceBuffer, Transport

# the harness's counters, in its order; the second group counts bus-rule violations (the AXI
# master rules of sim/cocotb/axi_checker.py and containment), the third the DDR model's events
VIOLATION_COUNTERS = ("violations", "cross_4k", "bad_burst", "out_of_memory", "write_outside_window",
                      "read_outside_window", "wlast_mismatch", "valid_in_reset", "valid_dropped", "payload_changed", "bad_size",
                      "unaligned", "w_before_aw", "outstanding")
DDR_COUNTERS = ("refresh_cycles", "contended_cycles", "row_misses")
COUNTER_NAMES = ("cycles", "read_bursts", "read_beats", "write_bursts", "write_beats") + VIOLATION_COUNTERS \
    + DDR_COUNTERS
CHUNK_CYCLES = 1 << 20  # cycles per C++ run call; the wall-clock timeout is checked between them
RESET_CYCLES = 16
#: AXI responses the error windows can answer with
RESPONSES = {"SLVERR": 2, "DECERR": 3}


class SimProtocolError(RuntimeError):
    """The harness saw the kernel break an AXI or contract rule (counted in `violations`)."""


def _load(path: Path) -> ctypes.CDLL:
    lib = ctypes.CDLL(str(path))
    vp, u32, u64, i64 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64
    u64p, u32p = ctypes.POINTER(ctypes.c_uint64), ctypes.POINTER(ctypes.c_uint32)
    sigs = {
        "gs_create": (vp, [u64, u64, ctypes.c_char_p]),
        "gs_destroy": (None, [vp]),
        "gs_mem": (ctypes.POINTER(ctypes.c_uint8), [vp]),
        "gs_bus_bytes": (u32, []),
        "gs_has_trace": (ctypes.c_int, []),
        "gs_set_timing": (None, [vp, u32, u32, u32, u32, u32, u32, u32, u32]),
        "gs_set_ddr": (None, [vp, u32, u32, u32, u32, u32, u32, u32, u64]),
        "gs_max_outstanding": (u32, []),
        "gs_first_violation": (u64, [vp, ctypes.c_char_p, u64]),
        "gs_clear_first_violation": (None, [vp]),
        "gs_set_read_error": (None, [vp, u64, u64]),
        "gs_set_write_error": (None, [vp, u64, u64]),
        "gs_set_write_windows": (None, [vp, u32, u64p, u64p]),
        "gs_reset": (None, [vp, u32]),
        "gs_set_error_resp": (None, [vp, u32, u32]),
        "gs_set_read_windows": (None, [vp, u32, u64p, u64p]),
        "gs_stop_answering": (None, [vp, i64, ctypes.c_int]),
        "gs_answer_again": (None, [vp]),
        "gs_reset_at": (None, [vp, u64, u32]),
        "gs_cycle": (u64, [vp]),
        "gs_reset_pending": (u64, [vp]),
        "gs_ctrl_write": (ctypes.c_int, [vp, u32, u32]),
        "gs_ctrl_read": (i64, [vp, u32]),
        "gs_run_until_interrupt": (u64, [vp, u64]),
        "gs_interrupt": (ctypes.c_int, [vp]),
        "gs_num_counters": (u32, []),
        "gs_counters": (None, [vp, u64p]),
        "gs_write_log": (u64, [vp, u32p, u64]),
        "gs_clear_write_log": (None, [vp]),
    }
    for name, (res, args) in sigs.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = res, args
    if lib.gs_num_counters() != len(COUNTER_NAMES):
        raise RuntimeError(f"{path} has {lib.gs_num_counters()} counters, this driver knows {len(COUNTER_NAMES)}")
    return lib


class SimBuffer(DeviceBuffer):
    def __init__(self, transport: "SimTransport", address: int, nbytes: int):
        self._transport = transport
        self.device_address = address
        self.nbytes = nbytes
        off = address - transport.mem_base
        self.view = transport.memory[off:off + nbytes]

    def sync_to_device(self) -> None:
        pass  # the view is the simulated DDR itself

    def sync_from_device(self) -> None:
        pass

    def free(self) -> None:
        if self.view is not None:
            self._transport.arena.free(self.device_address, self.nbytes)
            self.view = None


class SimTransport(Transport):
    """Registers and memory of one simulated kernel instance."""

    def __init__(self, library: Path, *, mem_bytes: int = 64 << 20, mem_base: int = 0x1000_0000,
                 read_latency: int = 32, write_latency: int = 16, read_bandwidth=(1, 1),
                 write_bandwidth=(1, 1), max_reads: int = 8, max_writes: int = 8,
                 max_cycles: int = 1 << 32, waves: str | Path | None = None, ddr=None):
        self.library = Path(library)
        self._lib = _load(self.library)
        if waves and not self._lib.gs_has_trace():
            raise ValueError(f"{library} was built without tracing; build with waves=True")
        self.mem_base, self.mem_bytes = mem_base, mem_bytes
        self.max_cycles = int(max_cycles)
        self._h = self._lib.gs_create(mem_base, mem_bytes, str(waves).encode() if waves else None)
        ptr = self._lib.gs_mem(self._h)
        self.memory = np.ctypeslib.as_array(ptr, shape=(mem_bytes,))
        self.arena = Arena(mem_base, mem_bytes)
        self.bus_bytes = self._lib.gs_bus_bytes()
        self.set_timing(read_latency, write_latency, read_bandwidth, write_bandwidth, max_reads, max_writes)
        if ddr is not None:
            self.set_ddr(ddr)
        self.last_run_cycles = 0
        self._error_resp = {"read": RESPONSES["SLVERR"], "write": RESPONSES["SLVERR"]}
        self._violations_reported = self._violation_counts()

    # -- configuration and fault injection ---------------------------------------------------
    def set_timing(self, read_latency: int = 32, write_latency: int = 16, read_bandwidth=(1, 1),
                   write_bandwidth=(1, 1), max_reads: int = 8, max_writes: int = 8) -> None:
        for name, (num, den) in (("read_bandwidth", read_bandwidth), ("write_bandwidth", write_bandwidth)):
            if not 0 < num <= den:
                raise ValueError(f"{name} must be (num, den) with 0 < num <= den beats per cycle, got {(num, den)}")
        if min(max_reads, max_writes) < 1 or min(read_latency, write_latency) < 0:
            raise ValueError("latencies must be >= 0 and max_reads / max_writes >= 1")
        self._lib.gs_set_timing(self._h, read_latency, write_latency, *read_bandwidth, *write_bandwidth,
                                max_reads, max_writes)

    def set_ddr(self, ddr=None, address_stall: float = 0.0, seed: int = 1) -> None:
        """The DDR realism of `ddr` (a sim.harness.ddr.DdrModel; None: ideal) and random
        backpressure: ARREADY / AWREADY / WREADY low in a share `address_stall` of the cycles."""
        if not 0 <= address_stall < 1:
            raise ValueError(f"address_stall must be in [0, 1), got {address_stall}")
        args = ddr.harness_args() if ddr is not None else (0, 0, 0, 1, 1, 0)
        self._lib.gs_set_ddr(self._h, *args, round(1000 * address_stall), seed)

    def first_violation(self) -> str:
        """The first bus-rule violation the harness saw, described ('' if none)."""
        buf = ctypes.create_string_buffer(512)
        self._lib.gs_first_violation(self._h, buf, len(buf))
        return buf.value.decode()

    def _set_error_resp(self, kind: str, resp: str) -> None:
        if resp not in RESPONSES:
            raise ValueError(f"resp must be one of {sorted(RESPONSES)}, got {resp!r}")
        self._error_resp[kind] = RESPONSES[resp]
        self._lib.gs_set_error_resp(self._h, self._error_resp["read"], self._error_resp["write"])

    def inject_read_error(self, base: int, nbytes: int, resp: str = "SLVERR") -> None:
        """Answer reads of [base, base + nbytes) with `resp` (SLVERR or DECERR; data 0;
        nbytes = 0 stops)."""
        self._set_error_resp("read", resp)
        self._lib.gs_set_read_error(self._h, base, nbytes)

    def inject_write_error(self, base: int, nbytes: int, resp: str = "SLVERR") -> None:
        """Answer write bursts touching [base, base + nbytes) with `resp` (SLVERR or DECERR; the
        beats there are dropped; nbytes = 0 stops)."""
        self._set_error_resp("write", resp)
        self._lib.gs_set_write_error(self._h, base, nbytes)

    @staticmethod
    def _windows(windows):
        bases = (ctypes.c_uint64 * max(1, len(windows)))(*[a for a, _ in windows])
        sizes = (ctypes.c_uint64 * max(1, len(windows)))(*[n for _, n in windows])
        return len(windows), bases, sizes

    def expect_writes(self, windows) -> None:
        """Only these (address, bytes) windows may be written; others count as violations."""
        self._lib.gs_set_write_windows(self._h, *self._windows(windows))

    def expect_reads(self, windows) -> None:
        """Only these (address, bytes) windows may be read (empty: anywhere); other reads count
        as `read_outside_window` violations."""
        self._lib.gs_set_read_windows(self._h, *self._windows(windows))

    def stop_answering(self, read_beats: int | None = None, writes: bool = False) -> None:
        """The slave stops answering: at most `read_beats` more R beats (None: no limit) and, with
        `writes`, no B response; AR, AW and W are still taken (at once). Until answer_again()."""
        self._lib.gs_stop_answering(self._h, -1 if read_beats is None else int(read_beats), int(bool(writes)))

    def answer_again(self) -> None:
        """Drop every transaction in flight (the interconnect reset after the master abandoned
        them: gnn_agg's TIMEOUT) and answer normally again."""
        self._lib.gs_answer_again(self._h)

    def reset_at(self, cycle: int, cycles: int = RESET_CYCLES) -> None:
        """Hold ap_rst_n low for `cycles` cycles when the cycle counter (`cycle()`) reaches
        `cycle`, inside a run_cycles call (which then returns) or wait_done (0: cancel)."""
        self._lib.gs_reset_at(self._h, int(cycle), int(cycles))

    def reset_pending(self) -> bool:
        """A reset_at reset is scheduled and has not been applied yet."""
        return bool(self._lib.gs_reset_pending(self._h))

    def cycle(self) -> int:
        """Clock cycles simulated so far (register accesses included)."""
        return self._lib.gs_cycle(self._h)

    def run_cycles(self, max_cycles: int) -> int:
        """Clock until the interrupt line rises, `max_cycles` pass or a scheduled reset is
        applied; returns the cycles run. No protocol check is reported here (counters())."""
        return self._lib.gs_run_until_interrupt(self._h, int(max_cycles))

    def interrupt(self) -> bool:
        return bool(self._lib.gs_interrupt(self._h))

    def counters(self) -> dict[str, int]:
        out = (ctypes.c_uint64 * len(COUNTER_NAMES))()
        self._lib.gs_counters(self._h, out)
        return dict(zip(COUNTER_NAMES, out))

    def write_log(self) -> list[tuple[int, int]]:
        """(offset, value) of every control write the kernel accepted since clear_write_log()."""
        n = self._lib.gs_write_log(self._h, None, 0)
        buf = (ctypes.c_uint32 * (2 * n))()
        self._lib.gs_write_log(self._h, buf, n)
        return list(zip(buf[0::2], buf[1::2]))

    def clear_write_log(self) -> None:
        self._lib.gs_clear_write_log(self._h)

    # -- Transport -----------------------------------------------------------------------------
    def allocate(self, nbytes: int) -> SimBuffer:
        return SimBuffer(self, self.arena.allocate(nbytes), nbytes)

    def write_reg(self, offset: int, value: int) -> None:
        resp = self._lib.gs_ctrl_write(self._h, int(offset), int(value) & 0xFFFFFFFF)
        if resp:
            raise SimProtocolError(f"control write 0x{offset:02x} failed ({'no response' if resp < 0 else f'BRESP={resp}'})")

    def read_reg(self, offset: int) -> int:
        v = self._lib.gs_ctrl_read(self._h, int(offset))
        if v < 0:
            raise SimProtocolError(f"control read 0x{offset:02x} failed ({'no response' if v == -1 else 'RRESP error'})")
        return v

    def forget_violations(self) -> None:
        """Report (in wait_done) only the violations that happen from now on: for a caller that
        provoked some on purpose (a pointer outside the memory answered DECERR, say) and has
        judged them itself. first_violation() starts afresh too."""
        self._violations_reported = self._violation_counts()
        self._lib.gs_clear_first_violation(self._h)

    def _violation_counts(self) -> dict[str, int]:
        c = self.counters()
        return {k: c[k] for k in VIOLATION_COUNTERS}

    def wait_done(self, timeout_s: float) -> bool:
        """Run the clock in C++ until the interrupt line rises (the driver enables it); a bus-rule
        violation since the last report (in this run, or before it: a reset, register accesses)
        raises SimProtocolError."""
        deadline = time.monotonic() + timeout_s
        ran = 0
        while not self._lib.gs_interrupt(self._h):
            if ran >= self.max_cycles or time.monotonic() > deadline:
                self.last_run_cycles = ran
                return False
            ran += self._lib.gs_run_until_interrupt(self._h, min(CHUNK_CYCLES, self.max_cycles - ran))
        self.last_run_cycles = ran
        after = self._violation_counts()
        broken = {k: after[k] - v for k, v in self._violations_reported.items() if after[k] != v}
        self._violations_reported = after
        if broken:
            raise SimProtocolError(f"the kernel broke bus rules: {broken}; first: {self.first_violation()}")
        return True

    def reset(self) -> None:
        self._lib.gs_reset(self._h, RESET_CYCLES)

    def close(self) -> None:
        if self._h:
            self.memory = None
            self._lib.gs_destroy(self._h)
            self._h = None


def open_sim(hw: HwConfig, *, library: str | Path | None = None, timeout_s: float = 600.0,
             axi_timeout_cycles: int = DEFAULT_AXI_TIMEOUT_CYCLES, waves: str | Path | None = None,
             **options) -> DeviceBackend:
    if library is None:
        from sim.harness.build import build
        library = build(hw, waves=bool(waves))
    return DeviceBackend(SimTransport(library, waves=waves, **options), hw, timeout_s, axi_timeout_cycles)
