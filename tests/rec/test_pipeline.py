"""The whole pipeline on a small MovieLens-100K-format data set written by the test: loader,
split, MiniLM embeddings (cached), every configuration, the table files and the recommender."""
import json

import numpy as np
import pytest

from host.rec.data.synthetic import generate_default
from host.rec.pipeline import main
from host.driver import Accelerator
from host.rec.serve import OnlineRecommender


def write_ml100k(directory, ds):
    genres = ["unknown", "Action", "Comedy", "Drama", "Romance"]
    with open(directory / "u.data", "w", encoding="latin-1") as f:
        for u, i, r, t in zip(ds.users, ds.items, ds.ratings, ds.timestamps):
            f.write(f"{u + 1}\t{i + 1}\t{int(r)}\t{t}\n")
    with open(directory / "u.genre", "w", encoding="latin-1") as f:
        f.writelines(f"{g}|{k}\n" for k, g in enumerate(genres))
    with open(directory / "u.item", "w", encoding="latin-1") as f:
        for i, (title, attrs) in enumerate(zip(ds.item_titles, ds.item_attributes)):
            flags = ["1" if g in attrs else "0" for g in genres]
            f.write(f"{i + 1}|{title}|01-Jan-1995||http://example.org/{i}|{'|'.join(flags)}\n")


def test_pipeline_end_to_end(tmp_path, capsys):
    ds = generate_default(seed=11, n_users=60, n_items=120, mean_interactions=25)
    write_ml100k(tmp_path, ds)
    out = tmp_path / "out"
    main(["--data", "ml-100k", "--path", str(tmp_path), "--backend", "cpu", "--epochs", "5",
          "--head-epochs", "5", "--out", str(out), "--cache", str(tmp_path / "cache"), "--device", "cpu"])
    printed = capsys.readouterr().out
    assert "Protocol: implicit feedback rating >= 4.0" in printed
    assert "backend 'cpu'" in printed and "Sample recommendations" in printed
    result = json.loads((out / "results.json").read_text())
    hybrids = ["Hybrid: late fusion", "Hybrid: text in GNN", "Hybrid: both", "Hybrid: GNN + text-in-GNN"]
    control = "Control: GNN + GNN"
    names = ["Popularity", "BPR-MF", "GNN only", "LLM only", *hybrids, control, "Hybrid + quant."]
    assert list(result["results"]) == names
    for name in names:
        res = result["results"][name]
        assert 0.0 <= res["overall"]["NDCG@10"] <= 1.0 and res["overall"]["users"] > 0
        assert 0.0 <= res["sampled"]["NDCG@10"] <= res["sampled"]["HR@10"] <= 1.0 and res["train_s"] >= 0
    # the best hybrid is the one with the best valid NDCG@10 (a score fusion of weight 0 is GNN only, not a
    # candidate), and Hybrid + quant. is it
    best = result["best_hybrid"]
    candidates = [n for n in hybrids if n != hybrids[-1] or result["score_fusion"][n]["weight"] > 0]
    assert best == max(candidates, key=lambda n: result["results"][n]["valid_ndcg10"])
    assert result["results"]["Hybrid + quant."]["valid_ndcg10"] == pytest.approx(
        result["results"][best]["valid_ndcg10"], abs=0.02)
    assert result["gnn_layers"] in (2, 3)
    table = (out / "results.md").read_text()
    assert all(f"| {name} |" in table for name in names) and "Protocol:" in table
    # the paired per-user differences: the same users as the table, a difference of the means
    paired = result["paired_ndcg10"]
    fusion = "Hybrid: GNN + text-in-GNN"
    pairs = list(dict.fromkeys([(best, "GNN only"), (best, "LLM only"), (fusion, "GNN only"), (control, "GNN only"),
                                (fusion, control)]))
    assert list(paired) == [f"{a} - {b}" for a, b in pairs]
    for (a, b), by_slice in zip(pairs, paired.values()):
        for slice_, d in by_slice.items():
            assert d["users"] == result["results"][a][slice_]["users"]
            assert d["mean"] == pytest.approx(result["results"][a][slice_]["NDCG@10"]
                                              - result["results"][b][slice_]["NDCG@10"])
    assert f"| {best} - GNN only |" in table
    weights = result["hybrid_gnn_weight"]
    assert len(weights["chosen_on_valid"]) == len(weights["valid_ndcg10"])
    assert len(weights["chosen_on_valid"]) in (0, len(weights["buckets"]))  # 0: text in GNN, no head
    # each score fusion's weight is the one of its grid best on valid (ties: the first), scaled by the spread ratio
    for name in (fusion, control):
        rec = result["score_fusion"][name]
        grid = {float(w): v for w, v in rec["valid_ndcg10"].items()}
        w = max(grid, key=grid.get)
        assert rec["weight"] == pytest.approx(w * rec["spread_ratio"], rel=1e-12) and rec["spread_ratio"] > 0
        assert f"{name}: weight a = {rec['weight']:.4f} chosen on valid" in table
        assert result["results"][name]["valid_ndcg10"] == pytest.approx(grid[w], abs=1e-6)
    assert result["score_fusion"][control]["control_of"] == fusion
    assert (out / "results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    acc = result["accelerator"]  # the cpu backend: its build, each layer's status, no cycle model
    assert acc["backend"] == "cpu" and acc["build"] == "pynq-z2" and len(acc["layers"]) in (2, 3)
    assert acc["cycles"] == 0 and acc["projected_ms"] == {} and "no cycle model" in table
    assert printed.count("Protocol: implicit feedback") == 1  # printed once, not again with the table
    with Accelerator("cpu") as acc:
        rec = OnlineRecommender.load(out / "recommender.pt", acc)
        top = rec.recommendations(0, k=5)
    assert len(top) == 5 and not {r.item for r in top} & set(np.asarray(rec.known[0]).tolist())
    # a second run finds the embeddings in the cache
    main(["--data", "ml-100k", "--path", str(tmp_path), "--epochs", "5", "--head-epochs", "5",
          "--out", str(out), "--cache", str(tmp_path / "cache"), "--device", "cpu"])
    assert printed.count("from cache") == 0 and capsys.readouterr().out.count("from cache") == 2


def test_accelerator_record_projects_cycles_at_the_builds_clocks():
    from golden.contract import BOARDS
    from host.driver import RunStatus
    from host.rec.pipeline import accelerator_record
    rec = accelerator_record("sim", BOARDS["pynq-z2"], [RunStatus(cycles=1000, edges=9), RunStatus(cycles=500)], 2.0)
    assert rec["build"] == "pynq-z2" and rec["cycles"] == 1500 and rec["layers"][0]["edges"] == 9
    assert rec["projected_ms"] == {"100 MHz": 0.015, "150 MHz": 0.01}


def test_baselines_over_model_seeds(tmp_path, capsys):
    """--models baselines --seeds 0 1: Popularity, BPR-MF and GNN only per model seed into
    OUT/seed-N/ (no text, no hybrid), and OUT/summary.md with the mean +- sd over the seeds."""
    ds = generate_default(seed=11, n_users=60, n_items=120, mean_interactions=25)
    write_ml100k(tmp_path, ds)
    out = tmp_path / "out"
    main(["--data", "ml-100k", "--path", str(tmp_path), "--models", "baselines", "--layers", "2",
          "--epochs", "5", "--seeds", "0", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "######## model seed 0" in printed and "######## model seed 1" in printed
    assert "text embeddings" not in printed and "Hybrid" not in printed
    runs = [json.loads((out / f"seed-{s}" / "results.json").read_text()) for s in (0, 1)]
    for seed, r in zip((0, 1), runs):
        assert list(r["results"]) == ["Popularity", "BPR-MF", "GNN only"]
        assert r["train_config"]["seed"] == seed and r["protocol"]["seed"] == 2024 and r["gnn_layers"] == 2
        assert r["best_hybrid"] is None
    # the split is the same, the models are not
    assert runs[0]["results"]["Popularity"] == runs[1]["results"]["Popularity"]
    assert runs[0]["results"]["GNN only"]["overall"] != runs[1]["results"]["GNN only"]["overall"]
    summary = (out / "summary.md").read_text()
    assert "Mean ± sd over model seeds 0, 1" in summary and "GNN only layers (given by --layers) per model seed: 0: 2, 1: 2" in summary
    gnn = np.array([r["results"]["GNN only"]["overall"]["NDCG@10"] for r in runs])
    assert f"| GNN only | {gnn.mean():.4f} ± {gnn.std(ddof=1):.4f} |" in summary
    with pytest.raises(SystemExit):  # one summary varies one seed
        main(["--seeds", "0", "--split-seeds", "1"])
