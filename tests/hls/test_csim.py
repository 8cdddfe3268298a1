"""HLS kernel in C simulation (g++, -O1, ASan + UBSan) against the shared golden case set.

Each configuration compiles hls/tb/tb_gnn_agg.cpp with the kernel for one board's parameters
(with a small node table, so random cases also run tiled) and checks every vector bit-exact,
with the expected stat_error and no write outside feat_out/acc_buf. Also: the testbench itself
catches a wrong output and a wrong error word, the register offsets in the interface pragmas
are the contract's, and the kernel sources parse as C++14 (the Vitis HLS front end). The set includes
the TILED-mode cases of hls/csim.py (tiled_cases)."""
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from golden.contract import Err, Reg
from golden.vectors import parse

ROOT = Path(__file__).resolve().parents[2]
EXPECT_ERROR_AT = 32  # byte offset of expect_error in a vector file header (golden/vectors.py)


def _load_csim():
    spec = importlib.util.spec_from_file_location("hls_csim", ROOT / "hls" / "csim.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


csim = _load_csim()


@pytest.mark.parametrize("name", csim.TEST_CONFIGS)
def test_csim_bit_exact(name):
    config = csim.CONFIGS[name]
    vectors = csim.write_vectors(config)
    result = csim.run_tb(config, csim.compile_tb(config, sanitize=True), vectors)
    assert result.failed == 0, "\n".join(l for l in result.output.splitlines() if l.startswith("FAIL"))
    assert result.skipped == csim.expected_skips(vectors) != []
    assert result.bit_exact == result.vectors - len(result.skipped) > 200
    assert result.hw_params == config.hw.hw_params_word


def _with_header_word(data: bytes, offset: int, value: int) -> bytes:
    return data[:offset] + value.to_bytes(4, "little") + data[offset + 4:]


def test_testbench_catches_wrong_results(tmp_path):
    """A flipped output bit and a wrong expected error word must both fail, by name."""
    config = csim.CONFIGS["pynq-z2-hls-tiled"]
    vectors = csim.write_vectors(config)
    clean = (vectors / "hub_4096_symmetric.bin").read_bytes()
    v = parse(clean)
    assert v.expect_error == 0 and v.expect is not None
    out_at = len(clean) - v.expect.nbytes + 2 * int(np.argmax(v.expect != 0))
    flipped = clean[:out_at] + bytes([clean[out_at] ^ 1]) + clean[out_at + 1:]
    wrong_error = _with_header_word((vectors / "err_index_huge.bin").read_bytes(), EXPECT_ERROR_AT, int(Err.ROW_PTR))
    for name, data in (("clean.bin", clean), ("flipped.bin", flipped), ("wrong_error.bin", wrong_error)):
        (tmp_path / name).write_bytes(data)
    (tmp_path / "index.txt").write_text("clean.bin\nflipped.bin\nwrong_error.bin\n")
    proc = subprocess.run([str(csim.compile_tb(config, sanitize=True)), str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert re.search(r"^FAIL flipped\.bin: 1 feat_out bytes differ from golden", proc.stdout, re.M)
    assert re.search(r"^FAIL wrong_error\.bin: stat_error 0x10, expected 0x8", proc.stdout, re.M)
    assert "csim: 3 vectors checked: 1 bit-exact, 2 failed, 0 skipped" in proc.stdout


def test_interface_pragmas_give_the_contract_register_map():
    src = (ROOT / "hls" / "gnn_agg.cpp").read_text()
    offsets = {port.upper(): int(off, 16) for port, off in re.findall(
        r"#pragma HLS INTERFACE mode = s_axilite port = (\w+) bundle = control offset = (0x[0-9A-F]+)", src)}
    # TIMEOUT is the RTL kernel's alone: an HLS m_axi port has no response time-out (CONTRACT.md)
    argument_regs = {r.name: r.value for r in Reg if r.value >= Reg.ROW_PTR and r is not Reg.TIMEOUT}
    assert offsets == argument_regs
    maxi = re.findall(r"#pragma HLS INTERFACE mode = m_axi port = (\w+) bundle = (\w+) offset = (\w+)", src)
    assert len(maxi) == 7 and {(b, o) for _, b, o in maxi} == {("gmem", "off")}


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_kernel_parses_as_cxx14():
    ap = csim.ensure_ap_types()
    for config in (csim.CONFIGS["pynq-z2-hls"], csim.CONFIGS["kv260-hls"]):
        proc = subprocess.run(["g++", "-std=c++14", "-fsyntax-only", "-Wall", "-Werror", "-Wno-unknown-pragmas",
                               "-Wno-unused-label", *config.hls_defines, f"-I{ROOT / 'hls'}",
                               f"-I{ROOT / 'hls' / 'sim'}", "-isystem", str(ap), str(ROOT / "hls" / "gnn_agg.cpp")],
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-4000:]


def _more_argument_errors(hw):
    """Malformed calls beyond the shared set, each with the one error bit the contract gives it."""
    from golden.cases import make_vector, random_features, random_graph
    from golden.contract import Mode, Problem
    from golden.vectors import Vector

    rng = np.random.default_rng(7)
    fa = hw.feat_align
    base = make_vector("base", random_graph(rng, 6, 9, 3), random_features(rng, 9, fa), "symmetric", rng, hw=hw)
    rows = hw.table_rows(fa)
    tiled = make_vector("tiled", random_graph(rng, 4, 2 * rows + 1, 4), random_features(rng, 2 * rows + 1, fa),
                        "sum", rng, hw=hw)
    p = base.problem
    assert 4 * p.n_edges > 64 and 2 * p.n_src * p.feat_dim > 128  # so the pointers below wrap
    layout, _ = base.layout(hw)
    tiled_layout, _ = tiled.layout(hw)

    def variant(name, err, vector=base, problem=None, pointer=None):
        v = Vector(name, problem or vector.problem, vector.arrays, None, int(err))
        v.pointer_override = pointer or {}
        return v

    return [
        variant("unknown_mode_bit", Err.ARG, problem=Problem(p.n_dst, p.n_src, p.n_edges, p.feat_dim, p.mode | 0x80)),
        variant("feat_dim_zero", Err.ARG, problem=Problem(p.n_dst, p.n_src, p.n_edges, 0, p.mode)),
        variant("idx16_too_many_sources", Err.ARG,
                problem=Problem(p.n_dst, 65537, p.n_edges, p.feat_dim, p.mode | Mode.IDX16)),
        variant("null_dst_scale_with_post_scale", Err.ARG, pointer={"dst_scale": 0}),
        variant("null_acc_buf_when_tiled", Err.ARG, vector=tiled, pointer={"acc_buf": 0}),
        variant("misaligned_acc_buf", Err.ALIGN, vector=tiled, pointer={"acc_buf": tiled_layout["acc_buf"][0] + 32}),
        variant("misaligned_row_ptr", Err.ALIGN, pointer={"row_ptr": layout["row_ptr"][0] + 4}),
        variant("wrapping_col_idx", Err.RANGE, pointer={"col_idx": (1 << 64) - 64}),
        variant("wrapping_feat_in", Err.RANGE, pointer={"feat_in": (1 << 64) - 128}),
    ]


def test_argument_checks_beyond_the_shared_set(tmp_path):
    """ARG / ALIGN / RANGE cases the shared set lacks: exact error word, nothing touched."""
    from golden.vectors import write_dir

    config = csim.CONFIGS["pynq-z2-hls-tiled"]
    vectors = _more_argument_errors(config.hw)
    write_dir(vectors, tmp_path, config.hw)
    proc = subprocess.run([str(csim.compile_tb(config, sanitize=True)), str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert f"csim: {len(vectors)} vectors checked: {len(vectors)} bit-exact, 0 failed, 0 skipped" in proc.stdout


@pytest.mark.parametrize("memory", ["bram", "uram"])
def test_table_memory_reaches_the_pragma(memory):
    """The board's node-table memory gets through the _Pragma macro to the BIND_STORAGE pragma."""
    ap = csim.ensure_ap_types()
    proc = subprocess.run(["g++", "-std=c++14", "-E", f"-DGNN_AGG_TABLE_IMPL={memory}", f"-I{ROOT / 'hls'}",
                           f"-I{ROOT / 'hls' / 'sim'}", "-isystem", str(ap), str(ROOT / "hls" / "gnn_agg.cpp")],
                          capture_output=True, text=True, check=True)
    pragmas = re.findall(r"^#pragma HLS BIND_STORAGE .*$", proc.stdout, re.M)
    assert pragmas == [f"#pragma HLS BIND_STORAGE variable = table type = ram_2p impl = {memory}"]


def test_tiled_cases_cover_partitions_plans_and_errors():
    """The TILED set of a small-table build: four partitions in several pass orders, rows added
    back and finished in every combination, a tile split by a second marker (five passes), and
    each malformed layout with its error bits; plus the shared set the RTL runs
    (golden.cases.tiled_cases), all of it."""
    from golden.cases import tiled_cases
    from golden.contract import TILE_ADD, TILE_END, TILE_FIN, TILE_ROW_MASK, Mode

    hw = csim.CONFIGS["pynq-z2-hls-tiled"].hw
    every = {v.name: v for v in csim.tiled_cases(hw)}
    cases = {n: v for n, v in every.items() if not n.startswith("shared_")}
    shared = {n.removeprefix("shared_") for n in every if n.startswith("shared_")}
    assert shared == {v.name for v in tiled_cases(hw)} and "tiled_one_partition_wrong_flags" in shared
    plan = cases["tiled_plan_sum"]
    assert plan.problem.mode & Mode.TILED and hw.partitions(plan.problem.n_src, plan.problem.feat_dim) == 4
    flags = {(bool(w & TILE_ADD), bool(w & TILE_FIN)) for w in plan.arrays["row_ptr"][:, 0]}
    assert flags >= {(False, False), (True, False), (False, True), (True, True)}

    def markers(v):
        return tuple(int(w) & TILE_ROW_MASK for w in v.arrays["row_ptr"][:, 0] if w & TILE_END)

    orders = {markers(v) for n, v in cases.items() if n.startswith("tiled_plan_")}
    assert (0, 1, 2, 3) in orders and len(orders) >= 3 and all(sorted(o) == [0, 1, 2, 3] for o in orders)
    assert len(markers(cases["tiled_split_tile"])) == 5
    errors = {n: Err(v.expect_error) for n, v in cases.items() if n.startswith("err_")}
    assert sum(e == Err.ROW_PTR for e in errors.values()) == 7 and len(errors) == 15
    assert errors["err_tiled_marker_past_p"] == Err.ROW_PTR | Err.INDEX
    assert all(v.expect is not None for n, v in cases.items() if n not in errors)


def test_tiled_one_pass_ignores_the_acc_buf_flags(tmp_path):
    """With one partition acc_buf is no buffer of the call: a layout whose row words say ADD and not
    FIN still finishes every row into feat_out (bit-exact) and writes nothing else."""
    from golden.cases import make_vector, random_features, random_graph
    from golden.contract import TILE_ADD, TILE_END, TILE_FIN
    from golden.vectors import write_dir

    config = csim.CONFIGS["pynq-z2-hls-tiled"]
    hw = config.hw
    rng = np.random.default_rng(3)
    fa = hw.feat_align
    v = make_vector("one_pass_flags", random_graph(rng, 12, hw.table_rows(fa), 4), random_features(rng, hw.table_rows(fa), fa),
                    "symmetric", rng, hw=hw, tiled=True)
    pairs = v.arrays["row_ptr"].copy()
    rows = (pairs[:, 0] & TILE_END) == 0
    pairs[rows, 0] = (pairs[rows, 0] & ~np.uint32(TILE_FIN)) | np.uint32(TILE_ADD)
    v.arrays["row_ptr"] = pairs
    write_dir([v], tmp_path, hw)
    proc = subprocess.run([str(csim.compile_tb(config, sanitize=True)), str(tmp_path)], capture_output=True, text=True)
    assert "csim: 1 vectors checked: 1 bit-exact, 0 failed, 0 skipped" in proc.stdout, proc.stdout[-2000:]
