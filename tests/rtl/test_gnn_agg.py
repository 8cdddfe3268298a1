"""The gnn_agg RTL in Verilator, driven by cocotb (sim/cocotb/test_gnn_agg.py), against the golden
model: the shared case set under read latency and random backpressure on every AXI channel,
control features, reset, errors, and builds for other bus widths and lane counts.

`make sim` runs these (pytest -m sim). Builds are cached in build/rtl/ by source content.
`pytest -m slow tests/rtl/test_gnn_agg.py` runs the bigger sweeps (excluded from make test).
`make sim IMPL=hls BOARD=...` runs the shared cases on the Vitis HLS export instead (sim/runner.py);
the tests that need the RTL's parameters or its AXI error reporting are skipped there.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from golden import builds
from golden.contract import HwConfig
from sim.runner import build, hw_env, kernel_board, kernel_impl, run_cocotb, sources

pytestmark = pytest.mark.sim
rtl_only = pytest.mark.skipif(kernel_impl() == "hls", reason="needs the RTL's parameters or AXI error "
                              "reporting; the HLS export has neither (docs/HLS.md)")

# builds: (bus_bits, lanes, max_feat, table_elems) -- small tables force source tiling
MAIN = HwConfig(64, 16, 1, 256, 1024)
WIDE_BUS = HwConfig(128, 16, 1, 128, 1024)
NARROW_LANES = HwConfig(64, 8, 1, 64, 512)
KV260_LIKE = HwConfig(128, 64, 1, 256, 4096)
# several processing elements (banked table): small lanes and tables so tiling happens
PES2 = HwConfig(64, 16, 2, 128, 1024)
PES4 = HwConfig(128, 16, 4, 128, 2048)
KV260_PES4_LIKE = HwConfig(128, 64, 4, 256, 4096)
# number formats other than the default: 8-bit features (Q4.4, W Q2.6) with a 24-bit accumulator,
# and 16-bit features with other fraction bits (Q6.10, W Q2.14, COEF UQ3.13)
Q8 = HwConfig(64, 16, 1, 256, 1024, feat_bits=8, feat_frac=4, wgt_frac=6, acc_bits=24)
Q8_PES2 = HwConfig(128, 16, 2, 128, 1024, feat_bits=8, feat_frac=4, wgt_frac=6, acc_bits=24)
Q16_FRAC = HwConfig(64, 16, 1, 256, 1024, feat_frac=10, wgt_frac=14, coef_frac=13)
# single-partition runs load the table in chunks while the PEs run: small chunks here so the
# cases load several of them
EXTRA_PARAMS = {NARROW_LANES: {"LOAD_CHUNK_ROWS": 8}, PES2: {"LOAD_CHUNK_ROWS": 8},
                PES4: {"LOAD_CHUNK_ROWS": 16}}


def params(hw: HwConfig) -> dict:
    """The -G parameters of `hw`'s cocotb build: those differing from the RTL's defaults."""
    return {**builds.rtl_parameters(hw, changed_only=True), **EXTRA_PARAMS.get(hw, {})}


def run(hw: HwConfig, tests: str, tmp_path, latency: int = 0, pause: float = 0.0, n_random: int = 0,
        seed: int = 1, cases: str = ""):
    """Run cocotb tests on the build of `hw` -- or, with IMPL=hls, on the HLS export of the board,
    whose configuration is the board's HLS build (golden/builds.py) and which reports no AXI errors."""
    hls = kernel_impl() == "hls"
    if hls:
        hw = builds.bitstream_build(kernel_board(), "hls").hw
    env = {"GNN_HW": hw_env(hw),
           "GNN_LATENCY": str(latency), "GNN_PAUSE": str(pause), "GNN_N_RANDOM": str(n_random),
           "GNN_SEED": str(seed), "GNN_CASES": cases, "COCOTB_TEST_FILTER": tests,
           "GNN_SKIP_AXI_ERRORS": "1" if hls else "0"}
    run_cocotb(build(params(hw)), "test_gnn_agg", extra_env=env, test_dir=tmp_path)


@pytest.mark.parametrize("latency,pause,n_random,seed", [
    (0, 0.0, 100, 1),      # full speed: the pipeline's own hazards
    (32, 0.2, 50, 2),      # latency and stalls on every channel
    (100, 0.3, 50, 3),     # long latency, heavy backpressure, reads answered out of order
], ids=["lat0", "lat32_bp", "lat100_bp"])
def test_shared_cases(tmp_path, latency, pause, n_random, seed):
    run(MAIN, "test_shared_cases", tmp_path, latency, pause, n_random, seed)


@rtl_only
@pytest.mark.parametrize("hw", [MAIN, PES4], ids=["pes1", "pes4"])
def test_control_reset_and_write_errors(tmp_path, hw):
    run(hw, "test_registers_and_polling|test_auto_restart|test_reset_mid_run|test_write_error|"
        "test_gather_reads_in_flight|test_row_ptr_check|test_timeout", tmp_path, latency=32, pause=0.2)


@rtl_only
def test_waves_need_lz4(monkeypatch):
    """WAVES=1 without liblz4-dev stops with the apt-get hint, not a compiler error."""
    import sim.runner as runner

    monkeypatch.setattr(runner, "LZ4_HEADER", Path("/nonexistent/lz4.h"))
    with pytest.raises(RuntimeError, match="liblz4-dev"):
        runner.build(params(MAIN), waves=True)


@rtl_only
@pytest.mark.slow
def test_waves_fst(tmp_path, monkeypatch):
    """WAVES=1 writes an FST of the run (needs liblz4-dev)."""
    from sim.runner import LZ4_HEADER
    if not LZ4_HEADER.exists():
        pytest.skip("liblz4-dev is not installed")
    monkeypatch.setenv("WAVES", "1")
    run(MAIN, "test_registers_and_polling", tmp_path)
    assert (tmp_path / "dump.fst").stat().st_size > 0


@rtl_only
@pytest.mark.parametrize("hw,latency,pause,seed", [
    (MAIN, 32, 0.2, 21), pytest.param(PES2, 100, 0.3, 22, marks=pytest.mark.slow), (PES4, 64, 0.3, 23),
], ids=["pes1_bus64_lat32_bp", "pes2_bus64_lat100_bp", "pes4_bus128_lat64_bp"])
def test_tiled_bipartite(tmp_path, hw, latency, pause, seed):
    """Source-tiled bipartite graphs, natural and spread row order: the walker scans 4 (64-bit
    bus) or 8 (128-bit) 16-bit indices per cycle and packs 1, 2 or 4 edges per group."""
    run(hw, "test_tiled_bipartite", tmp_path, latency, pause, seed=seed)


@rtl_only
@pytest.mark.parametrize("hw,latency,pause,seed", [
    pytest.param(MAIN, 32, 0.2, 31, marks=pytest.mark.slow), (PES2, 0, 0.0, 32), (PES4, 100, 0.3, 33),
], ids=["pes1_bus64_lat32_bp", "pes2_bus64_lat0", "pes4_bus128_lat100_bp"])
def test_tiled_layout(tmp_path, hw, latency, pause, seed):
    """TILED mode (golden.cases.tiled_cases): four partitions with rows of every kind, every
    normalization, W + ReLU, pass orders (the model's, descending, ascending, shuffled, a tile
    split in two), one partition, an empty tile, and the bad tiles and markers with their exact
    stat_error; each pair and index read once per run."""
    run(hw, "test_tiled_layout", tmp_path, latency, pause, seed=seed)


@rtl_only
@pytest.mark.parametrize("hw,latency,pause,seed", [
    pytest.param(MAIN, 32, 0.2, 24, marks=pytest.mark.slow), (PES2, 0, 0.0, 25), (PES4, 100, 0.3, 26),
    pytest.param(KV260_PES4_LIKE, 64, 0.25, 27, marks=pytest.mark.slow),
], ids=["pes1_bus64_lat32_bp", "pes2_bus64_lat0", "pes4_bus128_lat100_bp", "kv260_like_lat64_bp"])
def test_partial_rows(tmp_path, hw, latency, pause, seed):
    """Row plans over four partitions (golden.cases.partial_row_cases): rows untouched by some
    passes, by all, only by the first or the last, empty rows; bit-exact, and acc_buf read and
    written exactly CSR.partial_rows times."""
    run(hw, "test_partial_rows", tmp_path, latency, pause, seed=seed)


@rtl_only
@pytest.mark.parametrize("hw,latency,pause,seed", [
    (WIDE_BUS, 32, 0.2, 4), (NARROW_LANES, 100, 0.1, 4),
    pytest.param(PES2, 0, 0.0, 6, marks=pytest.mark.slow), (PES2, 100, 0.3, 7), (PES4, 0, 0.0, 8),
    pytest.param(PES4, 32, 0.2, 9, marks=pytest.mark.slow), pytest.param(PES4, 100, 0.3, 10, marks=pytest.mark.slow),
], ids=["bus128_lanes16", "bus64_lanes8", "pes2_lat0", "pes2_lat100_bp", "pes4_lat0", "pes4_lat32_bp",
        "pes4_lat100_bp"])
def test_parameter_sweep(tmp_path, hw, latency, pause, seed):
    run(hw, "test_shared_cases|test_write_error", tmp_path, latency, pause, n_random=30, seed=seed)


@rtl_only
@pytest.mark.parametrize("hw,latency,pause,seed", [
    (Q8, 32, 0.2, 31), pytest.param(Q8_PES2, 100, 0.3, 32, marks=pytest.mark.slow),
    pytest.param(Q16_FRAC, 32, 0.2, 33, marks=pytest.mark.slow),
], ids=["feat8_acc24", "feat8_acc24_pes2_bus128", "feat16_frac10_wgt14_coef13"])
def test_number_formats(tmp_path, hw, latency, pause, seed):
    """Builds with other number formats: the shared cases (saturation at the format's own extremes,
    hubs, tiling through acc_buf, gather, IDX16, errors, random problems) bit-exact against the
    golden model with the same formats, and HW_FORMATS reads back the build's formats."""
    run(hw, "test_shared_cases|test_registers_and_polling", tmp_path, latency, pause, n_random=20, seed=seed)


@rtl_only
@pytest.mark.slow
@pytest.mark.parametrize("hw", [KV260_LIKE, HwConfig(128, 8, 1, 256, 2048), KV260_PES4_LIKE, PES2, PES4],
                         ids=["bus128_lanes64", "bus128_lanes8", "bus128_lanes64_pes4", "pes2", "pes4"])
def test_parameter_sweep_slow(tmp_path, hw):
    run(hw, "test_shared_cases|test_reset_mid_run", tmp_path, latency=64, pause=0.25, n_random=300, seed=5)


@rtl_only
@pytest.mark.slow
@pytest.mark.parametrize("seed", [11, 12, 13])
def test_many_random_graphs(tmp_path, seed):
    run(MAIN, "test_shared_cases", tmp_path, latency=64, pause=0.25, n_random=1000, seed=seed)


@rtl_only
def test_hls_impl_needs_the_export(monkeypatch):
    """IMPL=hls without an HLS export stops with the command that makes one."""
    monkeypatch.setenv("GNN_AGG_IMPL", "hls")
    monkeypatch.setenv("GNN_AGG_HLS_FILES", "/nonexistent/files.f")
    with pytest.raises(RuntimeError, match="--impl hls --ip-only"):
        build({})


HLS_PATH_CASES = ",".join(["empty_graph", "rows_without_neighbours", "hub_4096_mean", "feat_dim_at_limit",
                           "saturate_w_relu", "tiled_weighted", "tiled_symmetric_dram", "idx16_gcn",
                           "err_row_ptr_past_end", "err_misaligned_feat_out"])


@rtl_only
def test_hls_impl_runs_an_export(tmp_path, monkeypatch):
    """The IMPL=hls path end to end, with the RTL standing in for the HLS export (same ports, same
    contract): the source list comes from the export's files.f, the build takes no parameters
    (the RTL's defaults are the PYNQ-Z2 build, as csynth's would be), the AXI error cases are
    left out, and a cross-section of the shared cases (one of each kind; the rest run on this RTL
    in test_shared_cases) is bit-exact."""
    files_f = tmp_path / "files.f"
    files_f.write_text("\n".join(map(str, sources())) + "\n")
    monkeypatch.setenv("GNN_AGG_IMPL", "hls")
    monkeypatch.setenv("GNN_AGG_BOARD", "pynq-z2")
    monkeypatch.setenv("GNN_AGG_HLS_FILES", str(files_f))
    run(MAIN, "test_shared_cases", tmp_path / "run", latency=32, pause=0.2, seed=21, cases=HLS_PATH_CASES)
