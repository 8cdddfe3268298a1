"""Data-parallel training: two gloo processes (torchrun, spawned here) train the model one process
trains on the same global batches; DeepSpeed's engine likewise; bad DeepSpeed configs name the file."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from host.rec.data.synthetic import generate_default
from host.rec.distributed import (Group, data_parallel_trainer, deepspeed_config_for, init_group,
                                  read_deepspeed_config, shard)
from host.rec.model import GNN, FusionHead, sparse_adjacency, unified_graph
from host.rec.protocol import Protocol, split
from host.rec.train import Features, TrainConfig, adam_step, train_embedding_model, train_head

ROOT = Path(__file__).resolve().parents[2]
# batch 101 leaves uneven slices and a short last batch: the weighting must make them exact
CONFIG = TrainConfig(epochs=4, head_epochs=4, batch=101, eval_every=2, patience=100)


def train_tiny(trainer) -> dict:
    """A GNN and a hybrid-style head on a tiny generated split, trained by `trainer`."""
    torch.set_num_threads(1)
    ds = generate_default(seed=3, n_users=40, n_items=60, mean_interactions=15)
    sp = split(ds, Protocol())
    adj = sparse_adjacency(*unified_graph(sp.graph()))
    torch.manual_seed(0)
    gnn = GNN(sp.n_users, sp.n_items, 8, 2)
    train_embedding_model(gnn, adj, sp, Protocol(), CONFIG, "gnn", trainer=trainer)
    with torch.no_grad():
        h_user, h_item = gnn(adj)
    e = torch.nn.functional.normalize(torch.randn(sp.n_users + sp.n_items, 6, generator=torch.Generator().manual_seed(1)))
    head = FusionHead(8, 6, hidden=5, proj=4)
    feats = Features(h_user, h_item, e[:sp.n_users], e[sp.n_users:])
    train_head(head, feats, sp, Protocol(), CONFIG, sp.train, "head", trainer=trainer)
    return {**{f"gnn.{k}": v for k, v in gnn.state_dict().items()},
            **{f"head.{k}": v for k, v in head.state_dict().items()}}


def assert_same_model(a: dict, b: dict):
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=1e-6, msg=k)


def run_workers(engine: str, tmp_path, nproc: int = 2) -> dict:
    """This file as a torchrun script: `nproc` processes train; rank 0 saves the model."""
    out = tmp_path / f"{engine}.pt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "DS_ACCELERATOR": "cpu"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           __file__, engine, str(out)]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-3000:]
    return torch.load(out, weights_only=True)


def test_shards_cover_the_batch_in_order():
    for n in (0, 1, 7, 101):
        for world in (1, 2, 3):
            parts = [shard(n, Group(rank=r, world=world)) for r in range(world)]
            assert [x for p in parts for x in range(n)[p]] == list(range(n))


def test_two_gloo_processes_train_the_single_process_model(tmp_path):
    assert_same_model(run_workers("ddp", tmp_path), train_tiny(adam_step))


@pytest.mark.slow  # ~110 s on the shared 2-core machine: DeepSpeed's import and its shm op's JIT build
def test_deepspeed_zero2_on_two_cpu_processes_trains_the_single_process_model(tmp_path):
    pytest.importorskip("deepspeed")
    assert_same_model(run_workers("deepspeed", tmp_path), train_tiny(adam_step))


def test_one_process_needs_no_group():
    group = init_group("cpu", "ddp") if "WORLD_SIZE" not in os.environ else None
    assert group == Group()
    with pytest.raises(ValueError, match="device must be cpu or cuda"):
        init_group("tpu")


def test_deepspeed_config_errors_name_the_file(tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(ValueError, match=f"{missing}: no such DeepSpeed config file"):
        read_deepspeed_config(missing)
    broken = tmp_path / "broken.json"
    broken.write_text('{"zero_optimization": {"stage": 2,}')
    with pytest.raises(ValueError, match=f"{broken}: not a DeepSpeed JSON config"):
        read_deepspeed_config(broken)
    stage3 = tmp_path / "stage3.json"
    stage3.write_text(json.dumps({"zero_optimization": {"stage": 3}}))
    with pytest.raises(ValueError, match=f"{stage3}: zero_optimization.stage must be 0, 1 or 2"):
        read_deepspeed_config(stage3)
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"zero_optimization": {"stage": 2}, "steps_per_print": 5}))
    assert read_deepspeed_config(good) == {**deepspeed_config_for(2), "steps_per_print": 5}
    from host.rec.distributed import main
    assert main(["--engine", "deepspeed", "--deepspeed-config", str(broken)]) == 2


if __name__ == "__main__":  # a torchrun worker of run_workers
    engine, out = sys.argv[1], sys.argv[2]
    group = init_group("cpu", engine)
    model = train_tiny(data_parallel_trainer(group, engine, deepspeed_config_for(2)))
    if group.is_main:
        torch.save(model, out)
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
