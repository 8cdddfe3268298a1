"""The HTTP service: FastAPI routes over the micro-batcher, the interaction store and Prometheus
metrics (docs/SERVING.md is the user's guide).

    GET  /recommend?user=U&k=K   top-k for the data set's user id U (new ids get cold-start ones)
    POST /interactions           {"user", "item", "rating", "time"?}: stored durably, then in U's row
    GET  /health                 liveness + what is served
    GET  /metrics                Prometheus text format

Every error is JSON {"error": "..."} with a status that says whose fault it is: 400 malformed
JSON, 404 unknown path, 413 body too large, 422 a bad value (named), 503 overloaded / past the
deadline / database unavailable (with Retry-After where trying again helps), 500 a bug.

GET /recommend, the hot path, is a plain ASGI handler in front of FastAPI (`ServiceApp.__call__`):
the same validation and messages, without FastAPI's routing, middleware stack and per-request
dependency solving, and its answer is written as JSON text from pieces encoded once (item ids,
titles, the model block) instead of `json.dumps` of a fresh dict; every other path goes through
FastAPI as before (docs/SERVING.md, "Where the CPU goes").
"""
from __future__ import annotations

import asyncio
import bisect
import concurrent.futures
import contextlib
import dataclasses
import gc
import hashlib
import json
import math
import pathlib
import time
from json.encoder import encode_basestring_ascii as _json_str
from urllib.parse import parse_qsl

import numpy as np
from fastapi import FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from ..serve import SAVE_FORMAT, OnlineRecommender
from .batcher import DeadlineExceeded, MicroBatcher, Overloaded, Worker
from .catalogue import Catalogue
from .engine import Engine, Query
from .store import Interaction, InteractionStore, StoreError, open_store
from .workers import ProcessEngine

MAX_ID_CHARS = 256


@dataclasses.dataclass(frozen=True)
class ServiceConfig:
    model: str = "results/demo/recommender.pt"
    db: str = "interactions.db"
    backends: tuple[str, ...] = ("cpu",)   # one Accelerator per worker: cpu | sim | board
    max_batch: int = 32                    # 1 = unbatched
    max_wait_ms: float = 2.0               # how long the oldest request waits for a batch to fill
    max_queue: int = 256                   # waiting requests beyond this are refused (503)
    timeout_ms: float = 1000.0             # per-request deadline
    max_body: int = 16384                  # bytes of a POST body
    accelerator_options: tuple = ()        # (key, value) pairs for Accelerator(...), e.g. bitfile
    worker_mode: str = "process"           # process: one child process per worker | thread: in the server |
                                           # inline: one worker, its batches on the event loop (no hand-off)

    @property
    def workers(self) -> int:
        return len(self.backends)


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class Metrics:
    def __init__(self):
        r = self.registry = CollectorRegistry()
        self.requests = Counter("gnn_serve_requests", "HTTP requests", ["endpoint", "code"], registry=r)
        self.latency = Histogram("gnn_serve_request_seconds", "request latency in the server", ["endpoint"],
                                 buckets=(.0005, .001, .002, .003, .005, .0075, .01, .015, .02, .03, .05, .1,
                                          .25, .5, 1, 2.5), registry=r)
        self.queue = Gauge("gnn_serve_queue_depth", "requests waiting for a batch", registry=r)
        self.inflight = Gauge("gnn_serve_batches_in_flight", "batches on the workers", registry=r)
        self.batch = Histogram("gnn_serve_batch_size", "requests per accelerator batch",
                               buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), registry=r)
        self.batch_s = Histogram("gnn_serve_batch_seconds", "worker time per batch", ["stage"],
                                 buckets=(.0001, .0003, .001, .002, .005, .01, .02, .05, .1, .5, 1), registry=r)
        self.calls = Counter("gnn_serve_accelerator_calls", "accelerator calls", ["worker", "backend"], registry=r)
        self.cycles = Counter("gnn_serve_kernel_cycles", "kernel cycles (sim, board; 0 on cpu)",
                              ["worker", "backend"], registry=r)
        self.refused = Counter("gnn_serve_refused", "requests refused with 503", ["reason"], registry=r)
        self.stored = Counter("gnn_serve_interactions_stored", "interactions stored", registry=r)
        self.gc_pauses = GCPauses()
        r.register(self.gc_pauses)


class GCPauses:
    """The cyclic GC's pauses as a Prometheus histogram, `gnn_serve_gc_pause_seconds{generation}`:
    a full collection stalls every request in flight (docs/SERVING.md), so it is worth seeing.
    Timed by a gc callback into plain counters (no metric lock taken inside a collection, which
    may start while any thread holds one), read out as a histogram family at scrape time."""

    BUCKETS = (.0001, .0003, .001, .003, .01, .03, .1, .3, 1.0)

    def __init__(self):
        self.counts = [[0] * (len(self.BUCKETS) + 1) for _ in range(3)]  # per generation, last: +Inf
        self.sums = [0.0] * 3
        self._start = 0.0

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
            return
        pause, gen = time.perf_counter() - self._start, info["generation"]
        self.sums[gen] += pause
        self.counts[gen][bisect.bisect_left(self.BUCKETS, pause)] += 1

    def collect(self):
        from prometheus_client.core import HistogramMetricFamily
        family = HistogramMetricFamily("gnn_serve_gc_pause_seconds", "cyclic GC pauses of the server process",
                                       labels=["generation"])
        for gen in range(3):
            cumulative, buckets = 0, []
            for bound, n in zip(self.BUCKETS + (float("inf"),), self.counts[gen]):
                cumulative += n
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            family.add_metric([str(gen)], buckets, self.sums[gen])
        yield family


class Service:
    """Models (one per worker), the interaction overlay, the store and the batcher."""

    def __init__(self, cfg: ServiceConfig, store: InteractionStore | None = None):
        import torch
        from host.driver import Accelerator
        torch.set_num_threads(1)  # one thread per worker: the workers are the parallelism
        self.cfg = cfg
        if cfg.workers < 1:
            raise ValueError("at least one worker (backend)")
        path = pathlib.Path(cfg.model)
        if cfg.worker_mode not in ("process", "thread", "inline"):
            raise ValueError(f"worker_mode must be process, thread or inline, got {cfg.worker_mode!r}")
        if cfg.worker_mode == "inline" and cfg.workers != 1:
            raise ValueError(f"worker_mode inline runs batches on the event loop: one worker, got {cfg.workers}")
        self.accs, self.workers, self.engines = [], [], []
        self.store = store if store is not None else open_store(cfg.db)  # a bad --db fails first
        try:
            if cfg.worker_mode in ("thread", "inline"):
                for w, backend in enumerate(cfg.backends):
                    acc = Accelerator(backend, **dict(cfg.accelerator_options))
                    self.accs.append(acc)
                    self.workers.append(Worker(w, Engine(OnlineRecommender.load(path, acc), cfg.max_batch), backend, acc,
                                               inline=cfg.worker_mode == "inline"))
                self.rec = Catalogue.of(self.workers[0].engine.rec)
            else:
                self.rec = Catalogue.load(path)  # a bad model file fails before any worker starts
                self.engines = [ProcessEngine(path, b, dict(cfg.accelerator_options), cfg.max_batch)
                                for b in cfg.backends]
                for e in self.engines:
                    e.wait_ready()
                self.workers = [Worker(w, e, b) for w, (e, b) in enumerate(zip(self.engines, cfg.backends))]
        except BaseException:
            self.close_accelerators()
            with contextlib.suppress(Exception):
                self.store.close()
            raise
        rec = self.rec
        self.item_index = {raw: i for i, raw in enumerate(rec.item_ids)}
        self.extra: dict[str, list[int]] = {}          # user id -> stored item indices, first-seen order
        self.rows: dict[str, tuple[np.ndarray, np.ndarray]] = {}   # user id -> (row items, excluded)
        self.metrics = Metrics()
        for w in self.workers:  # every worker's series from the start (0 until it serves)
            self.metrics.calls.labels(str(w.index), w.backend)
            self.metrics.cycles.labels(str(w.index), w.backend)
        self.model_info = {
            "path": str(path), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()[:16], "format": SAVE_FORMAT,
            "users": rec.n_users, "items": rec.n_items, "layers": rec.n_layers,
            "features": rec.features, "workers": list(cfg.backends), "worker_mode": cfg.worker_mode,
            "max_batch": cfg.max_batch, "max_wait_ms": cfg.max_wait_ms, "max_queue": cfg.max_queue,
            "timeout_ms": cfg.timeout_ms, "store": type(self.store).__name__,
        }
        self.replayed = 0
        for it in self.store.all():
            if it.item in self.item_index:
                self._remember(it.user, self.item_index[it.item])
                self.replayed += 1
        # the answer's constant pieces as JSON text, encoded once (the same text json.dumps writes)
        self._json_items = [_json_str(str(i)) for i in rec.item_ids]
        self._json_titles = [_json_str(str(t)) for t in rec.titles]
        self._json_model = json.dumps(self.model_info, separators=(",", ":"), allow_nan=False)
        self._requests_200 = self.metrics.requests.labels("recommend", "200")
        self._latency_recommend = self.metrics.latency.labels("recommend")
        self._refused_queue = self.metrics.refused.labels("queue_full")
        self._refused_deadline = self.metrics.refused.labels("deadline")
        self.batcher: MicroBatcher | None = None
        self.db_executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="store")

    # -- state -------------------------------------------------------------------------------
    def _remember(self, user: str, item: int) -> bool:
        items = self.extra.setdefault(user, [])
        if item in items:
            return False
        items.append(item)
        q = make_query(self.rec, user, items, 0)
        self.rows[user] = (q.items, q.exclude)
        return True

    def query(self, user: str, k: int) -> Query:
        row = self.rows.get(user)
        if row is not None:
            return Query(k, self.rec._user_index.get(user), row[0], row[1])
        return make_query(self.rec, user, (), k)

    def on_batch(self, worker: Worker, timing) -> None:
        m, labels = self.metrics, (str(worker.index), worker.backend)
        m.batch.observe(timing.size)
        m.calls.labels(*labels).inc(timing.calls)
        if timing.cycles:
            m.cycles.labels(*labels).inc(timing.cycles)
        m.batch_s.labels("aggregate").observe(timing.aggregate_s)
        m.batch_s.labels("head").observe(timing.head_s)
        m.batch_s.labels("total").observe(timing.total_s)

    async def start(self) -> None:
        c = self.cfg
        self.batcher = MicroBatcher(self.workers, c.max_batch, c.max_wait_ms / 1e3, c.max_queue, c.timeout_ms / 1e3,
                                    on_batch=self.on_batch)
        self.metrics.queue.set_function(lambda: self.batcher.queue_depth)
        self.metrics.inflight.set_function(lambda: self.batcher.inflight)
        gc.callbacks.append(self.metrics.gc_pauses)
        self.batcher.start()

    async def stop(self) -> None:
        if self.metrics.gc_pauses in gc.callbacks:
            gc.callbacks.remove(self.metrics.gc_pauses)
        if self.batcher is not None:
            await self.batcher.close()
        self.db_executor.shutdown(wait=True)
        with contextlib.suppress(Exception):
            self.store.close()
        self.close_accelerators()

    def close_accelerators(self) -> None:
        for e in self.engines:
            with contextlib.suppress(Exception):
                e.close()
        for acc in self.accs:
            with contextlib.suppress(Exception):
                acc.close()

    # -- requests ----------------------------------------------------------------------------
    async def recommend(self, params) -> bytes:
        """The JSON answer (UTF-8 bytes) of GET /recommend with query parameters `params` (a
        mapping), or an ApiError. Field for field what json.dumps(..., separators=(",", ":"))
        writes of the documented dict, built from pieces encoded once."""
        t0 = time.perf_counter()
        user = check_id(params.get("user"), "user", required=True)
        k = parse_int(params.get("k", "10"), "k", 1, self.rec.n_items, "(the catalogue)")
        known = user in self.rec._user_index
        try:
            result, info = await self.batcher.submit(self.query(user, k))
        except Overloaded as e:
            self._refused_queue.inc()
            raise ApiError(503, str(e), {"Retry-After": str(e.retry_after)}) from None
        except DeadlineExceeded as e:
            self._refused_deadline.inc()
            raise ApiError(503, f"deadline exceeded: {e}", {"Retry-After": "1"}) from None
        bt = info["batch"]
        items = result.items.tolist()
        scores = result.scores.tolist()  # float64 -> Python floats, the values json.dumps would write
        if not all(map(math.isfinite, scores)):
            raise ValueError(f"Out of range float values are not JSON compliant: {scores!r}"[:300])
        ids, titles = self._json_items, self._json_titles
        total_ms = (time.perf_counter() - t0) * 1e3
        return (f'{{"user":{_json_str(user)},"known_user":{"true" if known else "false"},'
                f'"strategy":{_json_str(result.strategy)},"k":{k},'
                f'"items":[{",".join([ids[i] for i in items])}],"titles":[{",".join([titles[i] for i in items])}],'
                f'"scores":[{",".join(map(float.__repr__, scores))}],'
                f'"interactions":{len(self.extra.get(user, ()))},"model":{self._json_model},'
                f'"timing":{{"total_ms":{total_ms!r},"queue_ms":{info["queue_s"] * 1e3!r},'
                f'"batch_size":{int(bt.size)},"worker":{int(info["worker"])},"batch_ms":{bt.total_s * 1e3!r},'
                f'"accelerator_ms":{bt.aggregate_s * 1e3!r},"head_ms":{bt.head_s * 1e3!r},'
                f'"rank_ms":{bt.rank_s * 1e3!r},"accelerator_calls":{int(bt.calls)},'
                f'"kernel_cycles":{int(bt.cycles)}}}}}').encode()

    async def add_interaction(self, body: bytes) -> dict:
        it = parse_interaction(body, self.item_index, self.rec.item_ids)
        user, item, rating, t = it.user, it.item, it.rating, it.time
        try:
            seq = await asyncio.get_running_loop().run_in_executor(self.db_executor, self.store.add, it)
        except StoreError as e:
            self.metrics.refused.labels("database").inc()
            raise ApiError(503, f"database unavailable: {e}", {"Retry-After": "5"}) from None
        new = self._remember(user, self.item_index[item])  # after the commit: acknowledged = durable
        self.metrics.stored.inc()
        return {"stored": seq, "user": user, "item": item, "rating": float(rating), "time": t,
                "known_user": user in self.rec._user_index, "new_item_for_user": new,
                "interactions": len(self.extra[user])}

    def health(self) -> dict:
        b = self.batcher
        return {"status": "ok" if b is not None and not b._closing else "draining",
                "queue_depth": b.queue_depth if b else 0, "batches_in_flight": b.inflight if b else 0,
                "replayed_interactions": self.replayed, "users_with_interactions": len(self.extra),
                "model": self.model_info}


def make_query(rec: Catalogue, user: str, extra, k: int) -> Query:
    """The query of `user` (a data set id) with stored item indices `extra`: the row is the
    training neighbours followed by the stored items not among them; excluded are train + valid +
    stored. A user the model has not seen: the stored items only (none: popularity)."""
    u = rec._user_index.get(user)
    if u is not None and not len(extra):  # the hot path's common case: no array to build
        return Query(k, u, rec.neighbours[u], rec.known[u])
    extra = np.asarray(list(dict.fromkeys(extra)), np.uint32)
    if u is None:
        return Query(k, None, extra, extra.astype(np.int64))
    base = rec.neighbours[u]
    return Query(k, u, np.concatenate([base, extra[~np.isin(extra, base)]]), np.union1d(rec.known[u], extra))


def parse_interaction(body: bytes, item_index: dict, item_ids: list[str]) -> Interaction:
    """The Interaction of a POST body, or an ApiError (400 malformed JSON, 422 a bad value, named)."""
    try:
        doc = json.loads(body)
    except (ValueError, RecursionError) as e:
        raise ApiError(400, f"malformed JSON: {str(e)[:200]}") from None
    if not isinstance(doc, dict):
        raise ApiError(422, f"the body must be a JSON object, got {type(doc).__name__}")
    extra = sorted(set(doc) - {"user", "item", "rating", "time"})
    if extra:
        raise ApiError(422, f"unknown field(s) {', '.join(map(repr, extra))}: expected user, item, rating, time")
    for field in ("user", "item", "rating"):
        if field not in doc:
            raise ApiError(422, f"missing field {field!r}")
    user = check_id(doc["user"], "user")
    item = check_id(doc["item"], "item")
    if item not in item_index:
        raise ApiError(422, f"unknown item id {item!r} ({len(item_ids)} items, e.g. "
                            f"{', '.join(repr(i) for i in item_ids[:3])})")
    rating = doc["rating"]
    if isinstance(rating, bool) or not isinstance(rating, (int, float)) or not math.isfinite(rating) \
            or abs(rating) > 1e9:
        raise ApiError(422, f"rating must be a finite number, got {rating!r}")
    t = doc.get("time", int(time.time()))
    if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < 2 ** 63:
        raise ApiError(422, f"time must be an integer number of seconds since the epoch, got {t!r}")
    return Interaction(user, item, float(rating), t)


def check_id(value, name: str, required: bool = False) -> str:
    """A data set id: a non-empty string (or an integer, as JSON may carry it) without control characters."""
    if value is None and required:
        raise ApiError(422, f"missing query parameter {name!r}")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ApiError(422, f"{name} must be a string or integer id, got {type(value).__name__} {value!r}"[:300])
    value = str(value)
    if not value or len(value) > MAX_ID_CHARS or not value.isprintable():
        raise ApiError(422, f"{name} must be 1..{MAX_ID_CHARS} printable characters, got {value[:40]!r}")
    return value


def parse_int(text: str, name: str, lo: int, hi: int, what: str = "") -> int:
    s = text.strip()
    if not (s.isdigit() or (s[:1] in "+-" and s[1:].isdigit())) or len(s) > 20:
        raise ApiError(422, f"{name} must be an integer in {lo}..{hi} {what}, got {text[:40]!r}".replace("  ", " "))
    v = int(s)
    if not lo <= v <= hi:
        raise ApiError(422, f"{name} must be an integer in {lo}..{hi} {what}, got {v}".replace("  ", " "))
    return v


def _json(doc: dict, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(doc, separators=(",", ":"), allow_nan=False), status, headers,
                    media_type="application/json")


def query_params(query_string: bytes) -> dict:
    """The query parameters of a raw ASGI query string as Starlette's `request.query_params` reads
    them (parse_qsl of the latin-1 text, blank values kept, the last of a repeated name wins); a
    string without escapes ('%', '+') is split directly, with the same result."""
    text = query_string.decode("latin-1")
    if "%" in text or "+" in text:
        return dict(parse_qsl(text, keep_blank_values=True))
    params = {}
    for field in text.split("&"):
        if field:
            name, _, value = field.partition("=")
            params[name] = value
    return params


class ServiceApp(FastAPI):
    """FastAPI with GET /recommend answered by a plain ASGI handler before FastAPI's stack."""

    recommend_handler = None

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/recommend" \
                and self.recommend_handler is not None:
            await self.recommend_handler(scope, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(service: Service | None = None, cfg: ServiceConfig | None = None) -> ServiceApp:
    """The FastAPI app over `service` (or a Service made from `cfg` when the app starts)."""
    holder = {"svc": service}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        svc = holder["svc"] = holder["svc"] or Service(cfg)
        app.state.service = svc
        await svc.start()
        try:
            yield
        finally:
            await svc.stop()

    app = ServiceApp(title="gnn_agg recommender", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    async def handle(endpoint: str, work, request_metrics=True):
        svc = holder["svc"]
        t0 = time.perf_counter()
        try:
            status, headers, doc = 200, None, await work(svc)
        except ApiError as e:
            status, headers, doc = e.status, e.headers, {"error": e.message}
        except Exception as e:  # a bug: say what, keep serving
            status, headers, doc = 500, None, {"error": f"internal error: {type(e).__name__}: {str(e)[:300]}"}
        if endpoint == "interactions" and status == 200:
            status = 201
        m = svc.metrics
        m.requests.labels(endpoint, str(status)).inc()
        m.latency.labels(endpoint).observe(time.perf_counter() - t0)
        return _json(doc, status, headers)

    json_type = (b"content-type", b"application/json")

    async def recommend(scope, send):
        """GET /recommend as plain ASGI: what handle() + Response do, minus FastAPI's stack."""
        svc = holder["svc"]
        t0 = time.perf_counter()
        headers = None
        try:
            body = await svc.recommend(query_params(scope["query_string"]))
            status, counter = 200, svc._requests_200
        except Exception as e:
            if isinstance(e, ApiError):
                status, headers, doc = e.status, e.headers, {"error": e.message}
            else:  # a bug: say what, keep serving
                status, doc = 500, {"error": f"internal error: {type(e).__name__}: {str(e)[:300]}"}
            body = json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
            counter = svc.metrics.requests.labels("recommend", str(status))
        counter.inc()
        svc._latency_recommend.observe(time.perf_counter() - t0)
        raw = [(b"content-length", b"%d" % len(body)), json_type]
        if headers:
            raw += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})

    app.recommend_handler = recommend

    @app.get("/recommend")  # not reached for GET (ServiceApp answers it first); kept for other methods' 405
    async def recommend_route(request: Request):
        async def work(svc):
            return json.loads(await svc.recommend(request.query_params))
        return await handle("recommend", work)

    @app.post("/interactions")
    async def interactions(request: Request):
        async def work(svc):
            limit = svc.cfg.max_body
            length = request.headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                raise ApiError(413, f"body larger than {limit} bytes")
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > limit:
                    raise ApiError(413, f"body larger than {limit} bytes")
            return await svc.add_interaction(bytes(body))
        return await handle("interactions", work)

    @app.get("/health")
    async def health():
        async def work(svc):
            return svc.health()
        return await handle("health", work)

    @app.get("/metrics")
    async def metrics():
        svc = holder["svc"]
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return app
