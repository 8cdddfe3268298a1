"""python -m host.serve: the recommendation service's command line (docs/SERVING.md)."""
from __future__ import annotations

import argparse
import sys

from ..cli import user_errors


def parse_args(argv=None):
    ap = argparse.ArgumentParser(prog="python -m host.serve", description="Serve recommendations over HTTP.")
    ap.add_argument("--model", default="results/demo/recommender.pt",
                    help="a recommender saved by python -m host.rec (make demo writes results/demo/recommender.pt)")
    ap.add_argument("--db", default="interactions.db",
                    help="SQLite file of stored interactions (created if missing), or a postgresql:// URL")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--backend", default="cpu",
                    help="accelerator backend of each worker, comma-separated: cpu | sim | board (e.g. board,cpu)")
    ap.add_argument("--workers", type=int, default=None,
                    help="accelerator workers (default: one per --backend entry; with one backend, that many of it)")
    ap.add_argument("--bitfile", help="board: the gnn_agg.bit to load")
    ap.add_argument("--max-batch", type=int, default=32, help="requests per accelerator batch (1 = unbatched)")
    ap.add_argument("--max-wait-ms", type=float, default=2.0, help="longest wait for a batch to fill")
    ap.add_argument("--max-queue", type=int, default=256, help="waiting requests beyond this get 503")
    ap.add_argument("--timeout-ms", type=float, default=1000.0, help="per-request deadline")
    ap.add_argument("--worker-mode", default="process", choices=("process", "thread", "inline"),
                    help="process: each worker a child process (its own core, no shared GIL); thread: in the server; "
                         "inline: one worker, its batches on the event loop (no hand-off; the cheapest on one core)")
    ap.add_argument("--http", default="auto", choices=("auto", "h11", "httptools"), help="uvicorn's HTTP parser")
    ap.add_argument("--loop", default="auto", choices=("auto", "asyncio", "uvloop"), help="uvicorn's event loop")
    ap.add_argument("--log-level", default="warning")
    ap.add_argument("--debug", action="store_true", help="a traceback instead of a one-line error")
    return ap, ap.parse_args(argv)


def config(args):
    from .app import ServiceConfig
    backends = tuple(b.strip() for b in args.backend.split(",") if b.strip())
    if args.workers is not None:
        if args.workers < 1:
            raise ValueError(f"--workers must be >= 1, got {args.workers}")
        if len(backends) == 1:
            backends = backends * args.workers
        elif len(backends) != args.workers:
            raise ValueError(f"--workers {args.workers} but {len(backends)} backends ({args.backend})")
    opts = (("bitfile", args.bitfile),) if args.bitfile else ()
    return ServiceConfig(args.model, args.db, backends, args.max_batch, args.max_wait_ms, args.max_queue,
                         args.timeout_ms, accelerator_options=opts, worker_mode=args.worker_mode)


def main(argv=None) -> int:
    ap, args = parse_args(argv)
    state = {}

    def load():
        from .app import Service
        state["svc"] = Service(config(args))  # model, accelerators and database checked before listening

    rc = user_errors(load, ap.prog, args.debug)
    if rc:
        return rc
    import gc
    import uvicorn
    from .app import create_app
    svc = state["svc"]
    # the model's ~200k long-lived objects out of the cyclic GC: a full collection over them took
    # ~80 ms, a stall of every request in flight (and of the open connections' queues) each time
    gc.collect()
    gc.freeze()
    print(f"{ap.prog}: serving {args.model} ({svc.rec.n_users} users, {svc.rec.n_items} items) on "
          f"http://{args.host}:{args.port} with {len(svc.workers)} worker(s) {','.join(svc.cfg.backends)}, "
          f"max batch {args.max_batch}, db {args.db} ({svc.replayed} interactions replayed)", file=sys.stderr, flush=True)
    uvicorn.run(create_app(svc), host=args.host, port=args.port, http=args.http, loop=args.loop,
                log_level=args.log_level, access_log=False, proxy_headers=False, timeout_graceful_shutdown=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
