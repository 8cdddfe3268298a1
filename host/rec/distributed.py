"""Data-parallel training on torch.distributed (DDP) or DeepSpeed (ZeRO stage 0-2): the GNN, the
LLM-only head and the hybrid head of the pipeline, with one command line for one process, several
CPU processes or a multi-GPU node (host.rec.lora's fine_tune and fine_tune_hybrid take the same
trainers, but this command does not run them and no test covers that path yet):

    python -m host.rec.distributed --data default --out results/ddp                        # 1 process
    torchrun --standalone --nproc_per_node 2 -m host.rec.distributed --data default --out results/ddp
    torchrun --standalone --nproc_per_node 2 -m host.rec.distributed --engine deepspeed --zero-stage 2 ...
    DS_ACCELERATOR=cpu deepspeed --num_gpus 1 ...   (the DeepSpeed launcher sets the same variables)

Every process runs the same training loop (host.rec.train.fit_bpr) with the same seed, so every
process draws the same global batches and negatives; the trainer made here gives each process a
contiguous slice of each global batch, and DDP (or DeepSpeed's engine) averages the gradients.
The slice's mean loss is weighted by (slice size x processes / batch size), so the averaged
gradient is the gradient of the global batch's mean loss whatever the slice sizes: two processes
compute the model one process computes, up to float summation order
(tests/rec/test_distributed.py). Validation runs in every process on identical parameters, so
early stopping decides the same everywhere. The full-graph propagation of the GNN runs in every
process (the graph is not partitioned): only the loss over the batch is divided.

Backend: gloo on CPU, nccl with --device cuda (one GPU per process, LOCAL_RANK). DeepSpeed takes a
JSON config (--deepspeed-config) or the built-in one for --zero-stage; DeepSpeed 0.19 runs on CPU
with DS_ACCELERATOR=cpu (set here when --device cpu) over gloo.
"""
from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import os
import pathlib
import time
from typing import Callable

import numpy as np
import torch
from torch import nn

ENGINES = ("ddp", "deepspeed")


@dataclasses.dataclass(frozen=True)
class Group:
    """This process's place in the run (world 1: no process group)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0
    backend: str | None = None
    device: str = "cpu"

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def init_group(device: str = "cpu", engine: str = "ddp") -> Group:
    """Join the process group that torchrun (or the DeepSpeed launcher) describes in the environment:
    gloo on CPU, nccl on CUDA. Without those variables: one process, no group (DeepSpeed still gets a
    group of one, which its engine needs)."""
    import torch.distributed as dist
    if device not in ("cpu", "cuda"):
        raise ValueError(f"device must be cpu or cuda, got {device!r}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world == 1 and engine == "ddp":
        return Group(device=device)
    if device == "cpu":
        os.environ.setdefault("DS_ACCELERATOR", "cpu")  # before deepspeed is imported
    if world == 1:  # a group of one for DeepSpeed's engine, on a free local port
        os.environ.update({"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1"})
        os.environ.setdefault("MASTER_PORT", str(_free_port()))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = "nccl" if device == "cuda" else "gloo"
    if device == "cuda":
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=datetime.timedelta(minutes=5))
    return Group(dist.get_rank(), dist.get_world_size(), local_rank, backend, device)


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shard(n: int, group: Group) -> slice:
    """This process's contiguous part of a global batch of n (np.array_split's sizes)."""
    bounds = np.linspace(0, n, group.world + 1).astype(np.int64)
    return slice(int(bounds[group.rank]), int(bounds[group.rank + 1]))


class WeightedLoss(nn.Module):
    """A pair loss as a module over the trained module, so DDP / DeepSpeed own its parameters and
    run its forward: forward(users, pos, neg, weight) = weight * pair_loss(users, pos, neg)."""

    def __init__(self, module: nn.Module, pair_loss: Callable):
        super().__init__()
        self.module, self.pair_loss = module, pair_loss

    def forward(self, u, i, j, weight: float):
        if not len(u):  # an empty slice (a last batch smaller than the group): a zero gradient
            return sum(p.sum() for p in self.parameters()) * 0.0
        return self.pair_loss(u, i, j) * weight


@dataclasses.dataclass
class StepStats:
    """What the steps of a trainer did, summed over every model it trained (this process)."""

    samples: int = 0      # global-batch samples stepped over
    steps: int = 0
    step_s: float = 0.0   # wall time inside the steps (forward, backward, gradient averaging, update)

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.step_s if self.step_s else float("nan")


def data_parallel_trainer(group: Group, engine: str = "ddp", deepspeed_config: dict | None = None,
                          stats: StepStats | None = None):
    """A host.rec.train.Trainer that steps on this process's slice of each global batch, with the
    gradients averaged by DDP or by a DeepSpeed engine (`deepspeed_config`: a parsed config,
    default deepspeed_config_for(1)). Counts its steps into `stats`."""
    stats = stats if stats is not None else StepStats()

    def make(module, params, pair_loss, lr: float, weight_decay: float):
        wrapped = WeightedLoss(module, pair_loss)
        optimizer = torch.optim.Adam(params, lr=lr, weight_decay=weight_decay)
        if engine == "deepspeed":
            import deepspeed
            config = dict(deepspeed_config or deepspeed_config_for(1))
            config.setdefault("train_micro_batch_size_per_gpu", 1)  # batches vary; DeepSpeed only checks it
            config.setdefault("gradient_accumulation_steps", 1)
            runner, _, _, _ = deepspeed.initialize(model=wrapped, optimizer=optimizer, config=config,
                                                   dist_init_required=False)
        elif group.world > 1:
            from torch.nn.parallel import DistributedDataParallel
            runner = DistributedDataParallel(wrapped, device_ids=[group.local_rank] if group.device == "cuda" else None)
        else:
            runner = wrapped
        device = torch.device(group.device, group.local_rank) if group.device == "cuda" else torch.device("cpu")

        def step(u: np.ndarray, i: np.ndarray, j: np.ndarray) -> torch.Tensor:
            t0 = time.perf_counter()
            part = shard(len(u), group)
            batch = [torch.from_numpy(np.ascontiguousarray(a[part])).to(device) for a in (u, i, j)]
            weight = len(batch[0]) * group.world / len(u)
            loss = runner(*batch, weight)
            if engine == "deepspeed":
                runner.backward(loss)
                runner.step()
            else:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            stats.samples += len(u)
            stats.steps += 1
            stats.step_s += time.perf_counter() - t0
            return loss.detach() / weight if weight else loss.detach()
        return step
    make.stats = stats
    return make


def deepspeed_config_for(stage: int) -> dict:
    """The built-in DeepSpeed config: fp32, ZeRO `stage` (0: plain data parallel, 1: optimizer
    states partitioned, 2: + gradients), the client's torch Adam."""
    if stage not in (0, 1, 2):
        raise ValueError(f"ZeRO stage must be 0, 1 or 2 here, got {stage!r}")
    return {"zero_optimization": {"stage": stage}, "zero_allow_untested_optimizer": True,
            "gradient_clipping": 0.0, "steps_per_print": 1 << 30, "wall_clock_breakdown": False}


def read_deepspeed_config(path) -> dict:
    """A DeepSpeed JSON config file; a missing file, bad JSON or a ZeRO stage above 2 is a
    ValueError naming the file."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such DeepSpeed config file")
    try:
        config = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: not a DeepSpeed JSON config ({e})") from None
    if not isinstance(config, dict):
        raise ValueError(f"{path}: a DeepSpeed config is a JSON object, got {type(config).__name__}")
    stage = config.get("zero_optimization", {}).get("stage", 0) if isinstance(
        config.get("zero_optimization", {}), dict) else None
    if stage not in (0, 1, 2):
        raise ValueError(f"{path}: zero_optimization.stage must be 0, 1 or 2 (this trainer keeps "
                         f"parameters whole), got {stage!r}")
    return {**deepspeed_config_for(stage), **config}


# -- the pipeline's trained models, data-parallel -------------------------------------------

def train_models(cfg, trainer, progress: Callable[[str], None] = print) -> dict:
    """The pipeline's GNN, LLM-only head and hybrid head (host.rec.pipeline's recipe: the hybrid
    started from the parts, its graph weights chosen on valid, then fine-tuned), each trained by
    fit_bpr with `trainer`. `cfg` is a host.rec.pipeline.PipelineConfig. Returns the models,
    the data and the wall time of each stage in this process."""
    from .model import GNN, FusionHead, hybrid_from_text_head, sparse_adjacency, unified_graph
    from .pipeline import embed_text, load_data
    from .train import Features, choose_gnn_weight, train_embedding_model, train_head
    tc = cfg.train_config()
    data = load_data(cfg)
    e_user, e_item = embed_text(cfg, data)
    sp, proto = data.split, data.protocol
    csr, norm = unified_graph(sp.graph())
    adj = sparse_adjacency(csr, norm)
    wall = {}
    t0 = time.perf_counter()
    torch.manual_seed(tc.seed)
    gnn = GNN(sp.n_users, sp.n_items, tc.dim, tc.layers, cfg.style)
    train_embedding_model(gnn, adj, sp, proto, tc, f"GNN ({cfg.style})", trainer=trainer)
    with torch.no_grad():
        h_user, h_item = gnn(adj)
    wall["GNN"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    torch.manual_seed(tc.seed)
    llm = FusionHead(0, e_item.shape[1], tc.head_hidden)
    train_head(llm, Features(None, None, e_user, e_item), sp, proto, tc, sp.train, "LLM-only head", trainer=trainer)
    wall["LLM head"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    feats = Features(h_user, h_item, e_user, e_item, torch.from_numpy(sp.user_train_count()))
    torch.manual_seed(tc.seed)
    hybrid = hybrid_from_text_head(llm, tc.dim, degree_bounds=tc.degree_bounds)
    choose_gnn_weight(hybrid, feats, sp, proto, tc.gnn_weights)
    train_head(hybrid, feats, sp, proto, tc, sp.train, "hybrid head fine-tuning", epochs=tc.hybrid_epochs,
               trainer=trainer)
    wall["hybrid head"] = time.perf_counter() - t0
    progress("   stage wall times (this process): " + ", ".join(f"{k} {v:.1f} s" for k, v in wall.items()))
    return {"gnn": gnn, "llm": llm, "hybrid": hybrid, "adj": adj, "data": data, "features": feats,
            "wall_s": wall}


MODELS_FORMAT = "gnn-agg-parallel-models/1"


def save_models(path, trained: dict, record: dict) -> None:
    torch.save({"format": MODELS_FORMAT, "gnn": trained["gnn"].state_dict(), "llm": trained["llm"].state_dict(),
                "hybrid": trained["hybrid"].state_dict(), "record": record}, path)


def load_models(path) -> dict:
    """The state dicts and record save_models wrote (tensors and plain values only)."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such file (python -m host.rec.distributed writes it)")
    blob = torch.load(path, weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != MODELS_FORMAT:
        raise ValueError(f"{path}: not written by host.rec.distributed")
    return blob


def main(argv=None) -> int:
    from .cli import user_errors
    from .embed import DEFAULT_CACHE
    from .pipeline import PipelineConfig
    ap = argparse.ArgumentParser(prog="python -m host.rec.distributed", description=__doc__.split("\n")[0])
    ap.add_argument("--data", default="default")
    ap.add_argument("--path")
    ap.add_argument("--meta")
    ap.add_argument("--engine", default="ddp", choices=ENGINES)
    ap.add_argument("--zero-stage", type=int, default=1, help="DeepSpeed ZeRO stage of the built-in config (0-2)")
    ap.add_argument("--deepspeed-config", help="a DeepSpeed JSON config instead of the built-in one")
    ap.add_argument("--device", default="cpu", help="cpu (gloo) | cuda (nccl, one GPU per process)")
    ap.add_argument("--epochs", type=int, default=PipelineConfig.epochs)
    ap.add_argument("--head-epochs", type=int, default=PipelineConfig.head_epochs)
    ap.add_argument("--seed", type=int, default=PipelineConfig.seed)
    ap.add_argument("--cache", default=str(DEFAULT_CACHE))
    ap.add_argument("--threads", type=int, default=1, help="torch threads per process")
    ap.add_argument("--out", default="results/distributed")
    ap.add_argument("--debug", action="store_true")
    args = ap.parse_args(argv)

    def run() -> None:
        ds_config = None
        if args.engine == "deepspeed":
            ds_config = read_deepspeed_config(args.deepspeed_config) if args.deepspeed_config \
                else deepspeed_config_for(args.zero_stage)
        torch.set_num_threads(args.threads)
        group = init_group(args.device, args.engine)
        cfg = PipelineConfig(data=args.data, path=args.path, meta=args.meta, epochs=args.epochs,
                             head_epochs=args.head_epochs, seed=args.seed, device="cpu", cache=args.cache,
                             out=args.out, threads=args.threads)
        say = print if group.is_main else (lambda *_: None)
        say(f"== data-parallel training: {group.world} process(es), engine {args.engine}, "
            f"backend {group.backend or 'none (one process)'}, device {args.device}")
        trainer = data_parallel_trainer(group, args.engine, ds_config)
        t0 = time.perf_counter()
        trained = train_models(cfg, trainer, say)
        stats = trainer.stats
        record = {"engine": args.engine, "processes": group.world, "backend": group.backend,
                  "device": args.device, "zero_stage": (ds_config or {}).get("zero_optimization", {}).get("stage")
                  if args.engine == "deepspeed" else None,
                  "wall_s": time.perf_counter() - t0, "stage_wall_s": trained["wall_s"],
                  "step_s": stats.step_s, "steps": stats.steps, "samples": stats.samples,
                  "samples_per_s": stats.samples_per_s, "threads_per_process": args.threads}
        if group.is_main:
            out = pathlib.Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            save_models(out / "models.pt", trained, record)
            (out / "parallel.json").write_text(json.dumps(record, indent=2))
            print(f"   {stats.samples} samples in {stats.steps} steps, {stats.samples_per_s:.0f} samples/s "
                  f"(steps only); wall {record['wall_s']:.1f} s; saved {out / 'models.pt'}, {out / 'parallel.json'}")
        if group.world > 1:
            import torch.distributed as dist
            dist.barrier()
            dist.destroy_process_group()
    return user_errors(run, ap.prog, args.debug)


if __name__ == "__main__":
    raise SystemExit(main())
