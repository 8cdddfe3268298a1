"""python -m host.bench.load: an open-loop load test of the recommendation service over loopback
(docs/SERVING.md has the figures).

For each server configuration (micro-batched or not, 1 or 2 accelerator workers) the server runs
as its own process (python -m host.serve on a fresh SQLite file); the client, in this process, sends
GET /recommend for uniformly drawn training users at Poisson arrival times (open loop: a request
is sent at its scheduled time whether or not earlier ones have been answered, over a pool of
keep-alive connections, opened as needed) at each offered rate in turn, each for a bounded time
and count. Latency is measured from the *scheduled* send time to the last byte of the response, so
a client that falls behind counts against the server, not in its favour. The client is a minimal
HTTP/1.1 implementation on asyncio protocols and uvloop (a general client costs more CPU per request than the
server does, on the same two cores). Per rate: p50/p95/p99, achieved throughput (200s per second
of the rate's window), refusals (503), errors, the CPU seconds of server and client, and the load
average. A configuration stops at the first rate where p99 exceeds --stop-ms or where more than
5 % are refused. Writes load.json, load.md and load.png under --out.
"""
from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np

from .report import git_state

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIGS = {  # name -> (max batch, workers, worker mode; None: --worker-mode)
    "unbatched-1w": (1, 1, None),
    "batched-1w": (32, 1, None),
    "unbatched-2w": (1, 2, None),
    "batched-2w": (32, 2, None),
    "unbatched-1w-thread": (1, 1, "thread"),   # the worker a thread of the server process
    "batched-1w-thread": (32, 1, "thread"),
    "unbatched-1w-inline": (1, 1, "inline"),   # the batch on the server's event loop: no hand-off
    "batched-1w-inline": (32, 1, "inline"),
    "ray": (32, 2, None),      # Ray Serve: @serve.batch, autoscaling 1..2 replicas (not in the default list)
}
DEFAULT_CONFIGS = ("unbatched-1w", "batched-1w", "unbatched-2w", "batched-2w")


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection: a request written, its response parsed from the bytes
    as they arrive (status line, Content-Length, body), one request at a time."""

    def __init__(self):
        self.transport, self.buffer, self.waiter, self.closed = None, bytearray(), None, False
        self.last_used = time.monotonic()

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        buf = self.buffer
        buf += data
        if self.waiter is None:
            return
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(buf[:end]).lower()
        at, length = head.find(b"\r\ncontent-length:"), 0
        if at >= 0:
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17:stop if stop > 0 else len(head)])
        total = end + 4 + length
        if len(buf) < total:
            return
        status, body = int(head[9:12]), bytes(buf[end + 4:total])
        del buf[:total]
        waiter, self.waiter = self.waiter, None
        if not waiter.done():
            waiter.set_result((status, body))

    def connection_lost(self, exc):
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionResetError("the server closed the connection"))


class Client:
    """Keep-alive HTTP/1.1 GETs over a pool of connections to host:port (asyncio protocols, no
    streams: a general client, or even asyncio's streams, costs more CPU per request than it is
    worth on a machine whose other core serves)."""

    def __init__(self, host: str, port: int, max_connections: int = 256):
        self.host, self.port, self.max_connections = host, port, max_connections
        self.idle: list[_Connection] = []
        self.opened = 0
        self.max_idle_s = 3.0  # below uvicorn's 5 s keep-alive timeout
        self._host_header = f"Host: {host}\r\n\r\n".encode()

    async def get(self, path: str) -> tuple[int, bytes]:
        conn = None
        now = time.monotonic()
        while self.idle and conn is None:
            conn = self.idle.pop()
            if conn.closed or now - conn.last_used > self.max_idle_s:  # the server may have closed it
                conn.transport.close()
                conn = None
        loop = asyncio.get_running_loop()
        if conn is None:
            _, conn = await loop.create_connection(_Connection, self.host, self.port)
            self.opened += 1
        conn.waiter = loop.create_future()
        sent = loop.time()
        conn.transport.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self._host_header)
        status, body = await conn.waiter
        conn.last_used = time.monotonic()
        self.idle.append(conn)
        return status, body, sent

    def close(self):
        for conn in self.idle:
            conn.transport.close()
        self.idle.clear()


async def run_rate(client: Client, users: list[str], rate: float, duration: float, max_requests: int,
                   k: int, rng) -> dict:
    n = int(min(max_requests, max(1, rate * duration)))
    gaps = rng.exponential(1.0 / rate, n)
    sched = np.cumsum(gaps) - gaps[0]
    picks = rng.integers(len(users), size=n)
    lat, lag, status = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, np.int32)
    batch, failures = [], {}
    loop = asyncio.get_running_loop()

    async def one(j: int, t_sched: float):
        try:
            code, body, sent = await client.get(f"/recommend?user={users[picks[j]]}&k={k}")
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            status[j] = -1
            failures[type(e).__name__] = failures.get(type(e).__name__, 0) + 1
            return
        lat[j], lag[j] = loop.time() - t_sched, sent - t_sched
        status[j] = code
        if code not in (200, 503):
            key = f"{code}: {body[:120].decode(errors='replace')}"
            failures[key] = failures.get(key, 0) + 1
        if code == 200 and j % 20 == 0:
            batch.append(json.loads(body)["timing"]["batch_size"])

    # the client's cyclic GC off for the window (collected after it): a full pass over the
    # client's objects took 60-90 ms every ~6 s, a stall the latencies charged to the server
    gc.collect()
    gc.disable()
    try:
        t0 = loop.time() + 0.01
        tasks = []
        for j in range(n):
            delay = t0 + sched[j] - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.ensure_future(one(j, t0 + sched[j])))
        await asyncio.gather(*tasks)
        window = max(loop.time() - t0, 1e-9)
    finally:
        gc.enable()
    del tasks
    ok = status == 200
    ms = lat[ok] * 1e3
    pct = (lambda q: float(np.percentile(ms, q))) if ok.any() else (lambda q: float("nan"))
    return {"offered": rate, "requests": n, "ok": int(ok.sum()), "refused": int((status == 503).sum()),
            "errors": int(((status != 200) & (status != 503)).sum()), "achieved": float(ok.sum() / window),
            "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99), "max_ms": float(ms.max()) if ok.any() else None,
            "send_lag_p99_ms": float(np.nanpercentile(lag, 99) * 1e3) if ok.any() else None,
            "mean_batch": float(np.mean(batch)) if batch else None, "connections": client.opened,
            "failures": failures}


def run_loop(coro):
    """The client's event loop: uvloop where installed (less CPU per request than asyncio's)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    return uvloop.run(coro)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(model: str, max_batch: int, workers: int, args, db: str, ray: bool = False,
                 worker_mode: str | None = None):
    port = free_port()
    if ray:
        cmd = [sys.executable, "-m", "host.rec.service.ray_serve", "--model", model, "--port", str(port), "--db", db,
               "--max-batch", str(max_batch), "--max-wait-ms", str(args.max_wait_ms), "--min-replicas", "1",
               "--max-replicas", str(workers), "--num-cpus", str(os.cpu_count())]
    else:
        cmd = [sys.executable, "-m", "host.serve", "--model", model, "--port", str(port), "--db", db,
               "--max-batch", str(max_batch), "--workers", str(workers), "--max-wait-ms", str(args.max_wait_ms),
               "--max-queue", str(args.max_queue), "--timeout-ms", str(args.timeout_ms), "--http", args.http,
               "--loop", args.loop, "--worker-mode", worker_mode or args.worker_mode]
    if args.server_cpus:  # the server and its worker processes on these cores only (the client: taskset it)
        cmd = ["taskset", "-c", args.server_cpus] + cmd
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    import httpx
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: {proc.stdout.read()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc, port, " ".join(cmd)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not start within 300 s")


def cpu_seconds(pid: int) -> float:
    """CPU seconds of the server and its worker processes."""
    import psutil
    total = 0.0
    p = psutil.Process(pid)
    for q in [p] + p.children(recursive=True):
        try:
            t = q.cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


async def run_config(name, max_batch, workers, args, users, rng, worker_mode=None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        proc, port, cmd = start_server(args.model, max_batch, workers, args, os.path.join(tmp, "i.db"), name == "ray",
                                       worker_mode)
        try:
            client = Client("127.0.0.1", port)
            await run_rate(client, users, 200, 1.0, args.warmup, args.k, rng)  # warm-up, not reported
            rows = []
            for rate in args.rates:
                s0, c0, la0 = cpu_seconds(proc.pid), time.process_time(), os.getloadavg()[0]
                t0 = time.perf_counter()
                row = await run_rate(client, users, rate, args.duration, args.max_requests, args.k, rng)
                wall = time.perf_counter() - t0
                row.update(server_cpu=(cpu_seconds(proc.pid) - s0) / wall, client_cpu=(time.process_time() - c0) / wall,
                           load_avg_1m=la0)
                rows.append(row)
                print(f"  {name:26s} {rate:7.0f}/s: achieved {row['achieved']:7.0f}/s  p50 {row['p50_ms']:7.2f}  "
                      f"p95 {row['p95_ms']:7.2f}  p99 {row['p99_ms']:7.2f} ms  refused {row['refused']:5d}  "
                      f"errors {row['errors']}  batch {row['mean_batch'] or 0:5.1f}  send lag p99 {row['send_lag_p99_ms'] or 0:5.2f} ms  "
                      f"server {row['server_cpu']:.2f} "
                      f"client {row['client_cpu']:.2f} CPUs  load {la0:.1f}", flush=True)
                if not row["p99_ms"] <= args.stop_ms or row["refused"] > 0.05 * row["requests"]:
                    break
                await asyncio.sleep(0.5)  # let the queue empty
            client.close()
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
    return {"name": name, "max_batch": max_batch, "workers": workers, "worker_mode": worker_mode or args.worker_mode,
            "server": cmd, "rows": rows,
            "best_rate_at_p99": best_rate(rows, args.p99_ms)}


def best_rate(rows: list[dict], p99_ms: float) -> float | None:
    """The highest offered rate served with p99 <= p99_ms, nothing refused or lost, and achieved
    throughput within 5 % of the offered rate."""
    good = [r["offered"] for r in rows if r["p99_ms"] <= p99_ms and r["refused"] == 0 and r["errors"] == 0
            and r["achieved"] >= 0.95 * r["offered"]]
    return max(good) if good else None


def _ms(v) -> str:
    return "-" if v is None else f"{v:.2f}"


def markdown(results: dict) -> str:
    lines = [f"Model `{results['model']}` ({results['users']} users, {results['items']} items), commit "
             f"{results['git'].get('commit')}{' (dirty)' if results['git'].get('dirty') else ''}, "
             f"{results['cpus']} CPUs, load average before {results['load_before'][0]:.1f}; "
             f"k = {results['k']}, {results['duration']} s per rate (at most {results['max_requests']} requests).", "",
             "| configuration | offered /s | achieved /s | p50 ms | p95 ms | p99 ms | refused | errors | mean batch | client send lag p99 ms | server CPUs | server CPU ms / request | client CPUs | load avg |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for c in results["configs"]:
        for r in c["rows"]:
            lines.append(f"| {c['name']} | {r['offered']:.0f} | {r['achieved']:.0f} | {r['p50_ms']:.2f} | "
                         f"{r['p95_ms']:.2f} | {r['p99_ms']:.2f} | {r['refused']} | {r['errors']} | "
                         f"{(r['mean_batch'] or 0):.1f} | {_ms(r.get('send_lag_p99_ms'))} | {r['server_cpu']:.2f} | "
                         f"{r['server_cpu'] / max(r['achieved'], 1e-9) * 1e3:.2f} | {r['client_cpu']:.2f} | "
                         f"{r['load_avg_1m']:.1f} |")
    bounds = sorted({results["p99_ms"], 25.0, 50.0})
    lines += ["", "Highest offered rate held at each p99 bound (no refusals or errors, >= 95 % of it achieved; "
              "- : none of the rates tried):", "",
              "| configuration | " + " | ".join(f"p99 <= {b:g} ms" for b in bounds) + " |",
              "|---|" + "---:|" * len(bounds)]
    for c in results["configs"]:
        lines.append(f"| {c['name']} | " + " | ".join(f"{best_rate(c['rows'], b) or '-'}".replace(".0", "")
                                                      for b in bounds) + " |")
    return "\n".join(lines) + "\n"


def plot(results: dict, path: pathlib.Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.2))
    for c in results["configs"]:
        x = [r["offered"] for r in c["rows"]]
        line, = ax.plot(x, [r["p99_ms"] for r in c["rows"]], "o-", label=f"{c['name']} p99")
        ax.plot(x, [r["p50_ms"] for r in c["rows"]], "x--", color=line.get_color(), alpha=0.6)
        bx.plot(x, [r["achieved"] for r in c["rows"]], "o-", color=line.get_color(), label=c["name"])
    ax.axhline(results["p99_ms"], color="grey", lw=0.8, ls=":")
    ax.set(xlabel="offered load (req/s, Poisson)", ylabel="latency (ms; solid p99, dashed p50)", yscale="log",
           title="GET /recommend over loopback")
    ax.legend(fontsize=7)
    top = max(r["offered"] for c in results["configs"] for r in c["rows"])
    bx.plot([0, top], [0, top], color="grey", lw=0.8, ls=":")
    bx.set(xlabel="offered load (req/s)", ylabel="achieved (200 responses/s)", title="throughput")
    fig.suptitle(f"{results['model']} at {results['git'].get('commit')}", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def rewrite(out: pathlib.Path) -> None:
    """load.md and load.png again from load.json (python -m host.bench.load --rewrite DIR)."""
    results = json.loads((out / "load.json").read_text())
    (out / "load.md").write_text(markdown(results))
    plot(results, out / "load.png")


def main(argv=None) -> int:
    if argv is None and sys.argv[1:2] == ["--rewrite"]:
        for d in sys.argv[2:]:
            rewrite(pathlib.Path(d))
        return 0
    ap = argparse.ArgumentParser(prog="python -m host.bench.load", description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="results/serve-1m/recommender.pt",
                    help="saved recommender (python -m host.rec --data default-1m --epochs 5 --head-epochs 3 "
                         "--out results/serve-1m writes the default)")
    ap.add_argument("--rates", default="100,200,300,400,600,800,1100,1500,2000,2800",
                    help="offered request rates per second, in increasing order")
    ap.add_argument("--configs", default=",".join(DEFAULT_CONFIGS), help="comma-separated, of: " + ", ".join(
                        f"{k} (max batch {b}, {w} worker(s){', ' + m if m else ''})" for k, (b, w, m) in CONFIGS.items()))
    ap.add_argument("--duration", type=float, default=4.0, help="seconds per rate")
    ap.add_argument("--max-requests", type=int, default=8000, help="requests per rate at most")
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--p99-ms", type=float, default=10.0)
    ap.add_argument("--stop-ms", type=float, default=100.0, help="stop a configuration once p99 exceeds this")
    ap.add_argument("--max-wait-ms", type=float, default=2.0)
    ap.add_argument("--max-queue", type=int, default=512)
    ap.add_argument("--timeout-ms", type=float, default=2000.0)
    ap.add_argument("--worker-mode", default="process", choices=("process", "thread", "inline"),
                    help="the server's --worker-mode (inline: 1-worker configurations only)")
    ap.add_argument("--http", default="auto")
    ap.add_argument("--loop", default="auto")
    ap.add_argument("--server-cpus", default="", help="taskset cores of the server and its workers, e.g. 0 "
                    "(run the client itself under taskset -c 1)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="results/load")
    args = ap.parse_args(argv)
    args.rates = [float(r) for r in args.rates.split(",")]
    names = [n.strip() for n in args.configs.split(",") if n.strip()]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        ap.error(f"unknown configuration(s) {unknown}; choose from {list(CONFIGS)}")
    import torch
    blob = torch.load(args.model, weights_only=True)
    users = list(blob["user_ids"])
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    results = {"model": args.model, "users": len(users), "items": len(blob["item_ids"]), "git": git_state(),
               "cpus": os.cpu_count(), "load_before": os.getloadavg(), "k": args.k, "duration": args.duration,
               "max_requests": args.max_requests, "p99_ms": args.p99_ms, "rates": args.rates,
               "server_settings": {"max_wait_ms": args.max_wait_ms, "max_queue": args.max_queue,
                                   "timeout_ms": args.timeout_ms, "worker_mode": args.worker_mode, "http": args.http, "loop": args.loop,
                                   "server_cpus": args.server_cpus, "client_cpus": sorted(os.sched_getaffinity(0))},
               "configs": []}
    del blob
    gc.collect()
    gc.freeze()  # torch's and NumPy's objects out of the client's collections between rates
    for name in names:
        max_batch, workers, mode = CONFIGS[name]
        results["configs"].append(run_loop(run_config(name, max_batch, workers, args, users, rng, mode)))
    results["load_after"] = os.getloadavg()
    (out / "load.json").write_text(json.dumps(results, indent=1))
    (out / "load.md").write_text(markdown(results))
    plot(results, out / "load.png")
    print(markdown(results))
    print(f"wrote {out / 'load.json'}, {out / 'load.md'}, {out / 'load.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
