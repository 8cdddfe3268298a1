"""Dynamic micro-batching over N accelerator workers, with admission control.

Requests wait in one bounded FIFO. A dispatcher (a coroutine on the server's event loop) forms a
batch when a worker has room: it takes every waiting request up to `max_batch`, after waiting at
most `max_wait_s` from the arrival of the oldest one for more to come (no wait at all once that
request has already waited that long, e.g. while every worker was busy: under load batches grow by
themselves). The batch goes to the least-loaded worker (fewest batches in flight, then the lowest
index); each worker is one thread with its own Accelerator and Engine, so N workers run N
accelerator calls at once (the cpu backend's NumPy, the sim's Verilator and a board's DMA all
release the GIL for the heavy part).

Admission: a request that finds `max_queue` requests waiting is refused at once (Overloaded ->
503 with Retry-After); each request has a deadline (`timeout_s` after its arrival): one still
waiting at its deadline fails (DeadlineExceeded -> 503) and is never sent to a worker. `close()`
refuses new requests, serves every waiting one and waits for the batches in flight (graceful
shutdown: uvicorn stops accepting connections and finishes its requests first, then the lifespan
calls close()).
"""
from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import dataclasses
import functools

from .engine import Engine, Query


class Overloaded(Exception):
    """The queue is full (or the server is shutting down): try again after `retry_after` s."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class DeadlineExceeded(Exception):
    """The request waited past its deadline without being served."""


@dataclasses.dataclass
class _Pending:
    query: Query
    future: asyncio.Future
    arrival: float
    deadline: float


class Worker:
    def __init__(self, index: int, engine: Engine, backend: str, acc=None):
        self.index, self.engine, self.backend, self.acc = index, engine, backend, acc
        self.executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix=f"accelerator-{index}")
        self.inflight = 0
        self.batches = 0
        self.requests = 0


class MicroBatcher:
    def __init__(self, workers: list[Worker], max_batch: int = 32, max_wait_s: float = 0.002,
                 max_queue: int = 256, timeout_s: float = 1.0, depth: int = 1, on_batch=None):
        if not workers:
            raise ValueError("at least one worker")
        if max_batch < 1 or max_queue < 1 or max_wait_s < 0 or timeout_s <= 0 or depth < 1:
            raise ValueError(f"bad batcher settings: max_batch={max_batch}, max_queue={max_queue}, "
                             f"max_wait_s={max_wait_s}, timeout_s={timeout_s}, depth={depth}")
        self.workers, self.max_batch, self.max_wait_s = workers, max_batch, max_wait_s
        self.max_queue, self.timeout_s, self.depth, self.on_batch = max_queue, timeout_s, depth, on_batch
        self._pending: collections.deque[_Pending] = collections.deque()
        self._arrival = asyncio.Event()
        self._free = asyncio.Event()
        self._closing = False
        self._task: asyncio.Task | None = None

    @property
    def queue_depth(self) -> int:
        return len(self._pending)

    @property
    def inflight(self) -> int:
        return sum(w.inflight for w in self.workers)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._dispatch())

    async def submit(self, query: Query, timeout_s: float | None = None):
        """(Result, info) of one query; Overloaded or DeadlineExceeded when it cannot be served."""
        if self._closing:
            raise Overloaded("the server is shutting down")
        if len(self._pending) >= self.max_queue:
            raise Overloaded(f"queue full ({self.max_queue} requests waiting)")
        loop = asyncio.get_running_loop()
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        now = loop.time()
        fut = loop.create_future()
        self._pending.append(_Pending(query, fut, now, now + timeout_s))
        self._arrival.set()
        timer = loop.call_later(timeout_s, _expire, fut, timeout_s)
        try:
            return await fut
        finally:
            timer.cancel()

    async def _dispatch(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._pending:
                if self._closing:
                    return
                self._arrival.clear()
                await self._arrival.wait()
            while min(w.inflight for w in self.workers) >= self.depth:
                self._free.clear()
                await self._free.wait()
            first = self._pending[0]
            while len(self._pending) < self.max_batch and not self._closing:
                remaining = first.arrival + self.max_wait_s - loop.time()
                if remaining <= 0:
                    break
                self._arrival.clear()
                try:
                    await asyncio.wait_for(self._arrival.wait(), remaining)
                except asyncio.TimeoutError:
                    break
            batch, now = [], loop.time()
            while self._pending and len(batch) < self.max_batch:
                p = self._pending.popleft()
                if p.future.done():           # its deadline passed, or its client went away
                    continue
                if now >= p.deadline:
                    p.future.set_exception(DeadlineExceeded(f"not served within {self.timeout_s * 1e3:.0f} ms"))
                    continue
                batch.append(p)
            if batch:
                worker = min(self.workers, key=lambda w: (w.inflight, w.index))
                self._launch(worker, batch, now)

    def _launch(self, worker: Worker, batch: list[_Pending], now: float) -> None:
        worker.inflight += 1
        loop = asyncio.get_running_loop()
        fut = loop.run_in_executor(worker.executor, worker.engine.run, [p.query for p in batch])
        fut.add_done_callback(functools.partial(self._done, worker, batch, now))

    def _done(self, worker: Worker, batch: list[_Pending], dispatched: float, fut: asyncio.Future) -> None:
        worker.inflight -= 1
        worker.batches += 1
        worker.requests += len(batch)
        self._free.set()
        exc = fut.exception()
        if exc is not None:
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
            return
        results, timing = fut.result()
        if self.on_batch is not None:
            self.on_batch(worker, timing)
        for p, r in zip(batch, results):
            if not p.future.done():
                p.future.set_result((r, {"queue_s": dispatched - p.arrival, "worker": worker.index, "batch": timing}))

    async def close(self) -> None:
        """Refuse new requests, serve the waiting ones, wait for the batches in flight."""
        self._closing = True
        self._arrival.set()
        if self._task is not None:
            await self._task
        while self.inflight:
            self._free.clear()
            await self._free.wait()
        for w in self.workers:
            w.executor.shutdown(wait=True)


def _expire(fut: asyncio.Future, timeout_s: float) -> None:
    if not fut.done():
        fut.set_exception(DeadlineExceeded(f"not served within {timeout_s * 1e3:.0f} ms"))
