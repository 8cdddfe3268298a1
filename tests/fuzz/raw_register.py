"""Raw-register fuzzer of the RTL (issue 19, item 6): the kernel driven through the C++ Verilator
harness (sim/harness, host.driver.backends.sim.SimTransport) *below* the driver's checks, with
register values and DDR images the driver would never produce and 1-3 injected faults per run.

Each run starts from a random valid call (a small CSR graph, random mode bits, features, scales,
W), laid out at random 64-byte aligned places of the simulated DDR with random guard bytes
between the buffers, then applies 1-3 faults from FAULTS:

  bad_col_idx       col_idx entries >= n_src (= n_src, n_src + k, 2**32 - 1; u16 with IDX16)
  row_ptr_first     row_ptr[0] != 0 (found by the pre-check, two reads)
  row_ptr_last      row_ptr[n_dst] != n_edges, or the n_edges / n_dst register far above it
  row_ptr_order     an interior row_ptr entry out of order (decreasing, past the end)
  bad_pointer       a used pointer NULL, unaligned, wrapping past 2**64, outside the DDR window
                    (the slave answers DECERR), or equal to / overlapping another input buffer
  overlap_output    feat_out overlapping a value input (feat_in, W, scales, edge weights)
  bad_scalar        feat_dim 0 / unaligned / > max, unknown mode bits, IDX16 with n_src > 65536,
                    n_src / n_dst / n_edges boundary values
  reserved_words    writes to reserved, status and hardware words (read-only: no effect)
  read_error        SLVERR or DECERR on a bus word the run reads (any input buffer)
  write_error       SLVERR or DECERR on a feat_out word
  rewrite_mid_run   argument registers and TIMEOUT rewritten while the kernel runs
  start_while_busy  ap_start written while the kernel runs (a second run follows at once)
  reset_mid_run     ap_rst_n low for 1-40 cycles at a random cycle of the run
  stop_reads        the slave sends 0, 1 or 2 more R beats and then none (TIMEOUT)
  stop_writes       the slave never sends B (TIMEOUT)
  stop_late         the slave stops sending R beats after 3 .. all the run needs, or sends no B
                    at all, anywhere in a run of any size: TIMEOUT with a subset of the run's
                    other error bits (those found before it), or, when the run got everything it
                    needed, the run's own result exactly
  slow_memory       random read/write latency, bandwidth, outstanding limits, DDR realism
                    (refresh, row misses, contention) and random AR/AW/W backpressure

Oracle, every run:
  * containment: no read outside the buffers the registers describe (the harness's read
    windows, bus-word rounded), no write outside feat_out / acc_buf (its write windows); any such
    access is an ``oob`` outcome;
  * the error code: stat_error equals `predict` -- the error model of docs/CONTRACT.md ("stat_error
    bits", the row_ptr pre-check, "AXI response time-out") evaluated on the registers and on
    the memory as the kernel sees it (words answered SLVERR/DECERR read as 0, as the harness
    sends them); a run predicted clean must also give feat_out bit-exact with
    golden.hw_model.gnn_agg on what memory holds (unless an output overlaps an input);
  * bounded time: the cycles from ap_start to ap_done are at most `cycle_bound` (from the
    registers, the memory timing and, when the slave stops, the time-out); a run that has not
    ended by then is a ``hang``;
  * recovery: after every run (once the memory path answers again) a clean call of the base
    problem through the driver's register sequence on the same device is bit-exact against
    golden.hw_model (``recoveries``).

Outcomes (tests/fuzz/__init__.py): ``ok`` (predicted error 0, exact feat_out), ``rejected`` (the
predicted error code, exactly), ``wrong`` (another error code, or a wrong feat_out: a silent
wrong result), ``crash`` (a harness / protocol failure or an exception), plus ``oob`` and
``hang`` for the containment and time oracles. A reset in mid-run counts ``ok`` when the kernel
is idle with stat_error 0 afterwards.

Runs whose registers would make the kernel stream more than WORK_BUDGET bus beats (a huge
n_src in table mode, say: legal and bounded, but minutes of simulation) are redrawn; the
row_ptr pre-check makes most huge-register runs two reads long, so they stay in.
"""
from __future__ import annotations

import collections
import dataclasses
import time

import numpy as np

from golden.cases import random_graph
from golden.contract import (ACC_BUF_BITS, BOARDS, BUFFER_ALIGN, BUFFER_NAMES, BUFFER_REG, IDX16_MAX_SRC,
                             MAX_DEGREE, SCALAR_REGS, STATUS_REGS, Ctrl, Err, HwConfig, Irq, Mode, Problem, Reg)
from golden.hw_model import gnn_agg

MEM_BASE = 0x1000_0000
MEM_BYTES = 2 << 20
ARENA_BYTES = 1 << 20         # buffers are placed in the first MiB; the rest stays zero
WORK_BUDGET = 40_000          # bus beats a run may stream (else the case is redrawn)
FAULTS = ("bad_col_idx", "row_ptr_first", "row_ptr_last", "row_ptr_order", "bad_pointer",
          "overlap_output", "bad_scalar", "reserved_words", "read_error", "write_error",
          "rewrite_mid_run", "start_while_busy", "reset_mid_run", "stop_reads", "stop_writes", "stop_late",
          "slow_memory")
# faults that change how the run is driven; at most one of these per run
DRIVE_FAULTS = ("start_while_busy", "reset_mid_run", "stop_reads", "stop_writes", "stop_late")
INPUTS = ("row_ptr", "col_idx", "edge_w", "src_scale", "dst_scale", "feat_in", "weight")
RESERVED = (0x18, 0x24, 0x30, 0x3C, 0x48, 0x54, 0x60, 0x6C, 0x78, 0x80, 0x88, 0x90, 0x98, 0xA0,
            0xA4, 0xAC, 0xB4, 0xBC, 0xC4, 0xCC, 0xD4, 0xDC, 0xE4, 0xEC, 0xF4)
HW_WORDS = (Reg.HW_MAGIC, Reg.HW_PARAMS, Reg.HW_MAX_FEAT, Reg.HW_TABLE_ELEMS, Reg.HW_FORMATS)


@dataclasses.dataclass
class Regs:
    """What the kernel is told: the argument registers and TIMEOUT."""

    ptr: dict            # buffer name -> 64-bit pointer
    n_dst: int
    n_src: int
    n_edges: int
    feat_dim: int
    mode: int
    timeout: int

    def copy(self) -> "Regs":
        return dataclasses.replace(self, ptr=dict(self.ptr))


@dataclasses.dataclass
class Memory:
    """The DDR window as the kernel sees it: bytes, and the words the slave answers with an error
    (outside the window: DECERR; inside an error window: SLVERR/DECERR), which read as 0."""

    data: np.ndarray
    base: int
    bus_bytes: int
    read_error: tuple = (0, 0)    # (base, bytes)
    write_error: tuple = (0, 0)

    def _bad(self, word: int, window) -> bool:
        lo, n = window
        inside = self.base <= word and word + self.bus_bytes <= self.base + len(self.data)
        return not inside or (n > 0 and word < lo + n and lo < word + self.bus_bytes)

    def read(self, addr: int, nbytes: int) -> tuple[np.ndarray, bool]:
        """The bytes [addr, addr + nbytes) (addr bus-aligned) as the kernel receives them, and
        whether any of their bus words answered an error."""
        bb = self.bus_bytes
        words = -(-nbytes // bb) if nbytes > 0 else 0
        lo, n = self.read_error
        end = addr + words * bb
        if self.base <= addr and end <= self.base + len(self.data) and not (n > 0 and addr < lo + n and lo < end):
            return self.data[addr - self.base:addr - self.base + nbytes].copy(), False
        out = np.zeros(words * bb, np.uint8)
        bad = False
        for k in range(words):
            w = addr + k * bb
            if self._bad(w, self.read_error):
                bad = True
            else:
                out[k * bb:(k + 1) * bb] = self.data[w - self.base:w - self.base + bb]
        return out[:nbytes], bad

    def read_u32(self, addr: int, n: int):
        raw, bad = self.read(addr, 4 * n)
        return raw.view("<u4").astype(np.int64), bad

    def write_bad(self, addr: int, nbytes: int) -> bool:
        bb = self.bus_bytes
        return any(self._bad(addr + k * bb, self.write_error) for k in range(-(-nbytes // bb)))


# ---- the error model of docs/CONTRACT.md -----------------------------------------------------
def used_buffers(r: Regs, hw: HwConfig) -> dict[str, int]:
    """Buffer name -> bytes, for the buffers a run with these registers reads or writes (the
    RTL's gnn_agg_argcheck `used` and `bytes`; feat_dim must be valid)."""
    m = r.mode
    fb = hw.feat_bytes
    row_bytes = r.feat_dim * fb
    gather = bool(m & Mode.DRAM_GATHER)
    rows_per_part = hw.table_rows(r.feat_dim)
    out = {"row_ptr": 4 * (r.n_dst + 1)}
    if r.n_edges:
        out["col_idx"] = (2 if m & Mode.IDX16 else 4) * r.n_edges
    if m & Mode.EDGE_WEIGHT and r.n_edges:
        out["edge_w"] = 2 * r.n_edges
    if m & Mode.PRE_SCALE and r.n_src:
        out["src_scale"] = 2 * r.n_src
    if m & Mode.POST_SCALE and r.n_dst:
        out["dst_scale"] = 2 * r.n_dst
    if r.n_src:
        out["feat_in"] = r.n_src * row_bytes
    if m & Mode.APPLY_W:
        out["weight"] = r.feat_dim * row_bytes
    if r.n_dst:
        out["feat_out"] = r.n_dst * row_bytes
    if not gather and r.n_src > rows_per_part and r.n_dst:
        out["acc_buf"] = r.n_dst * r.feat_dim * ACC_BUF_BITS // 8
    return out


@dataclasses.dataclass
class Prediction:
    error: int
    phase: str                    # "args" (no memory access), "probe" (ended by the pre-check), "run"
    read_beats: int = 0           # bus beats the run reads / writes (for the cycle bound)
    write_beats: int = 0
    compute: int = 0              # cycles of datapath work without memory traffic
    bursts: int = 0               # an upper estimate of the bursts (one latency each)
    arrays: dict | None = None    # the run's inputs as the kernel reads them (phase "run")
    passes: int = 0               # table partitions the run streams (phase "run")


def _ceil(a: int, b: int) -> int:
    return -(-a // b)


def predict(r: Regs, mem: Memory, hw: HwConfig, *, stop_reads: int | None = None,
            stop_writes: bool = False, work_budget: int | None = None) -> Prediction | None:
    """stat_error of a run with registers `r` on memory `mem`, per docs/CONTRACT.md. With
    `stop_reads` = N the slave sends only N more R beats (N <= 2), with `stop_writes` no B; both
    need TIMEOUT > 0. Returns None when the run would stream more than `work_budget` beats."""
    bb = hw.bus_bytes
    m = r.mode
    # CHECK_DIM: feat_dim alone; then mode, then the pointers of the used buffers
    if r.feat_dim == 0 or r.feat_dim > hw.max_feat or r.feat_dim % hw.lanes:
        return Prediction(int(Err.ARG), "args")
    err = 0
    if m >> 7 or (m & Mode.IDX16 and r.n_src > IDX16_MAX_SRC):
        err |= Err.ARG
    used = used_buffers(r, hw)
    for name, nbytes in used.items():
        p = r.ptr[name]
        if p == 0:
            err |= Err.ARG
        if p % BUFFER_ALIGN:
            err |= Err.ALIGN
        if p + nbytes > 1 << 64:
            err |= Err.RANGE
    if err:
        return Prediction(int(err), "args")
    # the row_ptr pre-check: the bus word of row_ptr[0], then the one of row_ptr[n_dst]
    beats_left = stop_reads
    for k, (addr, want) in enumerate(((r.ptr["row_ptr"], 0),
                                      ((r.ptr["row_ptr"] + 4 * r.n_dst) & ~(bb - 1), r.n_edges))):
        if beats_left == 0:
            return Prediction(int(Err.TIMEOUT), "probe", read_beats=k, bursts=k + 1)
        if beats_left is not None:
            beats_left -= 1
        word, bad = mem.read(addr, bb)
        if bad:
            return Prediction(int(Err.AXI_RD), "probe", read_beats=k + 1, bursts=k + 1)
        entry = int(word.view("<u4")[0 if k == 0 else (r.n_dst % (bb // 4))])
        if entry != want:
            return Prediction(int(Err.ROW_PTR), "probe", read_beats=k + 1, bursts=k + 1)
    gather = bool(m & Mode.DRAM_GATHER)
    # FIND_LAST steps through the partitions one per cycle before the first pass (no memory
    # traffic, so the watchdog does not count it): ceil(n_src / R) cycles in table mode
    passes = 1 if gather else hw.partitions(r.n_src, r.feat_dim)
    if stop_reads is not None:  # the run needs more beats (row_ptr at least): nothing else is found
        return Prediction(int(Err.TIMEOUT), "probe", read_beats=2, bursts=3,
                          compute=0 if m & Mode.APPLY_W else passes)

    idx16 = bool(m & Mode.IDX16)
    row_bytes = r.feat_dim * hw.feat_bytes
    row_beats = row_bytes // bb
    wpr = r.feat_dim // hw.lanes
    # the work these registers ask for, before reading any of it
    rp_beats = _ceil(4 * (r.n_dst + 1), bb)
    ci_beats = _ceil((2 if idx16 else 4) * r.n_edges, bb)
    ew_beats = _ceil(2 * r.n_edges, bb) if m & Mode.EDGE_WEIGHT else 0
    acc_beats = _ceil(r.n_dst * r.feat_dim * 4, bb) if passes > 1 else 0
    table_beats = 0 if gather else r.n_src * row_beats + (_ceil(2 * r.n_src, bb) if m & Mode.PRE_SCALE else 0)
    w_beats = r.feat_dim * row_beats if m & Mode.APPLY_W else 0
    dst_beats = _ceil(2 * r.n_dst, bb) if m & Mode.POST_SCALE else 0
    gather_beats = r.n_edges * (row_beats + 1) if gather else 0
    # (at most: the row plans move fewer partial rows; dst_scale is streamed every pass)
    read_beats = 2 + passes * (rp_beats + ci_beats + ew_beats + dst_beats) + (passes - 1) * acc_beats \
        + table_beats + w_beats + gather_beats
    write_beats = r.n_dst * row_beats + (passes - 1) * acc_beats
    if work_budget is not None and read_beats + write_beats > work_budget:
        return None

    def rd(name, nbytes):
        nonlocal err
        data, bad = mem.read(r.ptr[name], nbytes)
        if bad:
            err |= Err.AXI_RD
        return data

    if m & Mode.APPLY_W:
        weight = rd("weight", r.feat_dim * row_bytes).view("<i2").reshape(r.feat_dim, r.feat_dim)
    else:
        weight = None
    rp = rd("row_ptr", 4 * (r.n_dst + 1)).view("<u4").astype(np.int64)
    col = rd("col_idx", (2 if idx16 else 4) * r.n_edges).view("<u2" if idx16 else "<u4").astype(np.int64)
    ew = rd("edge_w", 2 * r.n_edges).view("<u2") if m & Mode.EDGE_WEIGHT else None
    dst_scale = rd("dst_scale", 2 * r.n_dst).view("<u2") if m & Mode.POST_SCALE and r.n_dst else None
    # the walker (gnn_agg_walker): row v ends at row_ptr[v+1] clamped to [previous end,
    # min(previous end + MAX_DEGREE, n_edges)]; errors: row_ptr[0] != 0, a decrease, a degree >
    # MAX_DEGREE, row_ptr[n_dst] != n_edges; edges past the last row end are drained (checked,
    # not used); every col_idx entry is checked against n_src
    ends = np.empty(r.n_dst + 1, np.int64)
    ends[0] = 0
    prev_end = 0
    if rp[0] != 0 or rp[-1] != r.n_edges:
        err |= Err.ROW_PTR
    for v in range(1, r.n_dst + 1):
        raw, prev = int(rp[v]), int(rp[v - 1])
        if raw < prev or raw - prev > MAX_DEGREE:
            err |= Err.ROW_PTR
        prev_end = min(max(raw, prev_end), prev_end + MAX_DEGREE, r.n_edges)
        ends[v] = prev_end
    if (col >= r.n_src).any():
        err |= Err.INDEX
    valid = col < r.n_src
    in_rows = np.zeros(r.n_edges, bool)
    in_rows[:prev_end] = True
    emitted = np.flatnonzero(valid & in_rows)
    # the source rows the edges use (gather mode reads only these; golden needs only these)
    rows = np.unique(col[emitted]).astype(np.int64)
    feat_rows = np.zeros((len(rows), r.feat_dim), np.int16)
    scale_rows = np.zeros(len(rows), np.uint16)
    if gather:
        for j, u in enumerate(rows):
            data, bad = mem.read(r.ptr["feat_in"] + int(u) * row_bytes, row_bytes)
            feat_rows[j] = data.view("<i2")
            if m & Mode.PRE_SCALE:
                word, bad2 = mem.read((r.ptr["src_scale"] + 2 * int(u)) & ~(bb - 1), bb)
                scale_rows[j] = word.view("<u2")[(int(u) * 2 % bb) // 2]
                bad = bad or bad2
            if bad:
                err |= Err.AXI_RD
        gather_beats = len(emitted) * (row_beats + (1 if m & Mode.PRE_SCALE else 0))
    else:
        if r.n_src:
            feat_all = rd("feat_in", r.n_src * row_bytes).view("<i2").reshape(r.n_src, r.feat_dim)
            feat_rows = feat_all[rows]
        if m & Mode.PRE_SCALE and r.n_src:
            scale_rows = rd("src_scale", 2 * r.n_src).view("<u2")[rows]
    partial = 0
    if passes > 1:
        # the row plans (docs/RTL.md, "Key decisions"): row v's partial row (acc_buf + v * F * 4)
        # is written and read back once per partition its valid edges read beyond the first;
        # rows that touch one partition or none never use acc_buf
        acc_row = r.feat_dim * 4
        part = hw.table_rows(r.feat_dim)
        dst = np.searchsorted(ends, emitted, side="right") - 1
        pairs = np.unique(dst * passes + col[emitted] // part)
        touched = np.bincount(pairs // passes, minlength=r.n_dst)
        for v in np.flatnonzero(touched > 1):
            addr = r.ptr["acc_buf"] + int(v) * acc_row
            if mem.read(addr, acc_row)[1]:
                err |= Err.AXI_RD
            if mem.write_bad(addr, acc_row):
                err |= Err.AXI_WR
        partial = int(np.maximum(touched - 1, 0).sum())
    if r.n_dst and mem.write_bad(r.ptr["feat_out"], r.n_dst * row_bytes):
        err |= Err.AXI_WR
    if stop_writes and r.n_dst:
        err = (err & ~Err.AXI_WR) | Err.TIMEOUT
    acc_moved = partial * _ceil(r.feat_dim * 4, bb)
    read_beats = 2 + passes * (rp_beats + ci_beats + ew_beats + dst_beats) + acc_moved + table_beats \
        + w_beats + gather_beats
    write_beats = r.n_dst * row_beats + acc_moved
    compute = passes * (r.n_edges + r.n_dst + 1) * wpr + (0 if gather else r.n_src * wpr) \
        + r.n_dst * wpr * (r.feat_dim if m & Mode.APPLY_W else 1) + r.feat_dim * wpr + 16 * passes
    bursts = 16 + passes * (3 + ci_beats // 8 + rp_beats // 8 + ew_beats // 8) + table_beats // 8 \
        + (len(emitted) * 2 if gather else 0) + 2 * r.n_dst + w_beats // 8 + passes * dst_beats // 8 + acc_beats // 4 + 2 * partial
    # golden's inputs on the used rows only: col_idx renumbered into them (the same numbers)
    remap = np.zeros(r.n_edges, np.int64)
    remap[emitted] = np.searchsorted(rows, col[emitted])
    arrays = {"row_ptr": rp, "col_idx": remap, "edge_w": ew, "dst_scale": dst_scale, "feat_in": feat_rows,
              "src_scale": scale_rows if m & Mode.PRE_SCALE else None, "weight": weight, "n_rows": len(rows)}
    return Prediction(int(err), "run", read_beats, write_beats, compute, bursts, arrays, passes)


@dataclasses.dataclass
class Timing:
    read_latency: int = 32
    write_latency: int = 16
    read_bandwidth: tuple = (1, 1)
    write_bandwidth: tuple = (1, 1)
    max_reads: int = 8
    max_writes: int = 8
    stall: float = 0.0
    refresh: tuple = (0, 0)       # (interval, cycles)
    row_miss: int = 0
    contention: float = 0.0

    def apply(self, t, seed: int) -> None:
        from sim.harness.ddr import DdrModel
        t.set_timing(self.read_latency, self.write_latency, self.read_bandwidth, self.write_bandwidth,
                     self.max_reads, self.max_writes)
        ddr = DdrModel(refresh_interval=self.refresh[0], refresh_cycles=self.refresh[1],
                       row_miss_cycles=self.row_miss, page_bytes=2048, banks=8, contention=self.contention)
        t.set_ddr(ddr if (self.refresh[0] or self.row_miss or self.contention) else None,
                  address_stall=self.stall, seed=seed)

    @property
    def max_gap(self) -> int:
        """A generous bound on the cycles between two handshakes of a healthy slave."""
        return 4 * (self.read_latency + self.write_latency + self.refresh[1] + 2 * self.row_miss
                    + 8 * max(self.read_bandwidth[1], self.write_bandwidth[1]) + 64)


def cycle_bound(p: Prediction, r: Regs, tm: Timing, *, stopped: bool = False) -> int:
    """Cycles from ap_start to ap_done a run may take, from the registers (through the work the
    prediction counts), the memory timing and the time-out: each bus beat costs at most its
    bandwidth share, each burst its latency and a row miss, everything slowed by the
    backpressure; the datapath work comes on top; a stopped slave adds the time-out."""
    beat = 1 + max(tm.read_bandwidth[1], tm.write_bandwidth[1]) + 2 * tm.row_miss
    burst = tm.read_latency + tm.write_latency + 2 * tm.row_miss + tm.refresh[1] + 8
    base = 400 + 2 * p.compute + (p.read_beats + p.write_beats) * beat + p.bursts * burst
    slow = 1.0 / (1.0 - tm.stall) / (1.0 - tm.contention)
    if tm.refresh[0]:
        slow /= 1.0 - tm.refresh[1] / tm.refresh[0]
    bound = int(4 * base * slow)
    return bound + (r.timeout + 64 if stopped else 0)


# ---- one fuzz case ---------------------------------------------------------------------------
class _Case:
    """A valid base call laid out in memory, then faults applied to its registers / memory."""

    def __init__(self, rng: np.random.Generator, hw: HwConfig, t):
        self.hw, self.rng = hw, rng
        fa = hw.feat_align
        n_dst = int(rng.choice([0, 1, 2, 3, 5, 8, 13, 20, 24])) if rng.random() < 0.9 else int(rng.integers(0, 24))
        n_src = int(rng.integers(0, 3)) if rng.random() < 0.1 else int(rng.integers(1, 28))
        # table mode with two partitions (acc_buf, several passes) where the build's table is
        # small enough to stream in a fuzz run: R = TABLE_ELEMS / max_feat rows, plus a few
        rows = hw.table_rows(hw.max_feat)
        tiled = rows * hw.max_feat * hw.feat_bytes // hw.bus_bytes < 0.85 * WORK_BUDGET and rng.random() < 0.04
        if tiled:
            n_dst, n_src = int(rng.integers(1, 9)), rows + int(rng.integers(1, 24))
        csr = random_graph(rng, n_dst, n_src, float(rng.choice([0, 0.5, 2, 4, 7])))
        mode = 0
        for bit, p in ((Mode.PRE_SCALE, 0.4), (Mode.POST_SCALE, 0.4), (Mode.EDGE_WEIGHT, 0.3),
                       (Mode.APPLY_W, 0.25), (Mode.RELU, 0.3), (Mode.DRAM_GATHER, 0.4), (Mode.IDX16, 0.3)):
            if rng.random() < p:
                mode |= int(bit)
        feat_dim = fa * int(rng.integers(1, 3)) if fa * 2 <= hw.max_feat else fa
        if tiled:
            feat_dim, mode = hw.max_feat, mode & ~int(Mode.DRAM_GATHER)
        self.problem = Problem(n_dst, n_src, csr.n_edges, feat_dim, mode)
        fmt = hw.formats
        self.arrays = {
            "row_ptr": csr.row_ptr.astype("<u4"),
            "col_idx": csr.col_idx.astype("<u2" if mode & Mode.IDX16 else "<u4"),
            "feat_in": rng.integers(fmt.feat.int_min, fmt.feat.int_max + 1, (n_src, feat_dim)).astype("<i2"),
        }
        if mode & Mode.EDGE_WEIGHT:
            self.arrays["edge_w"] = rng.integers(0, 1 << 16, csr.n_edges).astype("<u2")
        if mode & Mode.PRE_SCALE:
            self.arrays["src_scale"] = rng.integers(0, 1 << 16, n_src).astype("<u2")
        if mode & Mode.POST_SCALE:
            self.arrays["dst_scale"] = rng.integers(0, 1 << 16, n_dst).astype("<u2")
        if mode & Mode.APPLY_W:
            self.arrays["weight"] = rng.integers(-(1 << 13), 1 << 13, (feat_dim, feat_dim)).astype("<i2")
        sizes = {k: a.nbytes for k, a in self.arrays.items()}
        sizes["feat_out"] = n_dst * feat_dim * hw.feat_bytes
        sizes["acc_buf"] = n_dst * feat_dim * 4
        # random placement: shuffled order, random gaps, random guard bytes everywhere else
        mem = t.memory
        mem[:ARENA_BYTES] = rng.integers(0, 256, ARENA_BYTES, dtype=np.uint8)
        mem[ARENA_BYTES:] = 0
        order = list(rng.permutation(BUFFER_NAMES))
        addr = MEM_BASE + BUFFER_ALIGN * int(rng.integers(0, 64))
        self.layout = {}
        for name in order:
            nbytes = max(sizes.get(name, 0), 1)
            self.layout[name] = (addr, sizes.get(name, 0))
            addr += _ceil(nbytes, BUFFER_ALIGN) * BUFFER_ALIGN + BUFFER_ALIGN * int(rng.integers(0, 40))
        assert addr < MEM_BASE + ARENA_BYTES
        for name, a in self.arrays.items():
            off = self.layout[name][0] - MEM_BASE
            mem[off:off + a.nbytes] = a.reshape(-1).view(np.uint8)
        off = self.layout["feat_out"][0] - MEM_BASE
        mem[off:off + sizes["feat_out"]] = 0xCD
        used = self.problem.buffer_bytes(hw)
        keep_unused = rng.random() < 0.5  # pointers of unused buffers are ignored: 0 or anything
        self.regs = Regs({n: (self.layout[n][0] if n in used or keep_unused else 0) for n in BUFFER_NAMES},
                         n_dst, n_src, csr.n_edges, feat_dim, mode, 0)
        self.base_regs = self.regs.copy()
        self.image = mem.copy()  # the base image: the recovery run restores it

    def expected(self) -> np.ndarray:
        """feat_out of the base call (golden.hw_model)."""
        a, p = self.arrays, self.problem
        return gnn_agg(a["row_ptr"].astype(np.int64), a["col_idx"].astype(np.int64), a["feat_in"],
                       n_src=p.n_src, mode=p.mode, src_scale=a.get("src_scale"), dst_scale=a.get("dst_scale"),
                       edge_w=a.get("edge_w"), weight=a.get("weight"), hw=self.hw)


def _random_u32(rng) -> int:
    return int(rng.choice([0, 1, 2, 63, 64, 65, 255, 256, 65535, 65536, 65537, 1 << 20, (1 << 31) - 1,
                           1 << 31, (1 << 32) - 2, (1 << 32) - 1, int(rng.integers(0, 1 << 32))]))


def _random_pointer(rng, case: _Case) -> int:
    """Any 64-bit value a pointer register could hold."""
    kind = int(rng.integers(0, 8))
    inside = MEM_BASE + BUFFER_ALIGN * int(rng.integers(0, ARENA_BYTES // BUFFER_ALIGN))
    return [0, inside, inside + int(rng.integers(1, 64)), (1 << 64) - BUFFER_ALIGN * int(rng.integers(1, 64)),
            MEM_BASE + MEM_BYTES + BUFFER_ALIGN * int(rng.integers(0, 1 << 20)),
            BUFFER_ALIGN * int(rng.integers(0, MEM_BASE // BUFFER_ALIGN)),
            int(rng.integers(0, 1 << 63, dtype=np.int64)) * 2 + int(rng.integers(0, 2)),
            case.layout[str(rng.choice(INPUTS))][0]][kind]


def _mutate_registers(rng, case: _Case, r: Regs) -> None:
    """Arbitrary values in 1-3 argument registers (the rewrite_mid_run payload)."""
    for _ in range(int(rng.integers(1, 4))):
        which = int(rng.integers(0, 7))
        if which < 2:
            r.ptr[str(rng.choice(BUFFER_NAMES))] = _random_pointer(rng, case)
        elif which == 2:
            r.n_edges = _random_u32(rng)
        elif which == 3:
            r.n_dst = _random_u32(rng)
        elif which == 4:
            r.n_src = _random_u32(rng)
        elif which == 5:
            r.feat_dim = int(rng.choice([0, 1, 8, case.hw.lanes, 2 * case.hw.lanes, case.hw.max_feat,
                                         case.hw.max_feat + case.hw.lanes, _random_u32(rng)]))
        else:
            r.mode = int(rng.integers(0, 1 << 7)) if rng.random() < 0.7 else _random_u32(rng)
        r.timeout = int(rng.choice([0, 1 << 20, int(rng.integers(1, 1 << 32))])) if rng.random() < 0.3 else r.timeout


class _Fault:
    """What the chosen faults do to one run: registers, memory, timing, how the run is driven."""

    def __init__(self):
        self.read_error = (0, 0, "SLVERR")
        self.write_error = (0, 0, "SLVERR")
        self.stop_reads: int | None = None
        self.stop_writes = False
        self.late = False               # stop_late: stop_reads / stop_writes chosen from the run's work
        self.rewrite: Regs | None = None
        self.start_while_busy = False
        self.reset_at: int | None = None
        self.reserved: list[tuple[int, int]] = []
        self.output_overlap = False


def _apply(rng, name: str, case: _Case, r: Regs, f: _Fault, tm: Timing, t) -> None:
    hw, mem, p = case.hw, t.memory, case.problem
    bb = hw.bus_bytes

    def poke(addr, value, dtype):
        if MEM_BASE <= addr and addr + np.dtype(dtype).itemsize <= MEM_BASE + MEM_BYTES:
            mem[addr - MEM_BASE:addr - MEM_BASE + np.dtype(dtype).itemsize] = \
                np.array([value & ((1 << 8 * np.dtype(dtype).itemsize) - 1)], dtype=dtype).view(np.uint8)

    if name == "bad_col_idx":
        idx16 = bool(r.mode & Mode.IDX16)
        top = (1 << 16) if idx16 else (1 << 32)
        n = max(r.n_edges, 1)
        for _ in range(int(rng.integers(1, 4))):
            e = int(rng.integers(0, n))
            v = int(rng.choice([r.n_src, r.n_src + int(rng.integers(1, 100)), top - 1, int(rng.integers(0, top))]))
            poke(r.ptr["col_idx"] + (2 if idx16 else 4) * e, min(v, top - 1), "<u2" if idx16 else "<u4")
    elif name == "row_ptr_first":
        poke(r.ptr["row_ptr"], int(rng.choice([1, r.n_edges + 1, (1 << 32) - 1, int(rng.integers(1, 1 << 32))])), "<u4")
    elif name == "row_ptr_last":
        k = int(rng.integers(0, 4))
        if k == 0:
            poke(r.ptr["row_ptr"] + 4 * r.n_dst, int(rng.choice([r.n_edges + 1, max(r.n_edges - 1, 0) ^ 1, (1 << 32) - 1])), "<u4")
        elif k == 1:
            r.n_edges = int(rng.choice([r.n_edges + int(rng.integers(1, 1000)), (1 << 32) - 1, 1 << 31]))
        elif k == 2:
            r.n_dst = int(rng.choice([r.n_dst + int(rng.integers(1, 1000)), (1 << 32) - 2, 1 << 30]))
        else:
            r.n_dst = r.n_dst + int(rng.integers(1, 50))
            r.n_edges = int(rng.integers(0, 1 << 32))
    elif name == "row_ptr_order":
        if r.n_dst >= 1:
            v = int(rng.integers(0, r.n_dst + 1))
            poke(r.ptr["row_ptr"] + 4 * v, int(rng.choice([0, r.n_edges + int(rng.integers(1, 70000)),
                                                            int(rng.integers(0, r.n_edges + 2)),
                                                            (1 << 32) - 1, MAX_DEGREE + 1])), "<u4")
    elif name == "bad_pointer":
        name2 = str(rng.choice(BUFFER_NAMES))
        k = int(rng.integers(0, 6))
        if k == 0:
            r.ptr[name2] = 0
        elif k == 1:
            r.ptr[name2] += int(rng.choice([1, 2, 4, 8, 16, 32, bb]))
        elif k == 2:
            r.ptr[name2] = (1 << 64) - BUFFER_ALIGN * int(rng.integers(1, 8))
        elif k == 3:
            r.ptr[name2] = MEM_BASE + MEM_BYTES + BUFFER_ALIGN * int(rng.integers(0, 1 << 16)) \
                if rng.random() < 0.7 else MEM_BASE - BUFFER_ALIGN * int(rng.integers(1, 1 << 16))
        elif k == 4 and name2 in INPUTS:
            # an input on (or overlapping) another input: the kernel reads the other's bytes
            other = str(rng.choice(INPUTS))
            r.ptr[name2] = case.layout[other][0] + BUFFER_ALIGN * int(rng.integers(0, 3))
        else:
            r.ptr[name2] = _random_pointer(rng, case) if name2 in INPUTS else r.ptr[name2] + BUFFER_ALIGN
    elif name == "overlap_output":
        target = str(rng.choice(["feat_in", "weight", "src_scale", "dst_scale", "edge_w"]))
        r.ptr["feat_out"] = case.layout[target][0] + BUFFER_ALIGN * int(rng.integers(0, 2))
        f.output_overlap = True
    elif name == "bad_scalar":
        k = int(rng.integers(0, 6))
        if k == 0:
            r.feat_dim = int(rng.choice([0, 1, hw.lanes // 2, hw.lanes + 1, hw.max_feat + hw.lanes, (1 << 32) - 1]))
        elif k == 1:
            r.mode |= 1 << int(rng.integers(7, 32))
        elif k == 2:
            r.mode |= int(Mode.IDX16)
            r.n_src = int(rng.choice([IDX16_MAX_SRC + 1, (1 << 32) - 1, int(rng.integers(IDX16_MAX_SRC + 1, 1 << 32))]))
        elif k == 3:
            # also just above one table partition (table mode: acc_buf and several passes)
            r.n_src = _random_u32(rng) if rng.random() < 0.6 else \
                hw.table_rows(max(r.feat_dim, 1)) + int(rng.integers(1, 40))
        elif k == 4:
            r.n_dst = _random_u32(rng)
        else:
            r.n_edges = _random_u32(rng)
    elif name == "reserved_words":
        f.reserved = [(int(rng.choice(RESERVED)), int(rng.integers(0, 1 << 32))) for _ in range(int(rng.integers(1, 5)))]
    elif name in ("read_error", "write_error"):
        resp = str(rng.choice(["SLVERR", "DECERR"]))
        if name == "read_error":
            cands = [n for n in INPUTS if case.layout[n][1] > 0]
            buf = str(rng.choice(cands)) if cands else "row_ptr"
            addr, nbytes = case.layout[buf][0], max(case.layout[buf][1], 1)
            word = addr + bb * int(rng.integers(0, _ceil(nbytes, bb)))
            f.read_error = (word, int(rng.choice([1, bb, 4 * bb])), resp)
        else:
            addr, nbytes = case.layout["feat_out"][0], max(case.layout["feat_out"][1], 1)
            word = addr + bb * int(rng.integers(0, _ceil(nbytes, bb)))
            f.write_error = (word, int(rng.choice([1, bb, 3 * bb])), resp)
    elif name == "rewrite_mid_run":
        f.rewrite = r.copy()
        _mutate_registers(rng, case, f.rewrite)
    elif name == "start_while_busy":
        f.start_while_busy = True
    elif name == "reset_mid_run":
        f.reset_at = int(rng.integers(1, 600))
    elif name == "stop_reads":
        f.stop_reads = int(rng.integers(0, 3))
    elif name == "stop_writes":
        f.stop_writes = True
    elif name == "stop_late":
        f.late = True
    elif name == "slow_memory":
        tm.read_latency = int(rng.choice([0, 1, 5, 32, 100, 300]))
        tm.write_latency = int(rng.choice([0, 1, 16, 80, 200]))
        tm.read_bandwidth = (1, int(rng.choice([1, 1, 2, 3, 8])))
        tm.write_bandwidth = (1, int(rng.choice([1, 1, 2, 5])))
        tm.max_reads = int(rng.choice([1, 2, 8, 64]))
        tm.max_writes = int(rng.choice([1, 2, 8, 64]))
        tm.stall = float(rng.choice([0.0, 0.1, 0.3, 0.6]))
        if rng.random() < 0.5:
            tm.refresh = (int(rng.choice([300, 800, 3900])), int(rng.choice([20, 60, 100])))
            tm.row_miss = int(rng.choice([0, 5, 14]))
            tm.contention = float(rng.choice([0.0, 0.2, 0.5]))


# ---- driving one run below the driver ---------------------------------------------------------
def _program(t, r: Regs) -> None:
    for name in BUFFER_NAMES:
        t.write_reg(BUFFER_REG[name], r.ptr[name] & 0xFFFF_FFFF)
        t.write_reg(BUFFER_REG[name] + 4, r.ptr[name] >> 32)
    for reg, v in zip(SCALAR_REGS, (r.n_dst, r.n_src, r.n_edges, r.feat_dim, r.mode)):
        t.write_reg(reg, v & 0xFFFF_FFFF)
    t.write_reg(Reg.TIMEOUT, r.timeout)


def _windows(r: Regs, hw: HwConfig):
    """(read windows, write windows) the registers describe, bus-word rounded (argument checks
    passed: feat_dim valid)."""
    bb = hw.bus_bytes
    reads, writes = [], []
    if r.feat_dim == 0 or r.feat_dim > hw.max_feat or r.feat_dim % hw.lanes:
        return reads, writes
    for name, nbytes in used_buffers(r, hw).items():
        span = (r.ptr[name], min(_ceil(nbytes, bb) * bb, (1 << 64) - r.ptr[name]))
        if name in ("feat_out", "acc_buf"):
            writes.append(span)
        if name != "feat_out":
            reads.append(span)
    return reads, writes


def _run_one(rng, hw: HwConfig, t, n_faults: int, faults_pool=FAULTS):
    """Generate a bounded case; returns (case, faults, regs, fault state, timing, prediction)."""
    for _ in range(50):
        case = _Case(rng, hw, t)
        r = case.regs.copy()
        tm = Timing()
        f = _Fault()
        names: list[str] = []
        pool = list(faults_pool)
        while len(names) < n_faults and pool:
            name = str(rng.choice(pool))
            pool.remove(name)
            if name in DRIVE_FAULTS:
                pool = [x for x in pool if x not in DRIVE_FAULTS]
            names.append(name)
        for name in names:
            _apply(rng, name, case, r, f, tm, t)
        if f.stop_reads is not None or f.stop_writes or f.late:
            r.timeout = int(rng.integers(tm.max_gap, 3 * tm.max_gap))
        elif "rewrite_mid_run" not in names:
            r.timeout = int(rng.choice([0, tm.max_gap, 1 << 20]))
        else:
            r.timeout = tm.max_gap
        if f.rewrite is not None:  # a time-out the healthy slave never reaches, or none
            f.rewrite.timeout = int(rng.choice([0, tm.max_gap, 1 << 20, int(rng.integers(tm.max_gap, 1 << 32))]))
        runs = [r] + ([f.rewrite] if f.rewrite is not None and f.start_while_busy else [])
        outs = [w for x in runs for n, w in _spans(x, hw).items() if n in ("feat_out", "acc_buf")]
        if any(_hits(w, outs) for x in runs for n, w in _spans(x, hw).items() if n in ("row_ptr", "col_idx")):
            continue  # the error code would depend on the order of reads and writes: not generated
        f.output_overlap = any(_hits(w, outs) for x in runs for n, w in _spans(x, hw).items()
                               if n not in ("row_ptr", "col_idx", "feat_out", "acc_buf")) or \
            sum(_hits(w, outs) for w in outs) > len(outs)
        mem = Memory(t.memory, MEM_BASE, hw.bus_bytes, f.read_error[:2], f.write_error[:2])
        if f.stop_writes and ("acc_buf" in used_buffers_safe(r, hw) or r.n_dst > 12):
            continue  # a withheld B must not block the reads (docs: at most 32 bursts awaiting B)
        pred = predict(r, mem, hw, stop_reads=f.stop_reads, stop_writes=f.stop_writes, work_budget=WORK_BUDGET)
        if pred is None:
            continue
        if f.late:  # the prediction stays the whole run's; _judge accepts TIMEOUT with a subset of it
            if rng.random() < 0.4:
                f.stop_writes = True
            else:
                f.stop_reads = int(rng.integers(3, max(4, pred.read_beats + 1)))
        second = None
        if f.start_while_busy:
            r2 = f.rewrite if f.rewrite is not None else r
            second = predict(r2, mem, hw, work_budget=WORK_BUDGET)
            if second is None:
                continue
        return case, names, r, f, tm, mem, pred, second
    raise RuntimeError("no bounded case in 50 draws")


def _spans(r: Regs, hw: HwConfig) -> dict:
    """Buffer name -> (address, bytes) of the used buffers, bus-word rounded."""
    bb = hw.bus_bytes
    return {n: (r.ptr[n], _ceil(b, bb) * bb) for n, b in used_buffers_safe(r, hw).items()}


def _hits(w, spans) -> bool:
    return any(w[0] < a + n and a < w[0] + w[1] for a, n in spans)


def used_buffers_safe(r: Regs, hw: HwConfig) -> dict:
    if r.feat_dim == 0 or r.feat_dim > hw.max_feat or r.feat_dim % hw.lanes:
        return {}
    return used_buffers(r, hw)


def _wait_idle(t, budget: int) -> tuple[bool, int]:
    """Run until the kernel is idle with no start pending (polling CTRL); (ended, cycles)."""
    start = t.cycle()
    while t.cycle() - start < budget:
        ctrl = t.read_reg(Reg.CTRL)
        if ctrl & Ctrl.AP_IDLE and not ctrl & Ctrl.AP_START:
            return True, t.cycle() - start
        t.run_cycles(min(256, budget))
    return False, t.cycle() - start


def run(n: int, seed: int = 1, board: str = "pynq-z2", library=None, *, faults=FAULTS,
        max_faults: int = 3) -> dict:
    """`n` raw-register runs on `board`'s RTL build; returns the stats dict."""
    from host.driver.backends.sim import SimTransport
    from sim.harness.build import build

    hw = BOARDS[board]
    lib = build(hw) if library is None else library
    t = SimTransport(lib, mem_bytes=MEM_BYTES, mem_base=MEM_BASE)
    rng = np.random.default_rng([seed, 19])
    stats = {"board": board, "cases": 0, "outcomes": collections.Counter(), "by_fault": {},
             "by_error": collections.Counter(), "oob_reads": 0, "oob_writes": 0, "hangs": 0,
             "recoveries_checked": 0, "recoveries_failed": 0, "max_bound_use": 0.0, "max_cycles": 0,
             "faults_not_reached": 0, "late_timeouts": 0, "phases": collections.Counter(), "failures": []}
    for name in faults:
        stats["by_fault"][name] = collections.Counter()
    try:
        for i in range(n):
            outcome, detail, names = _one(rng, hw, t, i, stats, faults, max_faults)
            stats["cases"] += 1
            stats["outcomes"][outcome] += 1
            for name in names:
                stats["by_fault"][name][outcome] += 1
            if outcome not in ("ok", "rejected") and len(stats["failures"]) < 20:
                stats["failures"].append(f"run {i} {names}: {detail}")
    finally:
        t.close()
    stats["max_bound_use"] = round(stats["max_bound_use"], 4)
    return stats


def _oob(t, before) -> tuple[int, int]:
    c = t.counters()
    return c["read_outside_window"] - before["read_outside_window"], \
        c["write_outside_window"] - before["write_outside_window"]


def _one(rng, hw, t, i, stats, faults, max_faults):
    case, names, r, f, tm, mem, pred, second = _run_one(rng, hw, t, int(rng.integers(1, max_faults + 1)), faults)
    seed = int(rng.integers(1, 1 << 31))
    stats["phases"]["tiled" if pred.passes > 1 else pred.phase] += 1
    tm.apply(t, seed)
    reads, writes = _windows(r, hw)
    if f.rewrite is not None and f.start_while_busy:
        r2reads, r2writes = _windows(f.rewrite, hw)
        reads, writes = reads + r2reads, writes + r2writes
    t.expect_reads(reads if reads else [(0, 0)])
    t.expect_writes(writes if writes else [(0, 0)])
    t.inject_read_error(f.read_error[0], f.read_error[1], f.read_error[2])
    t.inject_write_error(f.write_error[0], f.write_error[1], f.write_error[2])
    t.forget_violations()  # first_violation() describes this run's
    before = t.counters()
    outcome, detail = "ok", ""
    try:
        if t.read_reg(Reg.ISR) & Irq.DONE:
            t.write_reg(Reg.ISR, Irq.DONE)
        _program(t, r)
        for off, v in f.reserved:
            t.write_reg(off, v)
        t.write_reg(Reg.GIE, 1)
        t.write_reg(Reg.IER, Irq.DONE)
        if f.stop_reads is not None or f.stop_writes:
            t.stop_answering(f.stop_reads, f.stop_writes)
        bound = cycle_bound(pred, r, tm, stopped=f.stop_reads is not None or f.stop_writes)
        if second is not None:
            bound += cycle_bound(second, f.rewrite or r, tm)
        t0 = t.cycle()
        if f.reset_at is not None:
            t.reset_at(t0 + f.reset_at + 4, int(rng.integers(1, 41)))
        t.write_reg(Reg.CTRL, Ctrl.AP_START)
        applied = True
        if f.rewrite is not None or f.start_while_busy:
            k = int(rng.integers(1, 200))
            t.run_cycles(k)
            if t.interrupt():
                applied = False
            else:
                if f.rewrite is not None:
                    _program(t, f.rewrite)
                if f.start_while_busy:
                    t.write_reg(Reg.CTRL, Ctrl.AP_START)
        if f.reset_at is not None:
            if t.reset_pending() and not t.interrupt():  # (it may have come in mid-run already)
                t.run_cycles(bound)
            reset_done = not t.reset_pending()
            t.reset_at(0)
            ctrl, err = t.read_reg(Reg.CTRL), t.read_reg(Reg.STAT_ERROR)
            if not reset_done and not t.interrupt():
                outcome, detail = "hang", f"no reset and no done within {bound} cycles"
            elif reset_done and not (ctrl & Ctrl.AP_IDLE and err == 0):
                outcome, detail = "wrong", f"after reset CTRL=0x{ctrl:x} stat_error=0x{err:x}"
            elif not reset_done:  # the run ended before the reset came: judged as a run
                stats["faults_not_reached"] += 1
                outcome, detail = _judge(t, case, r, pred, f, hw)
            stats["by_error"]["reset" if reset_done else _err_name(pred.error)] += 1
        elif second is not None and applied:
            ended, cycles = _wait_idle(t, bound)
            if not ended:
                outcome, detail = "hang", f"two runs not done within {bound} cycles"
            else:
                outcome, detail = _judge(t, case, f.rewrite or r, second, f, hw, check_values=f.rewrite is None)
        else:
            if not applied:
                stats["faults_not_reached"] += 1
            ran = t.run_cycles(bound)
            if not t.interrupt():
                outcome, detail = "hang", f"no ap_done within {bound} cycles (prediction 0x{pred.error:x})"
            else:
                stats["max_cycles"] = max(stats["max_cycles"], ran)
                stats["max_bound_use"] = max(stats["max_bound_use"], ran / bound)
                outcome, detail = _judge(t, case, r, pred, f, hw)
                if f.late and outcome == "rejected" and t.read_reg(Reg.STAT_ERROR) & Err.TIMEOUT:
                    stats["late_timeouts"] += 1
        if f.reset_at is None:
            stats["by_error"][_err_name((second if second is not None and applied else pred).error)] += 1
    except Exception as e:  # noqa: BLE001 -- any exception is a crash outcome
        outcome, detail = "crash", f"{type(e).__name__}: {e}"
    oob_r, oob_w = _oob(t, before)
    stats["oob_reads"] += oob_r
    stats["oob_writes"] += oob_w
    if oob_r or oob_w:
        outcome, detail = "oob", f"{oob_r} reads / {oob_w} writes outside the buffers: {t.first_violation()}; {detail}"
    if outcome == "hang":
        stats["hangs"] += 1
    # recovery: the slave answers again, the base call is exact
    rec = _recover(t, case, hw)
    stats["recoveries_checked"] += 1
    if rec:
        stats["recoveries_failed"] += 1
        if outcome in ("ok", "rejected"):
            outcome = "wrong"
        detail += f"; recovery failed: {rec}"
    return outcome, detail, names


def _err_name(e: int) -> str:
    return "|".join(b.name for b in Err if e & b) or "none"


def _judge(t, case, r, pred, f, hw, check_values=True):
    t.read_reg(Reg.CTRL)
    if t.read_reg(Reg.ISR) & Irq.DONE:
        t.write_reg(Reg.ISR, Irq.DONE)
    status = [t.read_reg(reg) for reg in STATUS_REGS]
    err = status[-1]
    if f.late and err & Err.TIMEOUT:  # the bits found before the slave stopped: any subset
        if err & ~int(Err.TIMEOUT) & ~pred.error:
            return "wrong", f"stat_error 0x{err:x} ({_err_name(err)}) after a late stop, not TIMEOUT and a subset " \
                            f"of 0x{pred.error:x} ({_err_name(pred.error)})"
        return "rejected", ""
    if err != pred.error:
        return "wrong", f"stat_error 0x{err:x} ({_err_name(err)}), predicted 0x{pred.error:x} ({_err_name(pred.error)})"
    if any(t.read_reg(w) != v for w, v in zip(HW_WORDS, _hw_words(hw))):
        return "wrong", "a hardware word changed"
    if err:
        return "rejected", ""
    if status[1] != r.n_edges:  # stat_edges = n_edges on a clean run, whatever the partitioning
        return "wrong", f"stat_edges {status[1]}, n_edges {r.n_edges}"
    if f.output_overlap or not check_values or r.n_dst == 0:
        return "ok", ""
    a = pred.arrays
    # a clean run: every edge is valid, so golden on the rows it uses is the whole answer
    want = gnn_agg(a["row_ptr"], a["col_idx"], a["feat_in"], n_src=a["n_rows"], mode=r.mode & ~Mode.IDX16,
                   src_scale=a["src_scale"], dst_scale=a["dst_scale"], edge_w=a["edge_w"],
                   weight=a["weight"], hw=hw)
    off = r.ptr["feat_out"] - MEM_BASE
    got = t.memory[off:off + r.n_dst * r.feat_dim * hw.feat_bytes].view("<i2").reshape(r.n_dst, r.feat_dim)
    if not np.array_equal(got, want):
        bad = np.argwhere(got != want)
        return "wrong", f"feat_out differs from golden at {len(bad)} elements, first {bad[0].tolist()}"
    return "ok", ""


def _hw_words(hw: HwConfig):
    from golden.contract import HW_MAGIC
    return (HW_MAGIC, hw.hw_params_word, hw.max_feat, hw.table_elems, hw.hw_formats_word)


def _recover(t, case, hw) -> str:
    """'' when a clean call of the base problem (the driver's register sequence) is exact."""
    from host.driver.backends.device import execute
    t.answer_again()
    t.reset_at(0)
    t.inject_read_error(0, 0)
    t.inject_write_error(0, 0)
    t.memory[:] = case.image
    if not t.read_reg(Reg.CTRL) & Ctrl.AP_IDLE:  # a hung run: what the driver does after its time-out
        t.reset()
    p = case.problem
    used = p.buffer_bytes(hw)
    reads, writes = _windows(case.base_regs, hw)
    t.expect_reads(reads)
    t.expect_writes(writes)
    t.forget_violations()
    try:
        st = execute(t, {n: case.layout[n][0] for n in used}, p, timeout_s=120.0,
                     axi_timeout_cycles=int(np.random.default_rng(p.n_edges).choice([0, 1 << 20])))
    except Exception as e:  # noqa: BLE001
        return f"{type(e).__name__}: {e}"
    if st.error:
        return f"stat_error 0x{st.error:x}"
    if p.n_dst == 0:
        return ""
    off = case.layout["feat_out"][0] - MEM_BASE
    got = t.memory[off:off + p.n_dst * p.feat_dim * hw.feat_bytes].view("<i2").reshape(p.n_dst, p.feat_dim)
    want = case.expected()
    if not np.array_equal(got, want):
        return f"feat_out differs from golden at {int((got != want).sum())} elements"
    return ""


def main(argv=None) -> int:
    import argparse
    import json
    ap = argparse.ArgumentParser(prog="python -m tests.fuzz.raw_register")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--board", default="pynq-z2", choices=sorted(BOARDS))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    stats = run(args.n, args.seed, args.board)
    stats["wall_s"] = round(time.perf_counter() - t0, 2)
    print(json.dumps(stats, indent=1, default=str))
    return 0 if set(stats["outcomes"]) <= {"ok", "rejected"} else 1


if __name__ == "__main__":
    raise SystemExit(main())
