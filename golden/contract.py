"""The gnn_agg interface contract in code: register map, mode and error bits, hardware
parameters and memory layout.

docs/CONTRACT.md is the prose version of this file; the HLS kernel (hls/gnn_agg_regs.h) and the
RTL (rtl/gnn_agg_pkg.sv) carry the same numbers and a test checks that all three agree.
"""
from __future__ import annotations

import dataclasses
import math
from enum import IntEnum, IntFlag

from .fixed import FixedFormat, NumericFormats

KERNEL_NAME = "gnn_agg"
VLNV = "gnnagg:hls:gnn_agg:1.0"
HW_MAGIC = 0x474E4101  # "GNA" + contract version 1

#: every buffer must start on this byte boundary (covers 64- and 128-bit buses and cache lines)
BUFFER_ALIGN = 64
#: most edges one destination row may have; every build's accumulator has
#: ACC_BITS >= FEAT_BITS + log2(MAX_DEGREE) bits, so a row's sum is exact
MAX_DEGREE = 1 << 16
IDX16_MAX_SRC = 1 << 16
#: the tiled layout (Mode.TILED, golden.graph.TiledLayout): bits of a tile pair's row word, the
#: destination row in [28:0], then the flags
TILE_END = 1 << 29   # a tile marker: no row; the tile of partition word & TILE_ROW_MASK follows
TILE_ADD = 1 << 30   # acc_buf holds the row's partial sum of earlier passes: read it back and add
TILE_FIN = 1 << 31   # no later pass has edges of the row: finish it into feat_out in this one
TILE_ROW_MASK = TILE_END - 1
TILED_MAX_DST = TILE_END       # most destination rows the row word can name
TILED_MAX_ROWS = 1 << 16       # most table rows (R) a 16-bit local index can address
#: COEF (scales, edge weights) is always a 16-bit unsigned container; its frac is a parameter
COEF_BITS = 16
#: acc_buf holds partial sums as 32-bit elements (the accumulator sign-extended)
ACC_BUF_BITS = 32
#: feature (and W) element widths a build may have
FEAT_BITS_CHOICES = (8, 16)
#: the HwConfig fields that are number formats, in HW_FORMATS field order
FORMAT_FIELDS = ("feat_bits", "feat_frac", "wgt_frac", "coef_frac", "acc_bits")


class Reg(IntEnum):
    """Byte offsets in the s_axi_control space (Vitis HLS layout: 12-byte pointer slots
    [low, high, reserved], 8-byte scalar slots [data, reserved])."""

    CTRL = 0x00
    GIE = 0x04
    IER = 0x08
    ISR = 0x0C
    ROW_PTR = 0x10
    COL_IDX = 0x1C
    EDGE_W = 0x28
    SRC_SCALE = 0x34
    DST_SCALE = 0x40
    FEAT_IN = 0x4C
    WEIGHT = 0x58
    FEAT_OUT = 0x64
    ACC_BUF = 0x70
    N_DST = 0x7C
    N_SRC = 0x84
    N_EDGES = 0x8C
    FEAT_DIM = 0x94
    MODE = 0x9C
    # read-only status, valid after ap_done
    STAT_CYCLES = 0xA4
    STAT_EDGES = 0xAC
    STAT_STALLS = 0xB4
    STAT_RD_BEATS = 0xBC
    STAT_WR_BEATS = 0xC4
    STAT_ERROR = 0xCC
    # read-only hardware description, constant
    HW_MAGIC = 0xD4
    HW_PARAMS = 0xDC  # [7:0] bus bytes, [15:8] lanes, [23:16] processing elements
    HW_MAX_FEAT = 0xE4
    HW_TABLE_ELEMS = 0xEC
    HW_FORMATS = 0xF4  # number formats, fields in HwConfig.hw_formats_word
    # R/W, RTL kernel only (the last word; the Vitis HLS map has nothing there and reads 0)
    TIMEOUT = 0xFC  # cycles the kernel waits on an m_axi response before Err.TIMEOUT; 0 = never
    # the tiled layout's scalar (Mode.TILED), past the Vitis HLS block (0x100, 0x104 reserved)
    N_PAIRS = 0x100


POINTER_REGS = (Reg.ROW_PTR, Reg.COL_IDX, Reg.EDGE_W, Reg.SRC_SCALE, Reg.DST_SCALE,
                Reg.FEAT_IN, Reg.WEIGHT, Reg.FEAT_OUT, Reg.ACC_BUF)
SCALAR_REGS = (Reg.N_DST, Reg.N_SRC, Reg.N_EDGES, Reg.FEAT_DIM, Reg.MODE)
STATUS_REGS = (Reg.STAT_CYCLES, Reg.STAT_EDGES, Reg.STAT_STALLS, Reg.STAT_RD_BEATS,
               Reg.STAT_WR_BEATS, Reg.STAT_ERROR)
CTRL_ADDR_BITS = 9


class Ctrl(IntFlag):
    AP_START = 1 << 0
    AP_DONE = 1 << 1  # clear on read
    AP_IDLE = 1 << 2
    AP_READY = 1 << 3
    AUTO_RESTART = 1 << 7
    INTERRUPT = 1 << 9


class Irq(IntFlag):
    """IER / ISR bits; ISR bits toggle when written with 1."""

    DONE = 1 << 0
    READY = 1 << 1


class Mode(IntFlag):
    PRE_SCALE = 1 << 0    # t_u = q(src_scale[u] * x_u) when the source row enters the pipeline
    POST_SCALE = 1 << 1   # y_v = q(dst_scale[v] * acc_v)
    EDGE_WEIGHT = 1 << 2  # m_e = q(edge_w[e] * t_u): the only per-edge multiply
    APPLY_W = 1 << 3      # y_v = q(W @ y_v), W square feat_dim x feat_dim
    RELU = 1 << 4         # y_v = max(y_v, 0)
    DRAM_GATHER = 1 << 5  # fetch each neighbour row from DRAM instead of the on-chip table
    IDX16 = 1 << 6        # col_idx stored as uint16 (needs n_src <= 65536)
    TILED = 1 << 7        # the tiled layout: row_ptr = tile pairs, col_idx = 16-bit table rows (golden.graph.TiledLayout)

    # Eq. 1 normalizations expressed as mode bits
    SYMMETRIC = PRE_SCALE | POST_SCALE
    MEAN = POST_SCALE
    SUM = 0


ALL_MODE_BITS = int(Mode.PRE_SCALE | Mode.POST_SCALE | Mode.EDGE_WEIGHT | Mode.APPLY_W
                    | Mode.RELU | Mode.DRAM_GATHER | Mode.IDX16 | Mode.TILED)


class Err(IntFlag):
    """STAT_ERROR bits. ARG, ALIGN and RANGE are found before any memory access (then the kernel
    touches no memory at all); the others are found while running: the offending edge or row is
    neutralised, the run completes, ap_done comes, and outputs are undefined but every write
    stays inside feat_out / acc_buf. TIMEOUT ends the run at once (docs/CONTRACT.md)."""

    ARG = 1 << 0      # feat_dim 0 / not a multiple of lanes / > max; needed pointer is 0; IDX16 with n_src > 65536;
    #                   TILED with DRAM_GATHER or IDX16, n_pairs 0, n_dst > 2**29 or R > 65536
    ALIGN = 1 << 1    # a used pointer not BUFFER_ALIGN-aligned
    RANGE = 1 << 2    # a used buffer's address range wraps past 2**64
    ROW_PTR = 1 << 3  # row_ptr[0] != 0 or row_ptr[n_dst] != n_edges (found before the passes); decreasing, degree > MAX_DEGREE;
    #                   TILED: the last edge end != n_edges, pair 0 no marker of a partition < P (before the passes); a row >= n_dst
    #                   or not ascending in its tile, a marker with edges or naming a partition >= P
    INDEX = 1 << 4    # col_idx[e] >= n_src; TILED: a local index >= its partition's rows
    AXI_RD = 1 << 5   # SLVERR / DECERR on a read
    AXI_WR = 1 << 6   # SLVERR / DECERR on a write
    TIMEOUT = 1 << 7  # no m_axi response for TIMEOUT cycles: the run was aborted (RTL kernel only)


@dataclasses.dataclass(frozen=True)
class HwConfig:
    """Synthesis-time parameters of one accelerator build."""

    bus_bits: int = 64          # 64: PYNQ-Z2 HP ports; 128: Zynq UltraScale+
    lanes: int = 16             # feature elements one processing element adds per cycle
    pes: int = 1                # processing elements (edges per cycle in table mode)
    max_feat: int = 256         # largest feat_dim
    table_elems: int = 1 << 17  # on-chip node table capacity in feature elements
    # number formats (docs/CONTRACT.md, "Numeric formats"); the defaults are Q4.12 / UQ1.15 /
    # Q4.12 / 32-bit accumulator
    feat_bits: int = 16         # FEAT and WGT element width in memory and on chip
    feat_frac: int = 12         # FEAT (and ACC) fractional bits
    wgt_frac: int = 12          # WGT fractional bits
    coef_frac: int = 15         # COEF fractional bits (16-bit unsigned container)
    acc_bits: int = 32          # accumulator width on chip

    def __post_init__(self):
        if self.bus_bits not in (32, 64, 128, 256, 512):
            raise ValueError(f"bus_bits must be 32..512 and a power of two, got {self.bus_bits}")
        for name in ("lanes", "pes", "max_feat", "table_elems"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        if self.max_feat % self.lanes:
            raise ValueError(f"max_feat {self.max_feat} is not a multiple of lanes {self.lanes}")
        if self.table_elems < self.max_feat:
            raise ValueError("the node table must hold at least one row of max_feat elements")
        if self.feat_bits not in FEAT_BITS_CHOICES:
            raise ValueError(f"feat_bits must be one of {FEAT_BITS_CHOICES}, got {self.feat_bits}")
        if not 0 <= self.feat_frac < self.feat_bits:
            raise ValueError(f"feat_frac must be 0..{self.feat_bits - 1}, got {self.feat_frac}")
        if not 1 <= self.wgt_frac < self.feat_bits:
            raise ValueError(f"wgt_frac must be 1..{self.feat_bits - 1}, got {self.wgt_frac}")
        if not 1 <= self.coef_frac <= COEF_BITS:
            raise ValueError(f"coef_frac must be 1..{COEF_BITS}, got {self.coef_frac}")
        exact = self.feat_bits + MAX_DEGREE.bit_length() - 1
        if not exact <= self.acc_bits <= ACC_BUF_BITS:
            raise ValueError(f"acc_bits must be {exact}..{ACC_BUF_BITS} (exact sums of MAX_DEGREE "
                             f"{self.feat_bits}-bit terms, stored in 32-bit acc_buf), got {self.acc_bits}")

    @property
    def bus_bytes(self) -> int:
        return self.bus_bits // 8

    @property
    def feat_bytes(self) -> int:
        """Bytes of one FEAT or WGT element in memory."""
        return self.feat_bits // 8

    @property
    def formats(self) -> NumericFormats:
        return NumericFormats(feat=FixedFormat(self.feat_bits, self.feat_frac),
                              coef=FixedFormat(COEF_BITS, self.coef_frac, signed=False),
                              wgt=FixedFormat(self.feat_bits, self.wgt_frac),
                              acc=FixedFormat(self.acc_bits, self.feat_frac))

    @property
    def feat_align(self) -> int:
        """feat_dim must be a multiple of this: whole lanes and whole bus words per row."""
        return math.lcm(self.lanes, self.bus_bits // self.feat_bits)

    def table_rows(self, feat_dim: int) -> int:
        """Source rows per partition: TABLE_ELEMS / feat_dim, rounded down to a multiple of PES
        (the table is split into PES banks, row r in bank r % PES)."""
        return self.table_elems // feat_dim // self.pes * self.pes

    def partitions(self, n_src: int, feat_dim: int) -> int:
        """Source partitions the table mode makes (1 when the whole source table fits)."""
        rows = self.table_rows(feat_dim)
        return max(1, -(-n_src // rows))

    @property
    def hw_params_word(self) -> int:
        return self.bus_bytes | (self.lanes << 8) | (self.pes << 16)

    @property
    def hw_formats_word(self) -> int:
        """HW_FORMATS: six bits each, [5:0] FEAT bits, [11:6] FEAT frac, [17:12] WGT frac,
        [23:18] COEF frac, [29:24] ACC bits (WGT has FEAT's bits, ACC FEAT's frac, COEF 16 bits)."""
        return sum(getattr(self, name) << (6 * i) for i, name in enumerate(FORMAT_FIELDS))

    @classmethod
    def formats_from_word(cls, word: int) -> dict:
        """The HwConfig fields a HW_FORMATS word holds (the inverse of hw_formats_word)."""
        return {name: word >> (6 * i) & 0x3F for i, name in enumerate(FORMAT_FIELDS)}


def __getattr__(name):
    """BOARDS (board name -> HwConfig of its RTL build, the BOARD values of `make bitstream`) and
    DEFAULT_HW (the pynq-z2 build) come from the build registry, golden/builds.py, which imports
    this module: resolved on first use, so neither module imports the other at load time."""
    if name in ("BOARDS", "DEFAULT_HW"):
        from . import builds

        boards = {board: builds.board_build(board).hw for board in builds.BOARDS}
        globals().update(BOARDS=boards, DEFAULT_HW=boards["pynq-z2"])
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclasses.dataclass(frozen=True)
class Problem:
    """The scalar arguments of one kernel call."""

    n_dst: int
    n_src: int
    n_edges: int
    feat_dim: int
    mode: int
    n_pairs: int = 0   # Mode.TILED: pairs of the tiled layout (golden.graph.TiledLayout.n_pairs)

    def buffer_bytes(self, hw: HwConfig) -> dict[str, int]:
        """Size in bytes of every buffer the call uses (unused buffers are absent)."""
        m = Mode(self.mode)
        idx_bytes = 2 if m & (Mode.IDX16 | Mode.TILED) else 4
        coef_bytes, feat_bytes = COEF_BITS // 8, hw.feat_bytes
        sizes = {
            "row_ptr": 8 * self.n_pairs if m & Mode.TILED else 4 * (self.n_dst + 1),
            "col_idx": idx_bytes * self.n_edges,
            "feat_in": feat_bytes * self.n_src * self.feat_dim,
            "feat_out": feat_bytes * self.n_dst * self.feat_dim,
        }
        if m & Mode.EDGE_WEIGHT:
            sizes["edge_w"] = coef_bytes * self.n_edges
        if m & Mode.PRE_SCALE:
            sizes["src_scale"] = coef_bytes * self.n_src
        if m & Mode.POST_SCALE:
            sizes["dst_scale"] = coef_bytes * self.n_dst
        if m & Mode.APPLY_W:
            sizes["weight"] = feat_bytes * self.feat_dim * self.feat_dim
        if self.needs_acc_buf(hw):
            sizes["acc_buf"] = ACC_BUF_BITS // 8 * self.n_dst * self.feat_dim
        return sizes

    def needs_acc_buf(self, hw: HwConfig) -> bool:
        return (not self.mode & Mode.DRAM_GATHER) and self.feat_dim > 0 and \
            hw.partitions(self.n_src, self.feat_dim) > 1


BUFFER_NAMES = ("row_ptr", "col_idx", "edge_w", "src_scale", "dst_scale", "feat_in", "weight",
                "feat_out", "acc_buf")
BUFFER_REG = dict(zip(BUFFER_NAMES, POINTER_REGS))
