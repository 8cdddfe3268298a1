"""C simulation of the gnn_agg HLS kernel with g++ against the golden test vectors.

    python hls/csim.py [--config NAME ...] [--n-random N] [--no-sanitize]      (what `make csim` runs)

The configurations are the registry's csim builds (golden/builds.py). For every one: write the
shared case set (golden.cases.standard_cases) and the TILED-mode set (tiled_cases: tiled layouts
from golden.graph.tile_csr, and malformed ones with their exact stat_error) as vector files for
that build, compile
hls/tb/tb_gnn_agg.cpp with the kernel (-O1, ASan + UBSan) and run it on every file. The ap_int.h / ap_fixed.h headers (Apache-2.0) come from the PyPI wheel of
hls4ml==1.3.0, fetched once into build/hls/; its hls_stream.h is not used (hls/sim/ has ours).
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import fcntl
import hashlib
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from golden.cases import NORMS, make_vector, random_features, random_graph, standard_cases  # noqa: E402
from golden.cases import tiled_cases as shared_tiled_cases  # noqa: E402
from golden import builds  # noqa: E402
from golden.contract import MAX_DEGREE, TILE_ADD, TILE_END, TILE_FIN, TILE_ROW_MASK, Err, HwConfig, Mode, Problem  # noqa: E402
from golden.graph import CSR, tile_edges  # noqa: E402
from golden.vectors import Vector, feat_dtype, parse, write_dir  # noqa: E402

BUILD = ROOT / "build" / "hls"
HLS4ML = "hls4ml==1.3.0"
AP_TYPES_IN_WHEEL = "hls4ml/templates/vivado/ap_types/"
AP_TYPES = BUILD / "ap_types"
SOURCES = [ROOT / "hls" / "gnn_agg.cpp", ROOT / "hls" / "tb" / "tb_gnn_agg.cpp"]
HEADERS = sorted((ROOT / "hls").glob("*.h")) + [ROOT / "hls" / "sim" / "hls_stream.h"]
CXXFLAGS = ["-std=c++20", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-Wno-unused-label",
            "-Wno-unknown-pragmas", "-Wno-maybe-uninitialized", "-Wno-uninitialized"]
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
#: the HLS kernel has one processing element whatever the board (docs/HLS.md, "Why one PE")
HLS_PES = builds.HLS_PES
#: a C-simulation configuration is a registry build of the HLS kernel (golden/builds.py): .name,
#: .hw (HwConfig), .hls_defines (the -DGNN_AGG_* flags, the same the Vitis HLS flow uses)
Config = builds.Build
#: make csim runs these (golden.builds.select("csim")), in registry order
CONFIGS = {b.name: b for b in builds.select("csim")}
#: what the test suite runs (make test): select("csim-test"), builds with small node tables
#: so that the random cases run tiled too
TEST_CONFIGS = tuple(b.name for b in builds.select("csim-test"))


@dataclasses.dataclass
class Result:
    config: str
    vectors: int
    bit_exact: int
    failed: int
    skipped: list[str]
    hw_params: int
    output: str

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.bit_exact > 0 and self.bit_exact + len(self.skipped) == self.vectors


@contextlib.contextmanager
def _locked(name: str):
    """Serialise a build step across processes (pytest-xdist workers, parallel makes)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / f".{name}.lock", "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def ensure_ap_types() -> Path:
    """build/hls/ap_types with ap_int.h, ap_fixed.h and their includes (idempotent)."""
    with _locked("ap_types"):
        if not (AP_TYPES / "ap_fixed.h").exists():
            _extract_ap_types()
    return AP_TYPES


def _extract_ap_types() -> None:
    dl = BUILD / "dl"
    wheels = sorted(dl.glob("hls4ml-1.3.0-*.whl"))
    if not wheels:
        dl.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", HLS4ML, "-d", str(dl)],
                       check=True)
        wheels = sorted(dl.glob("hls4ml-1.3.0-*.whl"))
    if not wheels:
        raise RuntimeError(f"pip download of {HLS4ML} left no wheel in {dl}")
    tmp = BUILD / "ap_types.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    with zipfile.ZipFile(wheels[0]) as whl:
        for member in whl.namelist():
            rel = member[len(AP_TYPES_IN_WHEEL):]
            # hls_stream.h carries a proprietary notice: hls/sim/hls_stream.h replaces it
            if not member.startswith(AP_TYPES_IN_WHEEL) or not rel or rel.endswith("/") \
                    or rel == "hls_stream.h":
                continue
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(whl.read(member))
    if not (tmp / "ap_fixed.h").exists():
        raise RuntimeError(f"{wheels[0].name} has no {AP_TYPES_IN_WHEEL}ap_fixed.h")
    shutil.rmtree(AP_TYPES, ignore_errors=True)
    tmp.rename(AP_TYPES)


def tiled_feat_dim(hw: HwConfig) -> int:
    """The feature width of the TILED cases: the narrowest with at most 64 table rows (so that
    small builds run 4 partitions of a few dozen rows), else max_feat (fewest rows per partition)."""
    fa = hw.feat_align
    return next((d for d in range(fa, hw.max_feat + 1, fa) if hw.table_rows(d) <= 64), hw.max_feat)


def _plan_graph(rng, rows: int, n_src: int, plan) -> CSR:
    """A CSR whose row r reads 1-4 sources of each partition in plan[r] (partitions of `rows`
    rows), in shuffled order, some with duplicate edges."""
    cols = []
    for kind in plan:
        row = []
        for part in kind:
            lo, hi = part * rows, min((part + 1) * rows, n_src)
            row += list(rng.integers(lo, hi, int(rng.integers(1, 5))))
        if row and rng.random() < 0.2:
            row += row[:2]
        cols.append(rng.permutation(np.array(row, np.int64)))
    row_ptr = np.concatenate([[0], np.cumsum([len(c) for c in cols])]).astype(np.uint32)
    edges = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    return CSR(row_ptr, edges.astype(np.uint32), n_src)


def tiled_cases(hw: HwConfig, seed: int = 1, n_random: int = 40) -> list[Vector]:
    """TILED-mode vectors (docs/CONTRACT.md, "Tiled layout"): golden layouts of graphs over 1-4
    source partitions -- rows that read chosen sets of partitions (ADD / FIN in every combination,
    runs of rows a pass does not touch), rows without edges, a partition no edge reads, n_src a
    multiple of R, a 4096-edge hub, every normalization, W + ReLU, random graphs -- in the host's
    pass order (golden.graph.pass_order), ascending, shuffled and random orders, each with the
    CSR run's golden output; a tile split by a second marker of its partition (one pass more than
    P) and markers with ADD / FIN bits, both still exact; then malformed layouts, each with the
    error bits the contract gives it. Builds whose partitions are large (more than 64 rows at
    max_feat: the boards' node tables, whose feature tables run to megabytes) get the symmetric,
    weighted and W + ReLU plan graphs, one partition and four random graphs, no error cases:
    those run on the -tiled builds, which have the same bus and lanes and a small table."""
    rng = np.random.default_rng(seed)
    feat_dim = tiled_feat_dim(hw)
    rows = hw.table_rows(feat_dim)
    n_src = 3 * rows + rows // 2 + 1  # four partitions, the remainder (pass 0) smaller
    large = rows > 64
    if large:
        n_random = min(n_random, 4)

    def vec(name, csr, norm, **kw):
        x = random_features(rng, csr.n_src, feat_dim, hw=hw)
        return make_vector(f"tiled_{name}", csr, x, norm, rng, hw=hw, tiled=True, **kw)

    def parts(csr):
        return hw.partitions(csr.n_src, feat_dim)

    kinds = [(), (3,), (0,), (1,), (2,), (3, 0), (3, 2), (2, 1), (1, 0), (3, 1), (2, 0), (3, 1, 0), (3, 2, 1, 0)]
    plan = [(), (3,), (0,), (3, 0)] + kinds + [(1,)] * 20 + kinds + [(3, 2, 1, 0)] * 10 + [()] * 5
    plan += [kinds[int(i)] for i in rng.integers(0, len(kinds), 30)] + [()]
    planned = _plan_graph(rng, rows, n_src, plan)
    out = [vec(f"plan_{norm}", planned, norm) for norm in (("symmetric", "weighted") if large else NORMS)]
    out.append(vec("plan_w_relu", planned, "symmetric", apply_w=True, relu=True))
    out.append(vec("plan_ascending", planned, "symmetric", tile_order=tuple(range(parts(planned)))))
    out.append(vec("plan_shuffled", planned, "weighted", tile_order=tuple(int(q) for q in rng.permutation(4))))
    out.append(vec("one_partition", _plan_graph(rng, rows, rows, [(0,), (), (0,)] * 8), "symmetric", relu=True))
    if not large:
        out.append(vec("empty_partitions", _plan_graph(rng, rows, n_src, [(3,), (0,), (3, 0), (), (0,)] * 6), "mean"))
        out.append(vec("n_src_multiple_of_r", _plan_graph(rng, rows, 2 * rows, [(1,), (0,), (1, 0), ()] * 6),
                       "weighted"))
        out.append(vec("rows_without_edges", CSR(np.zeros(9, np.uint32), np.zeros(0, np.uint32), 2 * rows + 1),
                       "symmetric"))
        out.append(vec("no_rows", CSR(np.zeros(1, np.uint32), np.zeros(0, np.uint32), n_src), "sum"))
        hub = [rng.integers(3 * rows, n_src, 3), rng.integers(0, n_src, 4096), rng.integers(0, rows, 2)]
        out.append(vec("hub_4096", CSR(np.array([0, 3, 4099, 4101], np.uint32), np.concatenate(hub).astype(np.uint32),
                                       n_src), "sum"))
    for i in range(n_random):
        g = random_graph(rng, int(rng.integers(0, 41)), int(rng.integers(1, 4 * rows + 1)), rng.uniform(0, 8),
                         skew=rng.uniform(0.3, 1.5))
        order = tuple(int(q) for q in rng.permutation(parts(g))) if rng.random() < 0.5 else None
        out.append(vec(f"random_{i:03d}", g, str(rng.choice(NORMS)), apply_w=bool(rng.random() < 0.3),
                       relu=bool(rng.random() < 0.4), tile_order=order))
    if large:
        return out
    out += tiled_marker_cases(out[0])
    # the shared set the RTL runs too (golden.cases.tiled_cases), so both kernels meet the same
    # layouts, among them one partition with wrong ADD / FIN flags and acc_buf = 0
    shared = [dataclasses.replace(v, name=f"shared_{v.name}") for v in shared_tiled_cases(hw, seed)]
    return out + tiled_error_cases(hw, planned, rng) + shared


def tiled_marker_cases(base: Vector) -> list[Vector]:
    """Layouts of `base` (four tiles) that validate_tiled rejects and the kernel still runs
    exactly: tile 1 split in two by a second marker of its partition (each half a pass that loads
    the partition; every row still listed once), and every marker with ADD and FIN set (ignored)."""
    pairs = base.arrays["row_ptr"]
    marks = np.flatnonzero(pairs[:, 0] & TILE_END)
    j = (marks[1] + marks[2] + 1) // 2   # a row of tile 1, not its first
    assert marks[1] + 1 < j < marks[2], "tile 1 needs two rows"
    split = np.insert(pairs, j, [pairs[marks[1], 0], pairs[j - 1, 1]], axis=0)
    flagged = pairs.copy()
    flagged[marks, 0] |= np.uint32(TILE_ADD | TILE_FIN)
    p = base.problem
    return [Vector("tiled_split_tile", Problem(**{**dataclasses.asdict(p), "n_pairs": p.n_pairs + 1}),
                   {**base.arrays, "row_ptr": split}, base.expect),
            Vector("tiled_marker_flags", p, {**base.arrays, "row_ptr": flagged}, base.expect)]


def tiled_error_cases(hw: HwConfig, csr: CSR, rng) -> list[Vector]:
    """Malformed TILED calls built from the layout of `csr` (four partitions), each with the
    stat_error bits the contract gives it; every edit keeps the other pairs and indices valid, so
    no other bit can be due."""
    feat_dim = tiled_feat_dim(hw)
    base = make_vector("tiled_base", csr, random_features(rng, csr.n_src, feat_dim, hw=hw), "sum", rng, hw=hw,
                       tiled=True)
    p = base.problem
    pairs = base.arrays["row_ptr"]
    word, (_, end) = pairs[:, 0].astype(np.int64), tile_edges(pairs)
    marks = np.flatnonzero(word & TILE_END)
    assert len(marks) == 4, "the error cases need four tiles"
    rows = hw.table_rows(feat_dim)
    out = []

    def variant(name, err, problem=None, pointer=None, **arrays):
        v = Vector(f"err_tiled_{name}", problem or p, {**base.arrays, **arrays}, None, int(err))
        v.pointer_override = pointer or {}
        out.append(v)

    def edit(j, w=None, e=None):
        q = pairs.copy()
        if w is not None:
            q[j, 0] = w
        if e is not None:
            q[j, 1] = e
        return q

    def problem(**changes):
        return Problem(**{**dataclasses.asdict(p), **changes})

    # tile k: the pairs marks[k] + 1 .. marks[k + 1] - 1 (the last tile: to the end)
    parts = [int(w) & TILE_ROW_MASK for w in word[marks]]
    # ROW_PTR while running
    last_row = marks[2] - 1  # the last row of tile 1: naming n_dst keeps the order
    variant("row_eq_n_dst", Err.ROW_PTR, row_ptr=edit(last_row, w=int(word[last_row]) & ~TILE_ROW_MASK | p.n_dst))
    j = marks[2] + 1  # two rows of tile 2 swapped, edges kept
    swapped = edit(j, w=int(word[j + 1]))
    swapped[j + 1, 0] = word[j]
    variant("rows_not_ascending", Err.ROW_PTR, row_ptr=swapped)
    # tile 2's marker takes the first edge of its tile, made an index no partition has: a marker's
    # edges are dropped unchecked, so ROW_PTR alone
    col = base.arrays["col_idx"].copy()
    col[end[marks[2]]] = 0xFFFF
    variant("marker_with_edges", Err.ROW_PTR, row_ptr=edit(marks[2], e=int(end[marks[2]]) + 1), col_idx=col)
    k = next(i for i in range(marks[1] + 2, marks[2]) if end[i - 1] > end[i - 2])  # row with edges in tile 1
    variant("end_decreasing", Err.ROW_PTR, row_ptr=edit(k - 1, e=int(end[k - 1]) - 1 - int(end[k - 1] - end[k - 2])))
    # a marker naming partition P (one past the last): before tile 2 with no pairs of its own,
    # ROW_PTR alone; in place of tile 2's, its pass loads no rows and every edge of the tile is INDEX
    extra = np.insert(pairs, marks[2], [TILE_END | len(marks), end[marks[2]]], axis=0)
    variant("marker_past_p_empty", Err.ROW_PTR, row_ptr=extra, problem=problem(n_pairs=p.n_pairs + 1))
    variant("marker_past_p", Err.ROW_PTR | Err.INDEX, row_ptr=edit(marks[2], w=TILE_END | len(marks)))
    hub = np.array([[TILE_END, 0], [0 | TILE_FIN, MAX_DEGREE + 1]], "<u4")
    out.append(Vector("err_tiled_degree_over_max", Problem(1, 1, MAX_DEGREE + 1, feat_dim, int(Mode.TILED), 2),
                      {"row_ptr": hub, "col_idx": np.zeros(MAX_DEGREE + 1, "<u2"),
                       "feat_in": random_features(rng, 1, feat_dim, hw=hw).astype(feat_dtype(hw.feat_bits))},
                      None, int(Err.ROW_PTR)))
    # ROW_PTR before the passes: the last edge end is not n_edges
    variant("last_end", Err.ROW_PTR, row_ptr=edit(len(pairs) - 1, e=p.n_edges - 1))
    # INDEX: a local index past the remainder partition (3), and 0xFFFF in the last edge
    t = parts.index(3)
    col = base.arrays["col_idx"].copy()
    col[end[marks[t]]] = csr.n_src - 3 * rows
    assert end[marks[t]] < (end[marks[t + 1]] if t + 1 < 4 else p.n_edges), "partition 3 needs edges"
    variant("index_past_remainder", Err.INDEX, col_idx=col)
    col = base.arrays["col_idx"].copy()
    col[-1] = 0xFFFF
    variant("index_ffff", Err.INDEX, col_idx=col)
    # ARG, ALIGN, RANGE: nothing is touched
    variant("with_dram_gather", Err.ARG, problem=problem(mode=p.mode | Mode.DRAM_GATHER))
    variant("with_idx16", Err.ARG, problem=problem(mode=p.mode | Mode.IDX16))
    variant("n_pairs_zero", Err.ARG, problem=problem(n_pairs=0))
    layout, _ = base.layout(hw)
    variant("misaligned_row_ptr", Err.ALIGN, pointer={"row_ptr": layout["row_ptr"][0] + 8})
    assert 8 * p.n_pairs > 64
    variant("wrapping_row_ptr", Err.RANGE, pointer={"row_ptr": (1 << 64) - 64})
    return out


def write_vectors(config: Config, n_random: int = 200, seed: int = 1) -> Path:
    """The shared case set and the TILED set for this build, as vector files (rewritten when the
    code that makes them, golden/ and this file, changes)."""
    digest = hashlib.sha256()
    for f in sorted((ROOT / "golden").glob("*.py")) + [Path(__file__).resolve()]:
        digest.update(f.read_bytes())
    out = BUILD / "vectors" / f"{config.name}-n{n_random}-s{seed}-{digest.hexdigest()[:12]}"
    with _locked(f"vectors-{out.name}"):
        if not (out / "index.txt").exists():
            _write_vectors(config, n_random, seed, out)
    return out


def _write_vectors(config: Config, n_random: int, seed: int, out: Path) -> None:
    hw = config.hw
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    write_dir(standard_cases(hw, seed=seed, n_random=n_random) + tiled_cases(hw, seed, n_random // 5), tmp, hw)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)


def compile_tb(config: Config, sanitize: bool = True) -> Path:
    """The testbench binary for this build; rebuilt when sources, headers or flags change."""
    ap = ensure_ap_types()
    flags = CXXFLAGS + (SANITIZE if sanitize else []) + config.hls_defines + [
        f"-I{ROOT / 'hls'}", f"-I{ROOT / 'hls' / 'sim'}", "-isystem", str(ap)]
    digest = hashlib.sha256(" ".join(flags).encode())
    for f in SOURCES + HEADERS:
        digest.update(f.read_bytes())
    stem = f"tb_gnn_agg-{config.name}-{'san' if sanitize else 'plain'}"
    exe = BUILD / "tb" / f"{stem}-{digest.hexdigest()[:12]}"
    with _locked(f"tb-{stem}"):
        if not exe.exists():
            exe.parent.mkdir(parents=True, exist_ok=True)
            for stale in exe.parent.glob(f"{stem}-*"):
                stale.unlink()
            tmp = exe.with_name(exe.name + ".partial")
            print(f"compiling the HLS C testbench for {config.name} with g++ (about a minute with the "
                  f"sanitizers; cached in {exe.parent})", file=sys.stderr, flush=True)
            t0 = time.monotonic()
            proc = subprocess.run(["g++", *flags, *map(str, SOURCES), "-o", str(tmp)], capture_output=True,
                                  text=True)
            if proc.returncode:
                raise RuntimeError(f"g++ failed for {config.name}:\n{proc.stderr[-6000:]}")
            tmp.rename(exe)
            print(f"compiled {exe.name} in {time.monotonic() - t0:.0f} s", file=sys.stderr, flush=True)
    return exe


def run_tb(config: Config, exe: Path, vectors: Path) -> Result:
    proc = subprocess.run([str(exe), str(vectors)], capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    summary = re.search(r"csim: (\d+) vectors checked: (\d+) bit-exact, (\d+) failed, (\d+) skipped", out)
    params = re.search(r"hw_params 0x([0-9a-f]+)", out)
    if not summary or not params:
        raise RuntimeError(f"testbench for {config.name} ended without a summary (exit {proc.returncode}):\n"
                           f"{out[-6000:]}")
    checked, exact, failed, _ = map(int, summary.groups())
    skipped = re.findall(r"^skip (\S+):", out, re.M)
    total = len((vectors / "index.txt").read_text().split())
    result = Result(config.name, total, exact, failed, skipped, int(params.group(1), 16), out)
    if proc.returncode != (0 if result.ok else 1) or checked + len(skipped) != total:
        raise RuntimeError(f"testbench for {config.name}: exit {proc.returncode} does not match its summary:\n"
                           f"{out[-6000:]}")
    return result


def expected_skips(vectors: Path) -> list[str]:
    """Vector files the testbench must skip: those with an AXI read-error window."""
    names = (vectors / "index.txt").read_text().split()
    return [n for n in names if parse((vectors / n).read_bytes()).axi_error[1]]


def run_config(config: Config, n_random: int = 200, sanitize: bool = True) -> Result:
    vectors = write_vectors(config, n_random)
    return run_tb(config, compile_tb(config, sanitize), vectors)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", action="append", choices=sorted(CONFIGS),
                    help="build configuration (repeatable; default: all)")
    ap.add_argument("--n-random", type=int, default=200, help="random cases per configuration")
    ap.add_argument("--no-sanitize", action="store_true", help="build without ASan/UBSan")
    ap.add_argument("-j", "--jobs", type=int, default=2, help="parallel compilations")
    args = ap.parse_args(argv)
    configs = [CONFIGS[n] for n in (args.config or CONFIGS)]
    from tqdm import tqdm

    ensure_ap_types()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        jobs = [pool.submit(run_config, c, args.n_random, not args.no_sanitize) for c in configs]
        for job in tqdm(concurrent.futures.as_completed(jobs), total=len(jobs), desc="csim", unit="config"):
            results.append(job.result())
    results.sort(key=lambda r: list(CONFIGS).index(r.config))
    for r in results:
        hw = CONFIGS[r.config].hw
        print(f"{r.config:24s} bus {hw.bus_bits:3d}, lanes {hw.lanes:2d}, table {hw.table_elems:7d}: "
              f"{r.bit_exact}/{r.vectors} bit-exact, {r.failed} failed, {len(r.skipped)} skipped "
              f"({', '.join(r.skipped)}: AXI error injection needs a bus model)")
        for line in r.output.splitlines():
            if line.startswith("FAIL"):
                print("   ", line)
    exact = sum(r.bit_exact for r in results)
    total = sum(r.vectors for r in results)
    skipped = sum(len(r.skipped) for r in results)
    if all(r.ok for r in results):
        print(f"csim: {len(results)} vector sets, {total} vectors: all {exact} run bit-exact, "
              f"{skipped} skipped")
        return 0
    print(f"csim: FAILED: {sum(r.failed for r in results)} of {total} vectors")
    return 1


if __name__ == "__main__":
    sys.exit(main())
