"""The server as a real process: N acknowledged POSTs survive a kill -9 (SQLite WAL,
synchronous=FULL), and SIGTERM drains the requests in flight before the process exits."""
import concurrent.futures
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.service_model import ITEM_IDS, USER_IDS, save_model

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(model, db, *extra):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "host.serve", "--model", str(model), "--port", str(port),
                             "--db", str(db), *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited {proc.returncode}: {proc.stdout.read().decode()[-2000:]}")
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("server did not come up in 60 s")


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return save_model(tmp_path_factory.mktemp("model") / "recommender.pt")


def test_acknowledged_writes_survive_kill_9(model, tmp_path):
    db, n = tmp_path / "interactions.db", 40
    proc, url = start(model, db)
    acked = []
    try:
        with httpx.Client(base_url=url, timeout=10) as c:
            for j in range(n):
                user = USER_IDS[j % 7] if j % 3 else f"new-{j % 5}"
                r = c.post("/interactions", json={"user": user, "item": ITEM_IDS[j], "rating": 4, "time": 1000 + j})
                assert r.status_code == 201
                acked.append((user, ITEM_IDS[j], r.json()["stored"]))
    finally:
        proc.send_signal(signal.SIGKILL)  # no shutdown code runs
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    proc, url = start(model, db)
    try:
        with httpx.Client(base_url=url, timeout=10) as c:
            assert c.get("/health").json()["replayed_interactions"] == n
            for user in {u for u, _, _ in acked}:
                doc = c.get("/recommend", params={"user": user, "k": 70}).json()
                mine = {i for u, i, _ in acked if u == user}
                assert doc["interactions"] == len(mine) and not mine & set(doc["items"])
    finally:
        proc.terminate()
        proc.wait(30)
    import sqlite3
    rows = sqlite3.connect(db).execute("SELECT id, user_id, item_id FROM interactions ORDER BY id").fetchall()
    assert [(u, i, s) for s, u, i in rows] == acked


def test_sigterm_drains_requests_in_flight(model, tmp_path):
    proc, url = start(model, tmp_path / "i.db", "--max-batch", "4")
    records = []  # (sent, answered, status or the error's type) of every request

    def client(j):
        with httpx.Client(base_url=url, timeout=30) as c:
            while True:
                t0 = time.monotonic()
                try:
                    status = c.get("/recommend", params={"user": USER_IDS[j], "k": 20}).status_code
                except httpx.HTTPError as e:  # the server closed the connection: not accepted
                    records.append((t0, time.monotonic(), type(e).__name__))
                    return
                records.append((t0, time.monotonic(), status))

    try:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futs = [pool.submit(client, j) for j in range(8)]
            time.sleep(1.0)
            t_sig = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            for f in futs:
                f.result(timeout=60)
        # uvicorn finishes its requests, runs the lifespan shutdown (the batcher drains), then
        # re-raises the captured SIGTERM: exit by SIGTERM after a clean shutdown
        assert proc.wait(30) in (0, -signal.SIGTERM)
        out = proc.stdout.read().decode()
        assert "Traceback" not in out, out[-2000:]
        answered = [s for _, _, s in records if isinstance(s, int)]
        assert set(answered) == {200}, set(answered)
        in_flight = [s for t0, t1, s in records if t0 < t_sig < t1]
        assert 200 in in_flight, records[-20:]  # sent before SIGTERM, answered after it
    finally:
        if proc.poll() is None:
            proc.kill()
