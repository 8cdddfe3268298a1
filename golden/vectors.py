"""Test vectors: one kernel call as a DDR image plus the expected result, in a binary file that
the HLS C++ testbench (hls/tb) and the cocotb suite (sim/) both read.

File layout (little-endian; docs/CONTRACT.md, "Test-vector files"):

    off  size  field
      0     8  magic b"GNNAGGV1"
      8    32  u32 x 8: version(=2), n_dst, n_src, n_edges, feat_dim, mode, expect_error, feat_bits
     40    72  u64 x 9: pointer arguments in contract order (row_ptr, col_idx, edge_w, src_scale,
               dst_scale, feat_in, weight, feat_out, acc_buf); 0 = not used
    112    48  u64 x 6: image_base, image_bytes, expect_bytes, axi_error_base, axi_error_bytes,
               n_pairs (Mode.TILED; 0 otherwise)
    160     -  image: DDR bytes [image_base, image_base + image_bytes)
     ..     -  expected feat_out bytes (n_dst * feat_dim FEAT elements of feat_bits), present when
               expect_error == 0

feat_bits is the FEAT element width of the build the file was made for (HwConfig.feat_bits);
version 1 files had 16-bit features and 0 in its place.

Inside the image every buffer starts BUFFER_ALIGN-aligned and is followed by a GUARD-byte gap
filled with GUARD_BYTE; feat_out starts filled with OUT_FILL_BYTE. After a run, every image byte
outside feat_out and acc_buf must be unchanged, and nothing outside the image may be touched.
Reads in [axi_error_base, +axi_error_bytes) must be answered with SLVERR by the memory model.
"""
from __future__ import annotations

import dataclasses
import struct
from pathlib import Path

import numpy as np

from .contract import ACC_BUF_BITS, BUFFER_ALIGN, BUFFER_NAMES, DEFAULT_HW, Err, HwConfig, Mode, Problem

MAGIC = b"GNNAGGV1"
VERSION = 2
HEADER_BYTES = 160
GUARD = 64
GUARD_BYTE = 0xA5
OUT_FILL_BYTE = 0xCD
DEFAULT_IMAGE_BASE = 0x1000


@dataclasses.dataclass
class Vector:
    """One kernel call: scalars, arrays (contract dtypes), and what must come out."""

    name: str
    problem: Problem
    arrays: dict  # buffer name -> numpy array in the build's element types, only used buffers
    expect: np.ndarray | None  # FEAT integers [n_dst, feat_dim]; None when an error is expected
    expect_error: int = 0
    pointer_override: dict = dataclasses.field(default_factory=dict)  # name -> raw pointer value
    axi_error: tuple = (0, 0)  # (base, bytes) of a read region that answers SLVERR

    def layout(self, hw: HwConfig = DEFAULT_HW, image_base: int = DEFAULT_IMAGE_BASE):
        """Buffer name -> (address, bytes) in the image, and the image size."""
        sizes = {name: a.nbytes for name, a in self.arrays.items()}
        wanted = self.problem.buffer_bytes(hw)  # feat_out and acc_buf are made by the kernel
        for name in ("feat_out", "acc_buf"):
            if name in wanted:
                sizes[name] = wanted[name]
        addr, out = image_base, {}
        for name in BUFFER_NAMES:
            if name in sizes:
                out[name] = (addr, sizes[name])
                addr += _round_up(sizes[name], BUFFER_ALIGN) + GUARD
        return out, addr - image_base

    def changed_outside_outputs(self, memory, hw: HwConfig = DEFAULT_HW,
                                image_base: int = DEFAULT_IMAGE_BASE) -> np.ndarray:
        """Addresses of the bytes of `memory` (the image as it is after a run, from image_base)
        that differ from image() outside feat_out and acc_buf: empty when the kernel wrote only
        its outputs. Every test that checks "nothing else was written" uses this."""
        layout, _ = self.layout(hw, image_base)
        before = self.image(hw, image_base)[1]
        after = np.frombuffer(bytes(memory[:len(before)]), dtype=np.uint8)
        keep = np.ones(len(before), bool)
        for name in ("feat_out", "acc_buf"):
            if name in layout:
                addr, nbytes = layout[name]
                keep[addr - image_base:addr - image_base + nbytes] = False
        return image_base + np.flatnonzero(keep & (after != np.frombuffer(before, np.uint8)))

    def image(self, hw: HwConfig = DEFAULT_HW, image_base: int = DEFAULT_IMAGE_BASE):
        """(pointers in contract order, image bytes)."""
        layout, size = self.layout(hw, image_base)
        img = np.full(size, GUARD_BYTE, dtype=np.uint8)
        for name, (addr, nbytes) in layout.items():
            off = addr - image_base
            if name == "feat_out":
                img[off:off + nbytes] = OUT_FILL_BYTE
            elif name == "acc_buf":
                img[off:off + nbytes] = 0
            else:
                img[off:off + nbytes] = np.ascontiguousarray(self.arrays[name]).view(np.uint8).ravel()
        ptrs = [self.pointer_override.get(n, layout[n][0] if n in layout else 0) for n in BUFFER_NAMES]
        return ptrs, img.tobytes()

    def to_bytes(self, hw: HwConfig = DEFAULT_HW, image_base: int = DEFAULT_IMAGE_BASE) -> bytes:
        p = self.problem
        ptrs, img = self.image(hw, image_base)
        expect = b"" if self.expect is None else \
            np.ascontiguousarray(self.expect, dtype=feat_dtype(hw.feat_bits)).tobytes()
        head = MAGIC + struct.pack("<8I", VERSION, p.n_dst, p.n_src, p.n_edges, p.feat_dim, p.mode,
                                   self.expect_error, hw.feat_bits)
        head += struct.pack("<9Q", *ptrs)
        head += struct.pack("<6Q", image_base, len(img), len(expect), *self.axi_error, p.n_pairs)
        assert len(head) == HEADER_BYTES
        return head + img + expect


@dataclasses.dataclass
class VectorFile:
    """A parsed vector file: what a testbench needs, nothing more."""

    n_dst: int
    n_src: int
    n_edges: int
    feat_dim: int
    mode: int
    expect_error: int
    feat_bits: int
    pointers: dict
    image_base: int
    image: bytes
    expect: np.ndarray | None
    axi_error: tuple
    n_pairs: int = 0

    @property
    def writable(self) -> list[tuple[int, int]]:
        """(address, bytes) ranges the kernel may write: feat_out and acc_buf."""
        sizes = {"feat_out": self.feat_bits // 8 * self.n_dst * self.feat_dim,
                 "acc_buf": ACC_BUF_BITS // 8 * self.n_dst * self.feat_dim}
        return [(self.pointers[n], sizes[n]) for n in ("feat_out", "acc_buf") if self.pointers[n]]


def parse(data: bytes) -> VectorFile:
    if len(data) < HEADER_BYTES or data[:8] != MAGIC:
        raise ValueError("not a gnn_agg vector file (bad magic)")
    version, n_dst, n_src, n_edges, feat_dim, mode, expect_error, feat_bits = struct.unpack_from("<8I", data, 8)
    if version != VERSION:
        raise ValueError(f"vector file version {version}, this reader knows {VERSION}")
    ptrs = struct.unpack_from("<9Q", data, 40)
    image_base, image_bytes, expect_bytes, err_base, err_bytes, n_pairs = struct.unpack_from("<6Q", data, 112)
    if HEADER_BYTES + image_bytes + expect_bytes != len(data):
        raise ValueError("vector file is truncated or has trailing bytes")
    image = data[HEADER_BYTES:HEADER_BYTES + image_bytes]
    expect = None
    if expect_bytes:
        dtype = feat_dtype(feat_bits)
        expect = np.frombuffer(data, dtype=dtype, count=expect_bytes // dtype.itemsize,
                               offset=HEADER_BYTES + image_bytes).reshape(n_dst, feat_dim)
    return VectorFile(n_dst, n_src, n_edges, feat_dim, mode, expect_error, feat_bits,
                      dict(zip(BUFFER_NAMES, ptrs)), image_base, image, expect, (err_base, err_bytes), n_pairs)


def write_dir(vectors, directory, hw: HwConfig = DEFAULT_HW) -> Path:
    """Write one .bin per vector plus an index.txt naming them, in order."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    names = []
    for v in vectors:
        (d / f"{v.name}.bin").write_bytes(v.to_bytes(hw))
        names.append(f"{v.name}.bin")
    (d / "index.txt").write_text("".join(n + "\n" for n in names))
    return d


def feat_dtype(feat_bits: int) -> np.dtype:
    """Little-endian dtype of FEAT elements of `feat_bits` bits in memory."""
    return np.dtype(f"<i{feat_bits // 8}")


def _round_up(n: int, a: int) -> int:
    return -(-n // a) * a


__all__ = ["Vector", "VectorFile", "feat_dtype", "parse", "write_dir", "Err", "Mode"]
