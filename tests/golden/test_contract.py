"""The contract lives in three languages; this keeps them the same contract.

golden/contract.py is the reference; hls/gnn_agg_regs.h (C) and rtl/gnn_agg_pkg.sv
(SystemVerilog) must name every register, mode bit and error bit with the same value, and the
register offsets in docs/CONTRACT.md's table must match too."""
import re
from pathlib import Path

import pytest

from golden.contract import (ACC_BUF_BITS, BUFFER_ALIGN, COEF_BITS, DEFAULT_HW, FORMAT_FIELDS, HW_MAGIC, IDX16_MAX_SRC,
                             MAX_DEGREE, POINTER_REGS, SCALAR_REGS, STATUS_REGS, Err, HwConfig, Mode, Reg)

ROOT = Path(__file__).resolve().parents[2]
MODE_BITS = ("PRE_SCALE", "POST_SCALE", "EDGE_WEIGHT", "APPLY_W", "RELU", "DRAM_GATHER", "IDX16", "TILED")


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
    assert c["COEF_BITS"] == sv["COEF_BITS"] == COEF_BITS
    assert c["ACC_BUF_BITS"] == sv["ACC_BUF_BITS"] == ACC_BUF_BITS


def test_default_formats_agree():
    """The default number formats are the same in HwConfig, the RTL top's parameters, the RTL
    control's HW_FORMATS default and the HLS kernel's overridable macros."""
    top = (ROOT / "rtl/gnn_agg.sv").read_text()
    rtl = {name: int(v) for name, v in re.findall(r"parameter int (\w+) = (\d+)", top)}
    types = (ROOT / "hls/gnn_agg_types.h").read_text()
    hls = {name: int(v) for name, v in re.findall(r"#define GNN_AGG_(\w+) (\d+)", types)}
    for field in FORMAT_FIELDS:
        assert rtl[field.upper()] == hls[field.upper()] == getattr(DEFAULT_HW, field), field
    control = (ROOT / "rtl/gnn_agg_control.sv").read_text()
    word = re.search(r"HW_FORMATS_WORD = 32'h([0-9A-Fa-f]+)", control).group(1)
    assert int(word, 16) == DEFAULT_HW.hw_formats_word


def test_formats_word_round_trips():
    hw = HwConfig(feat_bits=8, feat_frac=4, wgt_frac=6, coef_frac=14, acc_bits=24)
    assert HwConfig.formats_from_word(hw.hw_formats_word) == {f: getattr(hw, f) for f in FORMAT_FIELDS}
    assert hw.hw_formats_word == 8 | 4 << 6 | 6 << 12 | 14 << 18 | 24 << 24
    fmt = hw.formats
    assert (fmt.feat.bits, fmt.feat.frac, fmt.wgt.bits, fmt.wgt.frac) == (8, 4, 8, 6)
    assert (fmt.coef.bits, fmt.coef.frac, fmt.acc.bits, fmt.acc.frac) == (16, 14, 24, 4)
    assert hw.feat_align == 16 and HwConfig(bus_bits=128, lanes=8, feat_bits=8, feat_frac=4, wgt_frac=6,
                                             acc_bits=24).feat_align == 16


@pytest.mark.parametrize("fields,message", [
    (dict(feat_bits=12), "feat_bits must be one of"),
    (dict(feat_bits=8, feat_frac=4, wgt_frac=6, acc_bits=23), "acc_bits must be 24..32"),
    (dict(acc_bits=40), "acc_bits must be 32..32"),
    (dict(feat_bits=8), "feat_frac must be 0..7"),
    (dict(coef_frac=17), "coef_frac must be 1..16"),
    (dict(wgt_frac=0), "wgt_frac must be 1..15"),
])
def test_illegal_formats_are_rejected(fields, message):
    """The rules the RTL checks at elaboration (tests/rtl/test_lint.py), as ValueErrors."""
    with pytest.raises(ValueError, match=message):
        HwConfig(**fields)


def test_vitis_slot_layout():
    """Pointers take 12-byte slots, scalars and status words 8-byte slots, back to back."""
    offsets = [r.value for r in POINTER_REGS + SCALAR_REGS + STATUS_REGS]
    # the tiled layout's scalar sits past the hardware words and TIMEOUT, in a slot of its own
    assert Reg.N_PAIRS == Reg.TIMEOUT + 4 and Reg.N_PAIRS not in offsets
    sizes = [12] * len(POINTER_REGS) + [8] * (len(SCALAR_REGS) + len(STATUS_REGS))
    assert offsets[0] == 0x10
    for off, size, nxt in zip(offsets, sizes, offsets[1:]):
        assert nxt == off + size


def test_markdown_table_agrees():
    text = (ROOT / "docs/CONTRACT.md").read_text()
    rows = dict((name.upper(), int(off, 16)) for off, name in
                re.findall(r"^\| (0x[0-9A-F]{2,3}) \| (\w+) \|", text, re.M))
    for reg in Reg:
        assert rows[reg.name] == reg.value, reg.name
