"""python -m host.bench.serve_cpu: server CPU per GET /recommend without the network (docs/SERVING.md,
"Where the CPU goes").

The service's ASGI app, made in this process (thread or inline worker, so every CPU second of the
app, the batcher and the engine is this process's), is called directly with GET /recommend
scopes for uniformly drawn training users, `--concurrency` at a time (a closed loop: the batches
fill to about that size), on uvloop; the result is CPU milliseconds (time.process_time, all
threads) per request after a warm-up. HTTP parsing and the socket (uvicorn, the kernel) are not
in it: the load test (host.bench.load) measures those too, this number is what the app costs.

`--tree DIR` measures another checkout's service (e.g. an older commit unpacked with
`git archive COMMIT host golden | tar -x -C DIR`): run this file as a script
(`python host/bench/serve_cpu.py --tree DIR ...`) and DIR comes first on the import path.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host.bench.serve_cpu", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="results/serve-1m/recommender.pt")
    ap.add_argument("--worker-mode", default="inline", choices=("thread", "inline"))
    ap.add_argument("--max-batch", type=int, nargs="+", default=[1, 32])
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--requests", type=int, default=1000)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--tree", help="import host/ from this directory (run this file as a script)")
    return ap.parse_args(argv)


async def measure(model: str, users: list[str], mode: str, max_batch: int, concurrency: int, n: int,
                  warmup: int, seed: int) -> dict:
    import numpy as np
    from host.rec.service.app import Service, ServiceConfig, create_app
    with tempfile.TemporaryDirectory() as tmp:
        cfg = ServiceConfig(model, os.path.join(tmp, "i.db"), max_batch=max_batch, max_wait_ms=0.5, max_queue=4096,
                            timeout_ms=60000.0, worker_mode=mode)
        svc = Service(cfg)
        app = create_app(svc)
        await svc.start()
        rng = np.random.default_rng(seed)

        async def one(user: str) -> None:
            scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                     "scheme": "http", "path": "/recommend", "raw_path": b"/recommend", "root_path": "",
                     "query_string": f"user={user}&k=10".encode(), "headers": [(b"host", b"bench")],
                     "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 2), "state": {}}
            sent = []

            async def receive():
                return {"type": "http.request", "body": b"", "more_body": False}

            async def send(message):
                sent.append(message)
            await app(scope, receive, send)
            if sent[0]["status"] != 200:
                raise RuntimeError(f"GET /recommend?user={user}: {sent}")

        async def run(count: int) -> None:
            gate = asyncio.Semaphore(concurrency)

            async def limited(user):
                async with gate:
                    await one(user)
            await asyncio.gather(*(limited(users[i]) for i in rng.integers(len(users), size=count)))

        await run(warmup)
        w = svc.workers[0]
        b0, r0 = w.batches, w.requests
        c0, t0 = time.process_time(), time.perf_counter()
        await run(n)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        batches = w.batches - b0
        await svc.stop()
    return {"worker_mode": mode, "max_batch": max_batch, "concurrency": concurrency, "requests": n,
            "cpu_ms_per_request": cpu / n * 1e3, "wall_ms_per_request": wall / n * 1e3,
            "mean_batch": (w.requests - r0) / max(batches, 1)}


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.tree:
        sys.path.insert(0, os.path.abspath(args.tree))
    import torch
    import uvloop
    users = list(torch.load(args.model, weights_only=True)["user_ids"])
    for b in args.max_batch:
        r = uvloop.run(measure(args.model, users, args.worker_mode, b, args.concurrency, args.requests, args.warmup,
                               args.seed))
        print(f"{args.tree or 'this tree'}: {r['worker_mode']} worker, max batch {b}, {args.concurrency} at a time: "
              f"{r['cpu_ms_per_request']:.3f} CPU-ms per request (wall {r['wall_ms_per_request']:.3f} ms, "
              f"mean batch {r['mean_batch']:.1f}; load average {os.getloadavg()[0]:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
