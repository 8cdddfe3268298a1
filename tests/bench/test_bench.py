"""The benchmark tool in its tiny configuration: it runs end to end, writes a JSON with every
section and a sane schema, a Markdown report, and non-empty PNG plots. (Its numbers are measured,
never asserted: performance is not a test.)"""
import json

import pytest

from host.bench.cli import main

pytestmark = pytest.mark.xdist_group("test_bench")  # one worker: bench_out runs the benchmark once

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def bench_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench")
    assert main(["--quick", "--quiet", "--backends", "cpu,sim", "--boards", "pynq-z2", "--out", str(out)]) == 0
    return out


def test_quiet_keeps_the_training_log_in_a_file(bench_out):
    log = (bench_out / "pipeline" / "pipeline.log").read_text()
    assert "== BPR-MF" in log and "Hybrid + quant." in log


def test_json_schema(bench_out):
    res = json.loads((bench_out / "bench.json").read_text())
    assert {"config", "machine", "git", "boards", "layers", "scaling", "requests", "tradeoff"} <= res.keys()
    assert res["wall_s"] > 0 and len(res["machine"]["load_average"]) == 3
    layer = res["layers"][0]
    assert layer["n_edges"] > 0 and layer["feat_dim"] == 64
    for name, t in layer["cpu"].items():
        assert 0 < t["min_ms"] <= t["median_ms"], name
        assert len(t["runs_ms"]) == res["config"]["reps"]
    assert {"scipy.sparse CSR @ dense (fp32)", "torch.sparse.mm (fp32)",
            "golden fixed-point model (NumPy/SciPy)"} <= layer["cpu"].keys()
    gathers = {a["gather"] for a in layer["accelerator"]}
    assert gathers == {"table", "dram"}
    for a in layer["accelerator"]:
        assert a["bit_exact"] is True and a["error"] == 0
        assert a["edges"] == layer["n_edges"]
        assert a["cycles"] >= a["design_bound_cycles"] > 0
        for p in a["projected"].values():
            assert p["ms"] > 0 and p["bandwidth_bound_ms"] > 0
    for key in ("edges", "feat_dim"):
        assert len(res["scaling"][key]) >= 2
        assert all(p["cycles"] > 0 for p in res["scaling"][key])


def test_serving_section(bench_out):
    req = json.loads((bench_out / "bench.json").read_text())["requests"]
    paths = req["backends"]
    assert {"Popularity", "BPR-MF", "LLM only", "Hybrid + quant. (cpu backend)",
            "Hybrid + quant. (pynq-z2, projected)"} <= paths.keys()
    for name, b in paths.items():
        assert len(b["latencies_ms"]) == req["n_requests"], name
        assert 0 < b["p50_ms"] <= b["p95_ms"] <= b["p99_ms"] <= b["max_ms"], name
        assert 0 <= b["ndcg@10"] <= 1, name
        assert set(b["parts_ms"]) == {"graph", "aggregate", "head", "rank"}, name
        if not b["projected"]:
            assert 0 < b["cpu_time_ms"]["p50"] <= b["cpu_time_ms"]["max"], name
    for name in ("Hybrid (float, online row)", "Hybrid + quant. (cpu backend)"):
        # the served ranking (HeadScorer, float32) is the head's own score_all ranking
        assert paths[name]["top10_same_as_score_all"] >= 0.9, name
    sim = paths["Hybrid + quant. (pynq-z2, projected)"]
    assert sim["projected"] and sim["kernel_cycles_median"] > 0 and sim["reg_accesses_per_call"] > 20
    # the online row is bit-exact with the offline one, so the accuracy is the same configuration's
    assert sim["ndcg@10"] == paths["Hybrid + quant. (cpu backend)"]["ndcg@10"]
    assert all(v["req_per_s"] > 0 for v in req["batched"].values())


def test_unbuildable_board_stops_with_a_message(monkeypatch, tmp_path, capsys):
    import sim.harness.build as build_mod

    def fail(hw, **kw):
        raise build_mod.BuildError("Verilator build failed (log: x):\n%Error: rtl/gnn_agg.sv:141: "
                                   "$fatal: gnn_agg: PES must be 1")
    monkeypatch.setattr(build_mod, "build", fail)
    capsys.readouterr()
    assert main(["--quick", "--quiet", "--boards", "kv260", "--sections", "layer", "--out", str(tmp_path)]) == 2
    msg = capsys.readouterr().err
    assert msg.startswith("python -m host.bench: error: ") and msg.count("\n") == 1
    assert "cannot be built for board 'kv260'" in msg and "PES=4" in msg and "$fatal" in msg
    assert "--boards" in msg


def test_report_and_plots(bench_out):
    report = (bench_out / "report.md").read_text()
    assert "projected" in report and "| scipy.sparse" in report
    pngs = sorted(bench_out.glob("*.png"))
    assert {p.name for p in pngs} >= {"layer_time.png", "scaling.png", "latency.png", "pareto.png"}
    for p in pngs:
        data = p.read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 5_000, p.name
