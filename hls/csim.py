"""C simulation of the gnn_agg HLS kernel with g++ against the golden test vectors.

    python hls/csim.py [--config NAME ...] [--n-random N] [--no-sanitize]      (what `make csim` runs)

The configurations are the registry's csim builds (golden/builds.py). For every one: write the
shared case set (golden.cases.standard_cases) as vector files for that build, compile
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

from golden.cases import standard_cases  # noqa: E402
from golden import builds  # noqa: E402
from golden.vectors import parse, write_dir  # noqa: E402

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


def write_vectors(config: Config, n_random: int = 200, seed: int = 1) -> Path:
    """The shared case set for this build, as vector files (rewritten only when missing)."""
    out = BUILD / "vectors" / f"{config.name}-n{n_random}-s{seed}"
    with _locked(f"vectors-{out.name}"):
        if not (out / "index.txt").exists():
            _write_vectors(config, n_random, seed, out)
    return out


def _write_vectors(config: Config, n_random: int, seed: int, out: Path) -> None:
    hw = config.hw
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    write_dir(standard_cases(hw, seed=seed, n_random=n_random), tmp, hw)
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
