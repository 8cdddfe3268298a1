"""Logic depth of a mapped Xilinx netlist: the longest register-to-register path, in LUT levels and
as a delay estimate, from the Yosys JSON netlist of `synth_xilinx -flatten -abc9`; and the
parser of Yosys `ltp` reports (the topological cross-check).

    python rtl/synth/depth.py NETLIST.json FAMILY [PERIOD_NS]    (rtl/synth/synth.py uses it)

Paths start at a clocked output (flip-flop Q, block RAM / URAM read data, DSP48 output, LUT RAM or
SRL read after a write) and end at a clocked input. They run through LUTs, MUXF7/8/9 and carry
cells, through LUT RAM / SRL reads (address to data), and through DSP48 slices whose inputs or
outputs are not registered (A/B/C to P). Each element has a delay (TIMING, ns; estimates, see
there), every hop between cells over general routing one net delay. Yosys does not place or route:
the figure is a depth regression and an Fmax estimate, not timing closure.
"""
from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
from collections import defaultdict


@dataclasses.dataclass(frozen=True)
class Timing:
    """Element delays (ns) of one family and speed grade, and what they come from."""

    name: str
    scale: float        # multiplies the 7-series element delays below
    net: float          # one hop over general routing (typical; an assumption, not a data-sheet figure)
    source: str

    # 7-series -1 element delays: the prjxray-db Artix-7 figures that Yosys's xilinx cells_sim.v
    # specify blocks (the ABC9 delay model) carry
    lut = 0.124         # LUT6 I5->O 127 ps (the I0 pin 642 ps includes its input mux); DS181 TILO
    muxf = 0.296        # MUXF7 S->O (MUXF8 273 ps)
    carry_in = 0.53     # CARRY4 S/DI -> CO[3]/O (the chain's first cell)
    carry_chain = 0.114 # CARRY4 CI -> CO[3]
    lutram = 0.642      # RAM64X1D A0 -> SPO (address to read data)
    ff_clk_q = 0.303    # FDRE C -> Q
    setup = 0.15        # FDRE setup (~0.1) and clock uncertainty: an allowance
    bram_clk_do = 2.454 # RAMB36E1 CLK -> DO without the output register (882 ps with it)
    bram_clk_do_reg = 0.882
    lutram_clk_o = 1.153  # RAM64X1D WCLK -> SPO
    # DSP48E1 (USE_MULT=MULTIPLY, no pre-adder): clock -> P by the last register before P, and the
    # combinational A/B/C -> P delay when nothing between is registered
    dsp_p = {"PREG": 0.329, "MREG": 1.671, "CREG": 1.687, "AREG": 2.952, "BREG": 2.813}
    dsp_comb = {"A": 2.739, "B": 2.608, "C": 1.244, "D": 3.635}
    dsp_setup = {"A": 0.254, "B": 0.324, "C": 0.168, "D": 0.248}
    # URAM288 (UltraScale+ only): CLK -> DOUT without / with the output register (estimates)
    uram_clk_do = 1.8
    uram_clk_do_reg = 0.6

    def d(self, v: float) -> float:
        return v * self.scale

    @property
    def level(self) -> float:
        """One LUT level: a LUT and the net into it."""
        return self.d(self.lut) + self.net

    def budget(self, period_ns: float) -> int:
        """LUT levels that fit a register-to-register path at this period."""
        return math.floor((period_ns - self.d(self.ff_clk_q) - self.d(self.setup)) / self.level)


TIMING = {
    "xc7": Timing(
        "xc7 -1 (Zynq-7020 / Artix-7)", 1.0, 0.5,
        "element delays: prjxray-db Artix-7 (Yosys techlibs/xilinx/cells_sim.v); LUT 0.124 ns = DS181 "
        "TILO at -1; net 0.5 ns per hop is an assumption (typical of placed 7-series -1 designs)"),
    # UltraScale+ element delays: the 7-series ones scaled by the DSP48 ratio, DS925 -1 (0.85 V) /
    # -2 (0.72 V) "two register multiply without MREG" 456 / 440 MHz (2.27 ns) over the 7-series
    # A-register -> P-register path of the table above (2.95 + 0.05 ns): 0.76
    "xcup": Timing(
        "xcup -2LV / -1 (KV260 K26, ZCU104)", 0.76, 0.35,
        "element delays: the xc7 ones x 0.76 (DS925 DSP48 FMAX without MREG, 440 MHz at -2 0.72 V, "
        "against the prjxray 7-series DSP path); net 0.35 ns per hop is an assumption"),
}

LUTS = re.compile(r"^(LUT[1-6]|INV)$")
MUXF = re.compile(r"^MUXF[789]$")
CARRY = re.compile(r"^CARRY(4|8)$")
FF = re.compile(r"^FD[RSCP]E(_1)?$")
BRAM = re.compile(r"^RAMB(18|36)E[12]$")
URAM = re.compile(r"^URAM288(_BASE)?$")
DSP = re.compile(r"^DSP48E[12]$")
SRL = re.compile(r"^SRL(16E|C32E)$")
LUTRAM = re.compile(r"^RAM(32|64|128|256)(M|M16|M8|X1D|X1S)$")
BANK = re.compile(r"(\.\d+)+$")   # a memory cell's bank suffix
CLOCK_BUF = re.compile(r"^BUF(G|GCE|GCTRL|CE_LEAF)$")


def _int(v) -> int:
    return int(v, 2) if isinstance(v, str) and set(v) <= {"0", "1"} else int(v)


@dataclasses.dataclass
class Path:
    """The latest-arriving register-to-register path."""

    delay_ns: float
    lut_levels: int
    logic_levels: int       # every combinational cell on the path, as Vivado counts (ltp's measure)
    dsp_stages: int         # unregistered DSP48 passes on the path
    start: str              # "<cell type> <net or cell> (<source location>)"
    end: str
    cells: list             # [(cell type, source location)] start to end, combinational only
    modules: list           # RTL files the path runs through, in order
    group: str = ""         # by_end: the group of its end


class Netlist:
    """A flattened, Xilinx-mapped Yosys JSON module as a timing graph over net bits."""

    def __init__(self, netlist: dict, timing: Timing, top: str | None = None):
        mods = netlist["modules"]
        if top is None:
            tops = [n for n, m in mods.items() if _int(m.get("attributes", {}).get("top", "0"))]
            if len(tops) != 1:
                raise ValueError(f"netlist: expected one top module, found {tops or 'none'}")
            top = tops[0]
        self.mod = mods[top]
        self.t = timing
        self.names = self._net_names()
        self.driver: dict[int, tuple[str, str]] = {}      # bit -> (cell, port)
        for name, c in self.mod["cells"].items():
            for port, bits in c["connections"].items():
                if c["port_directions"].get(port) == "output":
                    for b in bits:
                        if isinstance(b, int):
                            self.driver[b] = (name, port)

    def _net_names(self) -> dict:
        names: dict[int, str] = {}
        for name, n in self.mod["netnames"].items():
            hidden = _int(n.get("hide_name", 0))
            for i, b in enumerate(n["bits"]):
                if not isinstance(b, int):
                    continue
                label = f"{name}[{i}]" if len(n["bits"]) > 1 else name
                old = names.get(b)
                # a visible name beats a hidden one, then the shorter one
                if old is None or (not hidden and old.startswith("$")) or \
                        (hidden == old.startswith("$") and len(label) < len(old)):
                    names[b] = label
        return names

    # ---- the timing model of each cell ---------------------------------------------------------
    def arcs(self, name: str):
        """(input port, output port, delay ns) of the cell's combinational arcs."""
        c = self.mod["cells"][name]
        ty, t, p = c["type"], self.t, c["parameters"]
        ins = [q for q, d in c["port_directions"].items() if d == "input" and q in c["connections"]]
        outs = [q for q, d in c["port_directions"].items() if d == "output" and q in c["connections"]]
        if LUTS.match(ty):
            return [(i, "O", t.d(t.lut)) for i in ins]
        if MUXF.match(ty):
            return [(i, "O", t.d(t.muxf)) for i in ins]
        if CARRY.match(ty):
            return [(i, o, t.d(t.carry_chain if i in ("CI", "CI_TOP") else t.carry_in)) for i in ins for o in outs]
        if LUTRAM.match(ty) or SRL.match(ty):
            return [(i, o, t.d(t.lutram)) for i in ins for o in outs if self._lutram_reads(ty, i, o)]
        if DSP.match(ty):
            if _int(p.get("PREG", 1)) or _int(p.get("MREG", 1)):
                return [(i, "P", t.d(t.dsp_comb["C"])) for i in ins
                        if i == "C" and not _int(p.get("CREG", 1)) and not _int(p.get("PREG", 1))]
            return [(i, "P", t.d(t.dsp_comb[i])) for i in ins
                    if i in t.dsp_comb and not _int(p.get(f"{i}REG", 1))]
        return []

    @staticmethod
    def _lutram_reads(ty: str, i: str, o: str) -> bool:
        if ty.startswith("SRL"):
            return i.startswith("A") and o == "Q"
        if ty.endswith(("M", "M16", "M8")):   # RAM32M / RAM64M: ADDRx -> DOx
            return i.startswith("ADDR") and o == "DO" + i[4:]
        if ty.endswith("X1D"):
            return (i.startswith("DPRA") and o == "DPO") or (re.fullmatch(r"A\d*", i) is not None and o == "SPO")
        return re.fullmatch(r"A\d*", i) is not None   # X1S: A -> O

    def launch(self, name: str, port: str) -> float | None:
        """Clock -> output delay of a clocked output; None where the output is not clocked."""
        c = self.mod["cells"][name]
        ty, t, p = c["type"], self.t, c["parameters"]
        if FF.match(ty):
            return t.d(t.ff_clk_q)
        if BRAM.match(ty):
            reg = _int(p.get("DOA_REG" if port.startswith(("DOA", "DOPA")) else "DOB_REG", 0))
            return t.d(t.bram_clk_do_reg if reg else t.bram_clk_do)
        if URAM.match(ty):
            reg = p.get("OREG_A" if port.endswith("_A") else "OREG_B", "TRUE")
            return t.d(t.uram_clk_do_reg if str(reg).upper() in ("TRUE", "1") else t.uram_clk_do)
        if DSP.match(ty) and port in ("P", "PCOUT", "CARRYOUT", "PATTERNDETECT"):
            for reg in ("PREG", "MREG", "CREG", "AREG", "BREG"):
                if _int(p.get(reg, 1)):
                    return t.d(t.dsp_p[reg])
            return None
        if LUTRAM.match(ty) or SRL.match(ty):
            return t.d(t.lutram_clk_o)
        return None

    def capture(self, name: str, port: str) -> float | None:
        """Setup time of a clocked input; None where the input is not clocked (combinational or clock)."""
        c = self.mod["cells"][name]
        ty, t, p = c["type"], self.t, c["parameters"]
        if CLOCK_BUF.match(ty) or port in ("C", "CLK", "WCLK", "CLKARDCLK", "CLKBWRCLK"):
            return None
        if FF.match(ty) or BRAM.match(ty) or URAM.match(ty):
            return t.d(t.setup)
        if DSP.match(ty):
            if port in t.dsp_setup and _int(p.get(f"{port}REG", 1)):
                return t.d(t.dsp_setup[port])
            if port in t.dsp_comb:   # unregistered input: through the slice to M or P
                return None if not (_int(p.get("MREG", 1)) or _int(p.get("PREG", 1))) \
                    else t.d(t.dsp_comb[port])
            return t.d(t.setup)
        if LUTRAM.match(ty) or SRL.match(ty):
            return None if any(self._lutram_reads(ty, port, o) for o in c["port_directions"]) else t.d(t.setup)
        return None

    def _hop(self, drv: str, cell: str, port: str) -> float:
        """Net delay from the cell driving a bit into `cell`.`port`: none on slice-internal paths."""
        dt = self.mod["cells"][drv]["type"]
        ct = self.mod["cells"][cell]["type"]
        if CARRY.match(ct) and (port in ("CI", "CI_TOP") or (port in ("S", "DI") and LUTS.match(dt))):
            return 0.0
        if MUXF.match(ct) and port in ("I0", "I1") and (LUTS.match(dt) or MUXF.match(dt)):
            return 0.0
        return self.t.net

    # ---- the longest path ---------------------------------------------------------------------
    def longest(self) -> Path | None:
        """The latest-arriving register-to-register path; None where there is none."""
        ends = self._ends()
        if not ends:
            return None
        worst, end = max(ends, key=lambda e: e[0])
        return self._path(worst, end, self._prev)

    def by_end(self, group) -> list[Path]:
        """The longest path into each group of clocked inputs, longest first; `group(cell, port)`
        names a cell input's group (None: leave it out)."""
        best: dict = {}
        for a, end in self._ends():
            g = group(end[0], end[1])
            if g is not None and (g not in best or a > best[g][0]):
                best[g] = (a, end)
        paths = []
        for g, (a, e) in best.items():
            paths.append(self._path(a, e, self._prev))
            paths[-1].group = g
        return sorted(paths, key=lambda p: -p.delay_ns)

    def by_end_module(self) -> list[Path]:
        """The longest path ending in each RTL file (the end cell's source location; for a cell
        without one, the register it writes, e.g. "? yrow")."""
        return self.by_end(self.end_file)

    def end_file(self, cell: str, port: str) -> str:
        f = self._loc(cell).split(":")[0]
        # a memory's cells share its name up to the bank suffix (".0.3")
        if f != "?":
            return f
        return "? " + BANK.sub("", self._label(cell, port).split("[")[0])

    def _label(self, cell: str, port: str) -> str:
        """A clocked input's name: the register's Q net for a flip-flop, else the input's net."""
        c = self.mod["cells"][cell]
        if not FF.match(c["type"]) and not cell.startswith("$"):
            return cell   # a memory cell keeps the memory's name (e.g. "epilogue.yrow.0.3")
        bits = c["connections"].get("Q") if FF.match(c["type"]) else c["connections"].get(port)
        b = next((b for b in bits or () if isinstance(b, int)), None)
        return self.names.get(b, str(b))

    def _ends(self) -> list:
        """(arrival + setup, (cell, port, bit)) of every clocked input bit a path reaches."""
        if getattr(self, "_end_cache", None) is None:
            self._end_cache = self._compute()
        return self._end_cache

    def _compute(self) -> dict:
        cells = self.mod["cells"]
        arrival: dict[int, float] = {}
        prev: dict[int, tuple | None] = {}     # bit -> (cell, input bit) or None at a launch
        fanin: dict[int, list] = defaultdict(list)   # output bit -> [(input bit, delay, cell, port)]
        for name, c in cells.items():
            for i, o, d in self.arcs(name):
                for ob in c["connections"][o]:
                    if isinstance(ob, int):
                        fanin[ob].extend((ib, d, name, i) for ib in c["connections"][i] if isinstance(ib, int))
        launched = {}
        for b, (name, port) in self.driver.items():
            lt = self.launch(name, port)
            if lt is not None:
                launched[b] = lt
                if b not in fanin:
                    arrival[b], prev[b] = lt, None

        # arrival times in topological order (iterative: the graph is deep)
        state: dict[int, int] = {}
        for root in list(fanin):
            if root in state:
                continue
            stack = [(root, 0)]
            while stack:
                b, k = stack.pop()
                if k == 0:
                    if state.get(b) == 2:
                        continue
                    state[b] = 1
                deps = fanin.get(b, ())
                while k < len(deps) and (deps[k][0] not in fanin or state.get(deps[k][0]) == 2):
                    k += 1
                if k < len(deps):
                    ib = deps[k][0]
                    if state.get(ib) == 1:
                        raise ValueError(f"combinational loop at {self.names.get(ib, ib)}")
                    stack.append((b, k + 1))
                    stack.append((ib, 0))
                    continue
                best, arg = launched.get(b), None
                for ib, d, name, port in deps:
                    if ib not in arrival:
                        continue
                    a = arrival[ib] + self._hop(self.driver[ib][0], name, port) + d
                    if best is None or a > best:
                        best, arg = a, (name, ib)
                if best is not None:
                    arrival[b], prev[b] = best, arg
                state[b] = 2

        self._prev = prev
        ends: list = []
        for name, c in cells.items():
            for port, bits in c["connections"].items():
                if c["port_directions"].get(port) != "input":
                    continue
                su = self.capture(name, port)
                if su is None:
                    continue
                for b in bits:
                    if isinstance(b, int) and b in arrival and b in self.driver:
                        ends.append((arrival[b] + self._hop(self.driver[b][0], name, port) + su, (name, port, b)))
        return ends

    def _end_name(self, cell: str, port: str, bit: int) -> str:
        """A flip-flop end by the register it writes (its Q net), a memory by its cell name, other
        ends by the input net."""
        c = self.mod["cells"][cell]
        if not FF.match(c["type"]) and not cell.startswith("$"):
            return f"{cell} {self.names.get(bit, bit)}"
        if FF.match(c["type"]):
            q = [b for b in c["connections"].get("Q", ()) if isinstance(b, int)]
            if q:
                return self.names.get(q[0], str(q[0]))
        return str(self.names.get(bit, bit))

    def _loc(self, name: str) -> str:
        src = self.mod["cells"][name].get("attributes", {}).get("src", "")
        # the RTL's own locations; Yosys's techmap files (/share/...) name no RTL
        rtl = [s for s in src.split("|") if s and not s.startswith("/")]
        return rtl[0].split("-")[0] if rtl else "?"

    def _path(self, delay: float, end: tuple, prev: dict) -> Path:
        cells = self.mod["cells"]
        name, port, b = end
        chain = []
        while prev.get(b) is not None:
            cell, b = prev[b]
            chain.append(cell)
        chain.reverse()
        start_cell, start_port = self.driver[b]
        kinds = [cells[c]["type"] for c in chain]
        mods = []
        for c in [start_cell] + chain + [name]:
            f = self._loc(c).split(":")[0]
            if f != "?" and (not mods or mods[-1] != f):
                mods.append(f)
        return Path(
            delay_ns=round(delay, 3),
            lut_levels=sum(1 for k in kinds if LUTS.match(k) or LUTRAM.match(k) or SRL.match(k)),
            logic_levels=len(chain),
            dsp_stages=sum(1 for k in kinds if DSP.match(k)),
            start=f"{cells[start_cell]['type']}.{start_port} {self.names.get(b, b)} ({self._loc(start_cell)})",
            end=f"{cells[name]['type']}.{port} {self._end_name(name, port, end[2])} ({self._loc(name)})",
            cells=[(cells[c]["type"], self._loc(c)) for c in chain],
            modules=mods,
        )


LTP_HEAD = re.compile(r"^Longest topological path in (\S+) \(length=(-?\d+)\):", re.M)
LTP_STEP = re.compile(r"^\s+(\d+): (.+?)(?: \(via (\S+)\))?$")


def parse_ltp(text: str) -> dict:
    """A Yosys `ltp` report: {"module", "length", "path": [(net, via cell or None)]} of the last one."""
    heads = list(LTP_HEAD.finditer(text))
    if not heads:
        raise ValueError("no 'Longest topological path' line in the ltp report")
    h = heads[-1]
    path = []
    for line in text[h.end():].splitlines()[1:]:
        m = LTP_STEP.match(line)
        if not m:
            break
        path.append((m.group(2), m.group(3)))
    return {"module": h.group(1), "length": int(h.group(2)), "path": path}


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) not in (2, 3) or argv[1] not in TIMING:
        sys.exit(f"usage: depth.py NETLIST.json {{{'|'.join(TIMING)}}} [PERIOD_NS]")
    t = TIMING[argv[1]]
    with open(argv[0]) as f:
        p = Netlist(json.load(f), t).longest()
    print(json.dumps(dataclasses.asdict(p), indent=1) if p else "no register-to-register path")
    if p and len(argv) == 3:
        print(f"budget at {argv[2]} ns: {t.budget(float(argv[2]))} LUT levels ({t.name})")


if __name__ == "__main__":
    main()
