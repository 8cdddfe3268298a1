"""The serving half of host.bench: train every configuration once (host.rec.pipeline), then time
online requests (p50/p95/p99 over many users), throughput unbatched and batched, and put each
configuration's latency next to its accuracy.

A request is what a real-time recommender does for one user (host.rec.serve): recompute the
user's graph row from its interactions (item-side state computed once), score every item with the
configuration's head, mask seen items, take the top 10.

Accelerator latencies for a board are **projections**: the host-side parts are measured on this
machine, the kernel time is the simulated RTL's exact cycle count at the board's clock, and the
PS-PL call overhead is modelled from the register accesses the driver really makes (counted on the
sim transport) and per-access / per-sync costs stated in `PS_PL_MODEL`.
"""
from __future__ import annotations

import contextlib
import dataclasses
import gc
import statistics
import time

import numpy as np
import torch
from tqdm import tqdm

from host.driver import Accelerator
from host.rec.metrics import top_k
from host.rec.pipeline import PipelineConfig, PipelineRun, run as run_pipeline
from host.rec.serve import (FloatOnlineGNN, HeadScorer, OnlineGNN, OnlineRecommender, RequestTiming,
                            neighbour_lists)

from .config import sim_options
from .workloads import percentiles

#: Costs of one PS-PL call from Python on the board's CPU, in microseconds: one MMIO register
#: access, one cache flush/invalidate of a small buffer (pynq sync_*), the interrupt wake-up.
#: Assumptions for the projection, not measurements; `--backends board` measures the real thing.
PS_PL_MODEL = {
    "pynq-z2": {"reg_access_us": 4.0, "sync_us": 10.0, "irq_us": 30.0, "cpu": "Cortex-A9 650 MHz"},
    "kv260": {"reg_access_us": 1.5, "sync_us": 5.0, "irq_us": 15.0, "cpu": "Cortex-A53 1.33 GHz"},
    "zcu104": {"reg_access_us": 1.5, "sync_us": 5.0, "irq_us": 15.0, "cpu": "Cortex-A53 1.2 GHz"},
}
SYNCS_PER_CALL = 4  # row_ptr, col_idx, dst_scale to the device; feat_out from it (the item
                    # tables are pre-scaled once, so a request graph has no src_scale buffer)


PARTS = ("graph", "aggregate", "head", "rank")  # RequestTiming fields, in request order


class _CountingTransport:
    """Counts register accesses of the transport it wraps (the calls a board would make)."""

    def __init__(self, transport):
        self._t, self.reads, self.writes = transport, 0, 0

    def read_reg(self, offset):
        self.reads += 1
        return self._t.read_reg(offset)

    def write_reg(self, offset, value):
        self.writes += 1
        return self._t.write_reg(offset, value)

    def __getattr__(self, name):
        return getattr(self._t, name)


def train(cfg, out_dir) -> PipelineRun:
    """Every configuration of the pipeline, trained once on the cpu backend."""
    options = {name: value for name, value in (("epochs", cfg.epochs), ("head_epochs", cfg.head_epochs),
                                                  ("hybrid_epochs", cfg.hybrid_epochs))
               if value is not None}
    pipeline = PipelineConfig(data=cfg.dataset, path=cfg.dataset_path, backend="cpu", out=str(out_dir),
                              threads=1, **options)
    if not cfg.quiet:
        return run_pipeline(pipeline)
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / "pipeline.log", "w") as log, contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
        return run_pipeline(pipeline)


@dataclasses.dataclass
class ServingPath:
    request: object            # (user, RequestTiming) -> top-10 items
    accuracy_row: str          # the pipeline configuration whose metrics this path serves
    board: str | None = None   # simulated board: latency is projected
    transport: object = None   # _CountingTransport of a simulated board
    recommender: OnlineRecommender | None = None  # the fusion-head paths


def serving_paths(run, cfg) -> dict[str, ServingPath]:
    sp = run.split
    graph = sp.graph()
    known = run.known
    counts = sp.item_train_count().astype(np.float64)
    mf_user, mf_item = (t.detach().numpy() for t in run.mf(None))
    float_gnn = FloatOnlineGNN(run.gnn, graph)           # the chosen hybrid's GNN
    gnn_only = FloatOnlineGNN(run.gnn_only, graph)       # ids only
    h_item = gnn_only.final[graph.n_users:]
    neighbours = neighbour_lists(graph)
    with torch.no_grad():
        llm_side = run.llm.item_side(None, run.e_item)

    def timed_rank(scores_fn, inplace=False):
        def request(u, timing):
            t0 = time.perf_counter()
            scores = scores_fn(u, timing)
            t1 = time.perf_counter()
            top = top_k(scores, known[u], 10, inplace=inplace)
            timing.head_s += t1 - t0
            timing.rank_s += time.perf_counter() - t1
            return top
        return request

    def gnn_dot(u, timing):
        return h_item @ gnn_only.user_embedding(u, neighbours[u], timing)

    llm_scorer = HeadScorer(run.llm, llm_side)
    e_user = run.e_user.float().numpy()

    def llm(u, timing):
        return llm_scorer(None, e_user[u])

    def served(gnn, row, board=None, transport=None):
        rec = OnlineRecommender(gnn, run.hybrid, run.e_user, run.e_item, known)
        return ServingPath(lambda u, timing: rec.recommend(u, 10, timing), row, board, transport, rec)

    def accelerated(acc, board=None, transport=None):
        return served(OnlineGNN(acc, run.fixed, graph), "Hybrid + quant.", board, transport)

    paths = {
        "Popularity": ServingPath(timed_rank(lambda u, t: counts), "Popularity"),
        "BPR-MF": ServingPath(timed_rank(lambda u, t: mf_item @ mf_user[u]), "BPR-MF"),
        "GNN only (float, online row)": ServingPath(timed_rank(gnn_dot), "GNN only"),
        "LLM only": ServingPath(timed_rank(llm, inplace=True), "LLM only"),
        "Hybrid (float, online row)": served(float_gnn, run.best_hybrid),
        "Hybrid + quant. (cpu backend)": accelerated(Accelerator("cpu")),
    }
    if "sim" in cfg.backends:
        for board in cfg.boards:
            acc = Accelerator("sim", hw=cfg.board_models[board].hw, **sim_options(cfg, board))
            counting = acc.backend.transport = _CountingTransport(acc.backend.transport)
            paths[f"Hybrid + quant. ({board}, projected)"] = accelerated(acc, board, counting)
    if "board" in cfg.backends:
        paths["Hybrid + quant. (board, measured)"] = accelerated(Accelerator("board", **cfg.board_options))
    return paths


def request_ms(timing: RequestTiming, wall_s: float, board: str | None, clock_mhz: float | None,
               regs_per_call: float) -> float:
    """A request's latency: measured wall time, or for a simulated board the host parts plus the
    kernel cycles at the clock plus the modelled PS-PL overhead of each call."""
    if board is None:
        return wall_s * 1e3
    m = PS_PL_MODEL[board]
    overhead_us = timing.calls * (regs_per_call * m["reg_access_us"] + SYNCS_PER_CALL * m["sync_us"] + m["irq_us"])
    return timing.host_s * 1e3 + timing.cycles / (clock_mhz * 1e3) + overhead_us * 1e-3


def bench_serving(cfg, out_dir) -> dict:
    run = train(cfg, out_dir / "pipeline")
    paths = serving_paths(run, cfg)
    graph = run.split.graph()
    active = np.flatnonzero(np.bincount(graph.users, minlength=graph.n_users) > 0)
    rng = np.random.default_rng(cfg.seed)
    users = rng.choice(active, cfg.requests, replace=True)
    out = {"n_requests": int(cfg.requests), "dataset": run.dataset.name, "n_users": int(graph.n_users),
           "n_items": int(graph.n_items), "n_train_interactions": int(len(graph.users)), "ps_pl_model": PS_PL_MODEL,
           "backends": {}, "throughput": {}}
    for name, path in tqdm(paths.items(), desc="online requests", disable=cfg.quiet):
        request, row, board, transport = path.request, path.accuracy_row, path.board, path.transport
        clock = cfg.board_models[board].clocks_mhz[0] if board else None
        for u in users[:50]:  # warm-up
            request(int(u), RequestTiming())
        with _GcTimer() as gc_time:
            lat, parts, split_s, cpu = [], [], [], []
            for u in users:
                timing = RequestTiming()
                if transport is not None:
                    transport.reads = transport.writes = 0
                c0 = time.thread_time()
                t0 = time.perf_counter()
                request(int(u), timing)
                wall = time.perf_counter() - t0
                cpu.append((time.thread_time() - c0) * 1e3)
                regs = (transport.reads + transport.writes) / max(timing.calls, 1) if transport else 0
                lat.append(request_ms(timing, wall, board, clock, regs))
                parts.append((timing.host_s * 1e3, timing.cycles, regs))
                split_s.append([getattr(timing, f"{p}_s") for p in PARTS])
        split_ms = np.asarray(split_s) * 1e3
        res = run.results[row]
        out["backends"][name] = percentiles(lat) | {
            "latencies_ms": lat, "accuracy_row": row, "ndcg@10": res["overall"]["NDCG@10"],
            "ndcg@10_cold_items": res["cold_items"]["NDCG@10"], "ndcg@10_cold_users": res["cold_users"]["NDCG@10"],
            "projected": board is not None, "board": board, "clock_mhz": clock,
            "host_ms_median": statistics.median(p[0] for p in parts),
            "kernel_cycles_median": statistics.median(p[1] for p in parts),
            "reg_accesses_per_call": statistics.median(p[2] for p in parts),
            "gc": {"collections": gc_time.count, "total_ms": gc_time.total_ms, "longest_ms": gc_time.longest_ms},
            # CPU time of the serving thread per request: the wall time less the time this process
            # was not running (preempted on a shared machine); for simulated boards it includes the
            # simulator, so it is only reported for measured paths
            "cpu_time_ms": None if board else {k: float(np.percentile(cpu, q)) for k, q in
                                               (("p50", 50), ("p99", 99), ("max", 100))},
            # where the time went: host wall time per part (for `sim`, aggregate is simulator time)
            "parts_ms": {p: {"p50": float(np.percentile(split_ms[:, k], 50)),
                             "p99": float(np.percentile(split_ms[:, k], 99))} for k, p in enumerate(PARTS)}}
        if path.recommender is not None:
            out["backends"][name]["top10_same_as_score_all"] = same_top10(run, path.recommender, users[:100])
        out["throughput"][name] = {"unbatched_req_per_s": 1e3 / float(np.mean(lat))}
    out["batched"] = batched_throughput(run, users, cfg)
    out["tradeoff"] = [{"label": name, "p50_ms": b["p50_ms"], "p99_ms": b["p99_ms"], "ndcg@10": b["ndcg@10"]}
                       for name, b in out["backends"].items()]
    return out


class _GcTimer:
    """Counts the garbage collector's runs (and their time) while the requests are timed.

    On entry the heap is frozen as a server would freeze it after loading its models (start-up
    objects leave the collector's generations), so every path starts from the same heap; the
    collector stays on while timed. Exit undoes both, also when a request raises."""

    def __init__(self):
        self.count, self.total_ms, self.longest_ms, self._t0 = 0, 0.0, 0.0, None

    def __enter__(self):
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)
        gc.unfreeze()

    def __call__(self, phase, info):
        if phase == "start":
            self._t0 = time.perf_counter()
        elif self._t0 is not None:
            ms = (time.perf_counter() - self._t0) * 1e3
            self.count += 1
            self.total_ms += ms
            self.longest_ms = max(self.longest_ms, ms)


def same_top10(run, rec: OnlineRecommender, users) -> float:
    """Fraction of `users` whose served top 10 (HeadScorer, float32 in a different summation
    order) equals the top 10 of the head's own score_all on the same user row: the served
    ranking is the evaluated configuration's."""
    same = 0
    for u in (int(u) for u in users):
        served = rec.recommend(u, 10)
        h_u = torch.from_numpy(rec.gnn.user_embedding(u, rec.neighbours[u])).float()[None]
        with torch.no_grad():
            scores = rec.head.score_all(h_u, run.e_user[u][None], rec.side,
                                        torch.tensor([len(rec.neighbours[u])]))[0].numpy()
        same += bool(np.array_equal(served, top_k(scores, rec.known[u], 10)))
    return same / max(len(users), 1)


def batched_throughput(run, users, cfg) -> dict:
    """Requests per second when B users share one accelerator call and one head evaluation
    (cpu backend, measured)."""
    online = OnlineGNN(Accelerator("cpu"), run.fixed, run.split.graph())
    rec = OnlineRecommender(online, run.hybrid, run.e_user, run.e_item, run.known)
    out = {}
    for batch in (b for b in cfg.batches if b <= len(users)):
        n = (len(users) // batch) * batch
        t0 = time.perf_counter()
        for lo in range(0, n, batch):
            group = [int(u) for u in users[lo:lo + batch]]
            h = online.user_embeddings(group, [rec.neighbours[u] for u in group])
            with torch.no_grad():
                degree = torch.tensor([len(rec.neighbours[u]) for u in group])
                scores = run.hybrid.score_all(torch.from_numpy(h).float(), run.e_user[group], rec.side,
                                              degree).numpy()
            for s, u in zip(scores, group):
                top_k(s, run.known[u], 10)
        out[f"batch {batch}"] = {"req_per_s": n / (time.perf_counter() - t0)}
    return out
