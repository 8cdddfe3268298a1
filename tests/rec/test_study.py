"""The study command on a tiny MovieLens-format data set: every row, the JSON schema, the files."""
import json

import pytest

from host.rec.data.synthetic import generate_default
from host.rec.study import STUDY_FORMAT, main

from .test_pipeline import write_ml100k


def test_study_rows_schema_and_plot(tmp_path):
    pytest.importorskip("peft")
    ds = generate_default(seed=11, n_users=50, n_items=90, mean_interactions=20)
    write_ml100k(tmp_path, ds)
    out = tmp_path / "out"
    assert main(["--data", "ml-100k", "--path", str(tmp_path), "--epochs", "5", "--head-epochs", "5",
                 "--out", str(out), "--cache", str(tmp_path / "cache"), "--requests", "20", "--distil-epochs", "2",
                 "--lora-epochs", "1", "--lora-pairs", "16", "--lora-layers", "2", "--lora-time-full", "--lora-lr", "1e-4", "1e-3", "--lora-head-lr", "1e-3", "--lora-units-per-node", "1", "--sampled-negatives", "49", "--engines", "ddp", "--skip", "student", "accelerator"]) == 0
    result = json.loads((out / "study.json").read_text())
    assert result["format"] == STUDY_FORMAT
    rows = result["configurations"]
    assert list(rows) == ["GNN only", "LLM only", "Hybrid (float)", "+ quantization", "+ distillation", "+ LoRA",
                          "+ data-parallel (ddp, 2 processes)"]
    for name, row in rows.items():
        assert set(row) >= {"train_wall_s", "processes", "process_s", "latency", "P@10", "R@10", "NDCG@10",
                            "NDCG@10 cold_items", "NDCG@10 sampled", "HR@10 sampled"}
        assert 0 <= row["NDCG@10 sampled"] <= row["HR@10 sampled"] <= 1
        assert 0 <= row["NDCG@10"] <= 1 and row["train_wall_s"] > 0 and row["process_s"] == row["train_wall_s"] * row["processes"]
        lat = row["latency"]
        assert lat["kind"] == "measured" and lat["requests"] == 20 and 0 < lat["p50_ms"] <= lat["p99_ms"]
    assert rows["+ data-parallel (ddp, 2 processes)"]["processes"] == 2
    assert result["parallel_ddp"]["processes"] == 2 and result["parallel_ddp"]["samples"] > 0
    lora = result["lora"]
    assert lora["trainable_params"] < 0.02 * lora["all_params"] and lora["objective"] == "hybrid"
    assert len(lora["valid_ndcg10"]) == 2 and lora["merged_max_abs_diff"] < 1e-5 and lora["start_equals_frozen"]
    assert [(t["lr"], t["head_lr"]) for t in lora["learning_rates_tried"]] == [(1e-4, 1e-3), (1e-3, 1e-3)]
    assert lora["head_lr"] == 1e-3
    if lora["best_epoch"] == 0:  # the frozen start and its head kept: the + LoRA row is the hybrid's
        assert rows["+ LoRA"]["NDCG@10"] == rows["Hybrid (float)"]["NDCG@10"]
    assert result["lora_full_timing"]["mode"] == "full" and len(result["lora_full_timing"]["epoch_s"]) == 1
    assert result["lora_full_timing"]["trainable_params"] == result["lora_full_timing"]["all_params"]
    assert result["sampled_protocol"]["negatives"] == 49 and "+ LoRA - Hybrid (float)" in result["sampled_protocol"]["paired_ndcg10"]
    assert set(result["paired_ndcg10"]) >= {"+ LoRA - Hybrid (float)", "+ distillation - + quantization"}
    table = (out / "study.md").read_text()
    assert all(f"| {name} |" in table for name in rows)
    assert (out / "study_pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "adapter" / "adapter_model.safetensors").is_file()
