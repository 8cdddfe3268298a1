"""Dynamic micro-batching over N accelerator workers, with admission control.

Requests wait in one bounded FIFO. A dispatcher (a coroutine on the server's event loop) forms a
batch when a worker has room: it takes every waiting request up to `max_batch`, after waiting at
most `max_wait_s` from the arrival of the oldest one for more to come (no wait at all once that
request has already waited that long, e.g. while every worker was busy: under load batches grow by
themselves). The batch goes to the least-loaded worker (fewest batches in flight, then the lowest
index). A worker is `thread` (its own thread with its own Accelerator and Engine: N workers run N
accelerator calls at once, the cpu backend's NumPy, the sim's Verilator and a board's DMA
release the GIL for the heavy part; a process worker is a thread that waits on its child's pipe)
or `inline` (the batch runs on the event loop itself: no hand-off at all, the cheapest on one
core, where a second thread has no core to run on anyway).

The per-request path is short on purpose (docs/SERVING.md, "Where the CPU goes"): a request is
one deque append and one future; the dispatcher is woken once per batch (by the first arrival, by
the arrival that fills the batch, or by one timer at the end of the wait), not once per request;
a finished batch comes back to the loop as one callback.

Admission: a request that finds `max_queue` requests waiting (queued beyond what the free
workers take at once) is refused at once (Overloaded -> 503 with Retry-After); each request has a deadline (`timeout_s` after its arrival): one not
answered by then fails (DeadlineExceeded -> 503), and one still waiting then is never sent to a
worker. One timer serves every deadline: it fires at the oldest unanswered request's deadline,
fails every request past its own, and re-arms for the next. `close()` refuses new requests, serves
every waiting one and waits for the batches in flight (graceful shutdown: uvicorn stops accepting
connections and finishes its requests first, then the lifespan calls close()).
"""
from __future__ import annotations

import asyncio
import collections
import queue
import threading

from .engine import Engine, Query

_NEVER = float("inf")


class Overloaded(Exception):
    """The queue is full (or the server is shutting down): try again after `retry_after` s."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.retry_after = retry_after


class DeadlineExceeded(Exception):
    """The request waited past its deadline without being served."""


class _Pending:
    __slots__ = ("query", "future", "arrival", "deadline")

    def __init__(self, query: Query, future: asyncio.Future, arrival: float, deadline: float):
        self.query, self.future, self.arrival, self.deadline = query, future, arrival, deadline


def _deadline_error(p: _Pending) -> DeadlineExceeded:
    return DeadlineExceeded(f"not served within {(p.deadline - p.arrival) * 1e3:.0f} ms")


class Worker:
    """One accelerator worker: `engine.run(queries)` on its own thread (`inline=False`) or on the
    caller's, the event loop (`inline=True`). `submit(queries, done)` calls `done(value, exc)` on
    the event loop when the batch is finished."""

    def __init__(self, index: int, engine: Engine, backend: str, acc=None, inline: bool = False):
        self.index, self.engine, self.backend, self.acc, self.inline = index, engine, backend, acc, inline
        self.inflight = 0
        self.batches = 0
        self.requests = 0
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def submit(self, queries: list[Query], done) -> None:
        if self.inline:
            try:
                value = self.engine.run(queries)
            except Exception as e:
                done(None, e)
            else:
                done(value, None)
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name=f"accelerator-{self.index}", daemon=True)
            self._thread.start()
        self._jobs.put((queries, done, asyncio.get_running_loop()))

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            queries, done, loop = job
            try:
                value, exc = self.engine.run(queries), None
            except Exception as e:
                value, exc = None, e
            try:
                loop.call_soon_threadsafe(done, value, exc)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join()
            self._thread = None


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
        self._pending: collections.deque[_Pending] = collections.deque()  # waiting for a worker
        self._live: collections.deque[_Pending] = collections.deque()     # every request, oldest first (deadlines)
        self._expiry: asyncio.TimerHandle | None = None
        self._waiter: asyncio.Future | None = None  # the dispatcher sleeping ...
        self._wake_len = _NEVER                      # ... until this many are waiting,
        self._wake_on_free = False                   # ... or a worker has room
        self._closing = False
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def queue_depth(self) -> int:
        return len(self._pending)

    @property
    def inflight(self) -> int:
        return sum(w.inflight for w in self.workers)

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = self._loop.create_task(self._dispatch())

    async def submit(self, query: Query, timeout_s: float | None = None):
        """(Result, info) of one query; Overloaded or DeadlineExceeded when it cannot be served."""
        if self._closing:
            raise Overloaded("the server is shutting down")
        pending = self._pending
        # waiting = queued beyond what the free workers take at once (whether or not the dispatcher
        # has run since they were queued: admission does not depend on the loop's timing)
        free = sum(self.depth - w.inflight for w in self.workers if w.inflight < self.depth)
        if len(pending) - free * self.max_batch >= self.max_queue:
            raise Overloaded(f"queue full ({self.max_queue} requests waiting)")
        loop = self._loop
        now = loop.time()
        p = _Pending(query, loop.create_future(), now, now + (self.timeout_s if timeout_s is None else timeout_s))
        pending.append(p)
        self._live.append(p)
        if self._expiry is None:
            self._expiry = loop.call_at(p.deadline, self._expire)
        if len(pending) >= self._wake_len:
            self._wake()
        return await p.future

    # -- deadlines: one timer at the oldest unanswered request's deadline -------------------------
    def _expire(self) -> None:
        self._expiry = None
        live, now = self._live, self._loop.time()
        while live:
            p = live[0]
            if not p.future.done():
                if p.deadline > now:
                    break
                p.future.set_exception(_deadline_error(p))
            live.popleft()
        if live:
            self._expiry = self._loop.call_at(live[0].deadline, self._expire)

    # -- the dispatcher ---------------------------------------------------------------------------
    def _wake(self) -> None:
        w = self._waiter
        if w is not None and not w.done():
            w.set_result(None)

    async def _sleep(self, wake_len: float = _NEVER, on_free: bool = False) -> None:
        self._wake_len, self._wake_on_free = wake_len, on_free
        self._waiter = self._loop.create_future()
        try:
            await self._waiter
        finally:
            self._waiter, self._wake_len, self._wake_on_free = None, _NEVER, False

    async def _dispatch(self) -> None:
        loop, pending, workers = self._loop, self._pending, self.workers
        while True:
            if not pending:
                if self._closing:
                    return
                await self._sleep(wake_len=1)
                continue
            if min(w.inflight for w in workers) >= self.depth:
                await self._sleep(on_free=True)
                continue
            if len(pending) < self.max_batch and not self._closing:
                until = pending[0].arrival + self.max_wait_s
                if until > loop.time():
                    timer = loop.call_at(until, self._wake)
                    try:
                        await self._sleep(wake_len=self.max_batch)
                    finally:
                        timer.cancel()
            batch, now = [], loop.time()
            while pending and len(batch) < self.max_batch:
                p = pending.popleft()
                if p.future.done():           # its deadline passed, or its client went away
                    continue
                if now >= p.deadline:
                    p.future.set_exception(_deadline_error(p))
                    continue
                batch.append(p)
            if batch:
                worker = min(workers, key=lambda w: (w.inflight, w.index))
                self._launch(worker, batch, now)
                if worker.inline:
                    await asyncio.sleep(0)  # let the loop read the requests that came in meanwhile

    def _launch(self, worker: Worker, batch: list[_Pending], now: float) -> None:
        worker.inflight += 1

        def done(value, exc):
            self._done(worker, batch, now, value, exc)
        worker.submit([p.query for p in batch], done)

    def _done(self, worker: Worker, batch: list[_Pending], dispatched: float, value, exc) -> None:
        worker.inflight -= 1
        worker.batches += 1
        worker.requests += len(batch)
        if self._wake_on_free:
            self._wake()
        if exc is not None:
            for p in batch:
                if not p.future.done():
                    p.future.set_exception(exc)
        else:
            results, timing = value
            if self.on_batch is not None:
                self.on_batch(worker, timing)
            index = worker.index
            for p, r in zip(batch, results):
                if not p.future.done():
                    p.future.set_result((r, {"queue_s": dispatched - p.arrival, "worker": index, "batch": timing}))
        # answered requests leave the deadline FIFO now, not when the oldest deadline passes: kept
        # there for timeout_s (2,000 requests at 2,000/s) they were promoted into the cyclic GC's
        # oldest generation and walked by its passes, with their results
        live = self._live
        while live and live[0].future.done():
            live.popleft()

    async def close(self) -> None:
        """Refuse new requests, serve the waiting ones, wait for the batches in flight."""
        self._closing = True
        self._wake()
        if self._task is not None:
            await self._task
        while self.inflight:
            await self._sleep(on_free=True)
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        for w in self.workers:
            w.stop()
