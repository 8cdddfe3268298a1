"""Accelerator workers in their own processes: each child owns one Accelerator and one Engine, so
N workers compute on N cores without sharing the server's GIL (the HTTP side stays responsive
while a batch runs). The parent talks to a child over a pipe: a batch of Queries out, (results,
timing) back. `ProcessEngine.run` has Engine.run's signature, so the batcher cannot tell them
apart; `worker_mode="thread"` (the tests' default) runs the Engine in the server process instead.
"""
from __future__ import annotations

import multiprocessing
import threading


def _child(conn, model: str, backend: str, options: dict, max_batch: int) -> None:
    import signal
    # Ctrl-C reaches the whole process group: the server drains first, then ends its workers
    # (None down the pipe, or EOF when the server itself is gone)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    import torch
    torch.set_num_threads(1)
    from host.driver import Accelerator
    from ..serve import OnlineRecommender
    from .engine import Engine
    try:
        acc = Accelerator(backend, **options)
        engine = Engine(OnlineRecommender.load(model, acc), max_batch)
    except Exception as e:  # reported by the parent as a one-line error
        conn.send(("error", f"{type(e).__name__}: {e}"))
        return
    import gc
    gc.collect()
    gc.freeze()  # the model's long-lived objects out of the cyclic GC (see cli.main)
    conn.send(("ready", None))
    try:
        while True:
            try:
                queries = conn.recv()
            except EOFError:  # the server went away
                break
            if queries is None:
                break
            try:
                conn.send(("ok", engine.run(queries)))
            except Exception as e:
                conn.send(("error", f"{type(e).__name__}: {e}"))
    finally:
        acc.close()


class ProcessEngine:
    """Engine.run in a child process (spawned: no state inherited from the server)."""

    def __init__(self, model: str, backend: str, options: dict, max_batch: int):
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_child, args=(child, str(model), backend, dict(options), max_batch),
                                daemon=True, name=f"accelerator-{backend}")
        self.proc.start()
        child.close()
        self._lock = threading.Lock()

    def wait_ready(self) -> None:
        try:
            status, message = self.conn.recv()
        except EOFError:
            raise RuntimeError(f"accelerator worker exited with status {self.proc.exitcode} while starting") from None
        if status != "ready":
            self.close()
            raise ValueError(message)

    def run(self, queries):
        with self._lock:
            try:
                self.conn.send(queries)
                status, value = self.conn.recv()
            except (EOFError, OSError):
                raise RuntimeError(f"accelerator worker died (exit status {self.proc.exitcode})") from None
        if status != "ok":
            raise RuntimeError(f"accelerator worker: {value}")
        return value

    def close(self) -> None:
        try:
            self.conn.send(None)
        except OSError:
            pass
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(5)
        self.conn.close()
