"""The contract lives in three languages; this keeps them the same contract.

golden/contract.py is the reference; hls/gnn_agg_regs.h (C) and rtl/gnn_agg_pkg.sv
(SystemVerilog) must name every register, mode bit and error bit with the same value, and the
register offsets in docs/CONTRACT.md's table must match too."""
import re
from pathlib import Path

import pytest

from golden.contract import (BUFFER_ALIGN, HW_MAGIC, IDX16_MAX_SRC, MAX_DEGREE, POINTER_REGS,
                             SCALAR_REGS, STATUS_REGS, Err, Mode, Reg)

ROOT = Path(__file__).resolve().parents[1]
MODE_BITS = ("PRE_SCALE", "POST_SCALE", "EDGE_WEIGHT", "APPLY_W", "RELU", "DRAM_GATHER", "IDX16")


def c_defines() -> dict[str, int]:
    text = (ROOT / "hls/gnn_agg_regs.h").read_text()
    out = {}
    for name, value in re.findall(r"^#define[ \t]+GNN_AGG_(\w+)[ \t]+(\S.*?)[ \t]*$", text, re.M):
        v = value.strip("()")
        shift = re.fullmatch(r"1u\s*<<\s*(\d+)", v)
        out[name] = 1 << int(shift.group(1)) if shift else int(v.rstrip("uU"), 0)
    return out


def sv_params() -> dict[str, int]:
    text = (ROOT / "rtl/gnn_agg_pkg.sv").read_text()
    out = {}
    for name, value in re.findall(r"localparam\s+[^=;]*?\b(\w+)\s*=\s*([^;]+);", text):
        m = re.fullmatch(r"\d+'[hH]([0-9A-Fa-f_]+)", value.strip())
        out[name] = int(m.group(1).replace("_", ""), 16) if m else int(value.strip(), 0)
    return out


@pytest.mark.parametrize("reg", list(Reg), ids=lambda r: r.name)
def test_register_offsets_agree(reg):
    assert c_defines()[f"REG_{reg.name}"] == reg.value
    assert sv_params()[f"REG_{reg.name}"] == reg.value


def test_mode_and_error_bits_agree():
    c, sv = c_defines(), sv_params()
    for name in MODE_BITS:
        bit = int(Mode[name])
        assert c[f"MODE_{name}"] == bit
        assert 1 << sv[f"MODE_{name}"] == bit
    for err in Err:
        assert c[f"ERR_{err.name}"] == int(err)
        assert 1 << sv[f"ERR_{err.name}"] == int(err)
    assert c["HW_MAGIC"] == sv["HW_MAGIC"] == HW_MAGIC
    assert c["BUFFER_ALIGN"] == sv["BUFFER_ALIGN"] == BUFFER_ALIGN
    assert c["MAX_DEGREE"] == sv["MAX_DEGREE"] == MAX_DEGREE
    assert c["IDX16_MAX_SRC"] == sv["IDX16_MAX_SRC"] == IDX16_MAX_SRC


def test_vitis_slot_layout():
    """Pointers take 12-byte slots, scalars and status words 8-byte slots, back to back."""
    offsets = [r.value for r in POINTER_REGS + SCALAR_REGS + STATUS_REGS]
    sizes = [12] * len(POINTER_REGS) + [8] * (len(SCALAR_REGS) + len(STATUS_REGS))
    assert offsets[0] == 0x10
    for off, size, nxt in zip(offsets, sizes, offsets[1:]):
        assert nxt == off + size


def test_markdown_table_agrees():
    text = (ROOT / "docs/CONTRACT.md").read_text()
    rows = dict((name.upper(), int(off, 16)) for off, name in
                re.findall(r"^\| (0x[0-9A-F]{2}) \| (\w+) \|", text, re.M))
    for reg in Reg:
        assert rows[reg.name] == reg.value, reg.name
