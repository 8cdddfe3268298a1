"""The same service on Ray Serve, for more than one machine: `python -m host.rec.service.ray_serve
--model results/demo/recommender.pt --port 8001 --db interactions.db` (docs/SERVING.md).

One deployment, `Recommender`, with the endpoints of host.rec.service.app (GET /recommend,
POST /interactions, GET /health) and the same validation and messages (parse_int, check_id,
parse_interaction). Each replica owns one Accelerator and one Engine; `@serve.batch` is the
micro-batcher (max batch size, batch wait timeout), Ray Serve's autoscaler adds and removes
replicas between --min-replicas and --max-replicas from the requests in flight per replica
(--target-ongoing), and its router sends each request to a replica with few in flight.

State across replicas lives in the store, not in replica memory: every GET reads the user's
stored interactions (one indexed SELECT), so a POST acknowledged by one replica is in the next
recommendation whichever replica serves it. On one machine the replicas share one SQLite file
(WAL allows readers and one writer across processes); across machines use PostgreSQL
(--db postgresql://...).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time

from ray import serve
from starlette.requests import Request
from starlette.responses import Response

from .app import ApiError, check_id, make_query, parse_int, parse_interaction
from .store import StoreError, open_store


@serve.deployment(name="Recommender")
class Recommender:
    def __init__(self, model: str, db: str, backend: str = "cpu", options: dict | None = None,
                 max_batch: int = 32, max_wait_ms: float = 2.0, max_body: int = 16384):
        import torch
        torch.set_num_threads(1)
        from host.driver import Accelerator
        from ..serve import OnlineRecommender
        from .catalogue import Catalogue
        from .engine import Engine
        self.acc = Accelerator(backend, **(options or {}))
        rec = OnlineRecommender.load(model, self.acc)
        self.engine, self.cat, self.max_body = Engine(rec, max_batch), Catalogue.of(rec), max_body
        self.item_index = {raw: i for i, raw in enumerate(rec.item_ids)}
        self.store = open_store(db)
        self.recommend_batch.set_max_batch_size(max_batch)
        self.recommend_batch.set_batch_wait_timeout_s(max_wait_ms / 1e3)
        self.info = {"model": model, "backend": backend, "max_batch": max_batch, "max_wait_ms": max_wait_ms,
                     "serving": "ray"}

    @serve.batch(max_batch_size=32, batch_wait_timeout_s=0.002)
    async def recommend_batch(self, queries):
        results, timing = self.engine.run(queries)
        return [(r, timing) for r in results]

    async def __call__(self, request: Request) -> Response:
        try:
            path = request.url.path.rstrip("/")
            if path.endswith("/recommend") and request.method == "GET":
                doc, status = await self.recommend(request.query_params), 200
            elif path.endswith("/interactions") and request.method == "POST":
                body = await request.body()
                if len(body) > self.max_body:
                    raise ApiError(413, f"body larger than {self.max_body} bytes")
                it = parse_interaction(body, self.item_index, self.cat.item_ids)
                try:
                    seq = self.store.add(it)
                except StoreError as e:
                    raise ApiError(503, f"database unavailable: {e}", {"Retry-After": "5"}) from None
                doc, status = {"stored": seq, "user": it.user, "item": it.item, "rating": it.rating,
                               "time": it.time}, 201
            elif path.endswith("/health"):
                doc, status = {"status": "ok", "model": self.info}, 200
            else:
                raise ApiError(404, f"no endpoint {request.method} {request.url.path}")
            headers = None
        except ApiError as e:
            doc, status, headers = {"error": e.message}, e.status, e.headers
        return Response(json.dumps(doc, separators=(",", ":")), status, headers, media_type="application/json")

    async def recommend(self, params) -> dict:
        t0 = time.perf_counter()
        user = check_id(params.get("user"), "user", required=True)
        k = parse_int(params.get("k", "10"), "k", 1, self.cat.n_items, "(the catalogue)")
        try:
            stored = self.store.for_user(user)
        except StoreError as e:
            raise ApiError(503, f"database unavailable: {e}", {"Retry-After": "5"}) from None
        extra = [self.item_index[it.item] for it in stored if it.item in self.item_index]
        r, bt = await self.recommend_batch(make_query(self.cat, user, extra, k))
        return {"user": user, "known_user": user in self.cat._user_index, "strategy": r.strategy, "k": k,
                "items": [self.cat.item_ids[i] for i in r.items], "titles": [self.cat.titles[i] for i in r.items],
                "scores": [float(s) for s in r.scores], "interactions": len(set(extra)), "model": self.info,
                "timing": {"total_ms": (time.perf_counter() - t0) * 1e3, "batch_size": bt.size,
                           "batch_ms": bt.total_s * 1e3, "accelerator_ms": bt.aggregate_s * 1e3,
                           "accelerator_calls": bt.calls, "kernel_cycles": bt.cycles}}


def build(args):
    """The bound deployment of a command line (what `serve.run` takes)."""
    opts = {"bitfile": args.bitfile} if args.bitfile else {}
    dep = Recommender.options(
        autoscaling_config={"min_replicas": args.min_replicas, "max_replicas": args.max_replicas,
                            "initial_replicas": args.min_replicas, "target_ongoing_requests": args.target_ongoing,
                            "upscale_delay_s": 2, "downscale_delay_s": 30},
        max_ongoing_requests=args.max_ongoing, ray_actor_options={"num_cpus": args.replica_cpus})
    return dep.bind(args.model, args.db, args.backend, opts, args.max_batch, args.max_wait_ms)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m host.rec.service.ray_serve", description="Serve on Ray Serve.")
    ap.add_argument("--model", default="results/demo/recommender.pt")
    ap.add_argument("--db", default="interactions.db", help="SQLite file (one machine) or postgresql:// URL")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8001)
    ap.add_argument("--backend", default="cpu", help="accelerator backend of every replica: cpu | sim | board")
    ap.add_argument("--bitfile")
    ap.add_argument("--max-batch", type=int, default=32)
    ap.add_argument("--max-wait-ms", type=float, default=2.0)
    ap.add_argument("--min-replicas", type=int, default=1)
    ap.add_argument("--max-replicas", type=int, default=2)
    ap.add_argument("--target-ongoing", type=float, default=8, help="requests in flight per replica to scale at")
    ap.add_argument("--max-ongoing", type=int, default=64, help="requests one replica takes before Ray queues")
    ap.add_argument("--replica-cpus", type=float, default=1)
    ap.add_argument("--address", default=None, help="a running Ray cluster (ray start --head ...); default: a local one")
    ap.add_argument("--num-cpus", type=int, default=None, help="CPUs of the local Ray instance")
    args = ap.parse_args(argv)
    import ray
    ray.init(address=args.address, num_cpus=args.num_cpus if args.address is None else None,
             include_dashboard=False, logging_level="warning")
    serve.start(http_options={"host": args.host, "port": args.port})
    serve.run(build(args), name="gnn_agg", route_prefix="/")
    print(f"{ap.prog}: serving {args.model} on http://{args.host}:{args.port} "
          f"({args.min_replicas}..{args.max_replicas} replicas)", file=sys.stderr, flush=True)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    stop.wait()
    serve.shutdown()
    ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
