"""The HTTP service in process (FastAPI's TestClient): recommendations, interactions reflected in
the next request, new users, persistence across a restart, overload -> 503, batched == unbatched,
bad input -> a clear 4xx/5xx while the server keeps serving, a seeded fuzz of the endpoints."""
import concurrent.futures
import json
import sqlite3
import threading

import numpy as np
import pytest
from fastapi.testclient import TestClient

from host.rec.service.app import Service, ServiceConfig, create_app
from host.rec.service.store import SQLiteStore
from tests.support.service_model import ITEM_IDS, N_ITEMS, USER_IDS, save_model


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return str(save_model(tmp_path_factory.mktemp("model") / "recommender.pt"))


def client(model, db, **kw):
    kw.setdefault("worker_mode", "thread")  # in-process workers: fast to start, patchable
    return TestClient(create_app(cfg=ServiceConfig(model, str(db), **kw)))


@pytest.fixture
def api(model, tmp_path):
    with client(model, tmp_path / "interactions.db", max_wait_ms=0.5) as c:
        yield c


def rec(c, user, k=10):
    r = c.get("/recommend", params={"user": user, "k": k})
    assert r.status_code == 200, r.text
    return r.json()


def test_recommend(api):
    doc = rec(api, USER_IDS[0], 7)
    assert doc["known_user"] and doc["strategy"] == "graph" and len(doc["items"]) == 7
    assert set(doc["items"]) <= set(ITEM_IDS) and doc["titles"][0].startswith("Title ")
    assert doc["scores"] == sorted(doc["scores"], reverse=True)
    assert doc["model"]["items"] == N_ITEMS and doc["model"]["format"] == "gnn-agg-recommender/1"
    t = doc["timing"]
    assert t["batch_size"] >= 1 and t["accelerator_calls"] == 1 and t["total_ms"] > 0
    assert api.get("/health").json()["status"] == "ok"


def test_interaction_is_reflected_in_the_next_request(api):
    user = USER_IDS[5]
    before = rec(api, user, 20)
    item = before["items"][0]
    r = api.post("/interactions", json={"user": user, "item": item, "rating": 5, "time": 1700000000})
    assert r.status_code == 201 and r.json()["interactions"] == 1
    after = rec(api, user, 20)
    assert item not in after["items"] and after["interactions"] == 1
    # the row was recomputed with the item in it: the scores of the other items moved
    common = [i for i in before["items"][1:] if i in after["items"]]
    old = dict(zip(before["items"], before["scores"]))
    new = dict(zip(after["items"], after["scores"]))
    assert any(old[i] != new[i] for i in common)
    # the same POST again stores a second row but the user's row does not change
    r = api.post("/interactions", json={"user": user, "item": item, "rating": 4, "time": 1700000001})
    assert r.status_code == 201 and not r.json()["new_item_for_user"]
    assert rec(api, user, 20)["scores"] == after["scores"]


def test_new_user_gets_cold_start_recommendations(api):
    doc = rec(api, "brand-new-user", 5)
    assert not doc["known_user"] and doc["strategy"] == "popularity" and len(doc["items"]) == 5
    liked = doc["items"][0]
    assert api.post("/interactions", json={"user": "brand-new-user", "item": liked, "rating": 5}).status_code == 201
    doc = rec(api, "brand-new-user", 5)
    assert doc["strategy"] == "graph" and liked not in doc["items"] and doc["interactions"] == 1
    assert api.post("/interactions", json={"user": 777777, "item": int(ITEM_IDS[2]), "rating": 3}).status_code == 201
    assert rec(api, "777777")["strategy"] == "graph"  # integer ids in JSON are the same ids as strings


def test_persistence_across_restart(model, tmp_path):
    db = tmp_path / "i.db"
    with client(model, db) as c:
        for item in ITEM_IDS[:3]:
            assert c.post("/interactions", json={"user": USER_IDS[1], "item": item, "rating": 5, "time": 1}).status_code == 201
        first = rec(c, USER_IDS[1], 30)
    with client(model, db) as c:
        assert c.get("/health").json()["replayed_interactions"] == 3
        again = rec(c, USER_IDS[1], 30)
    assert again["items"] == first["items"] and again["scores"] == first["scores"]
    assert not set(ITEM_IDS[:3]) & set(again["items"])
    assert sqlite3.connect(db).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def gated(svc):
    """Hold every batch of worker 0 until the returned event is set."""
    gate, engine = threading.Event(), svc.workers[0].engine
    run = engine.run

    def slow(queries):
        gate.wait(10)
        return run(queries)
    engine.run = slow
    return gate


def test_overload_is_refused_with_503_not_a_timeout(model, tmp_path):
    with client(model, tmp_path / "i.db", max_batch=1, max_queue=2, timeout_ms=5000) as c:
        gate = gated(c.app.state.service)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futs = [pool.submit(c.get, "/recommend", params={"user": USER_IDS[i]}) for i in range(8)]
            refused = []
            for f in concurrent.futures.as_completed(futs, timeout=5):  # while the gate is closed
                refused.append(f.result())
                if len(refused) == 5:
                    break
            assert [r.status_code for r in refused] == [503] * 5
            assert all(r.headers["Retry-After"] == "1" and "queue full" in r.json()["error"] for r in refused)
            gate.set()
            codes = sorted(f.result().status_code for f in futs)
        assert codes == [200] * 3 + [503] * 5
        assert 'gnn_serve_refused_total{reason="queue_full"} 5.0' in c.get("/metrics").text
        assert rec(c, USER_IDS[0])["items"]  # and it serves again


def test_deadline(model, tmp_path):
    with client(model, tmp_path / "i.db", max_batch=1, timeout_ms=150) as c:
        gate = gated(c.app.state.service)
        r = c.get("/recommend", params={"user": USER_IDS[0]})
        assert r.status_code == 503 and "deadline" in r.json()["error"]
        gate.set()
        assert rec(c, USER_IDS[0])["items"]


def test_batched_equals_unbatched(model, tmp_path):
    users = USER_IDS[:24] + ["cold-user"]
    with client(model, tmp_path / "a.db", max_batch=1) as c:
        single = {u: rec(c, u, 15) for u in users}
    with client(model, tmp_path / "b.db", max_batch=32, max_wait_ms=50) as c:
        gate = gated(c.app.state.service)  # hold the first batch so the rest queue up into one
        with concurrent.futures.ThreadPoolExecutor(len(users)) as pool:
            futs = {u: pool.submit(rec, c, u, 15) for u in users}
            threading.Timer(0.3, gate.set).start()
            batched = {u: f.result() for u, f in futs.items()}
    assert max(d["timing"]["batch_size"] for d in batched.values()) > 4
    for u in users:
        assert batched[u]["items"] == single[u]["items"], u
        assert batched[u]["scores"] == single[u]["scores"], u  # the same floats, bit for bit


def test_two_workers_least_loaded(model, tmp_path):
    with client(model, tmp_path / "i.db", backends=("cpu", "cpu"), max_batch=1) as c:
        gate = gated(c.app.state.service)  # worker 0 busy: the next requests go to worker 1
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            held = pool.submit(rec, c, USER_IDS[0])
            import time
            time.sleep(0.2)
            assert rec(c, USER_IDS[1])["timing"]["worker"] == 1
            gate.set()
            assert held.result()["timing"]["worker"] == 0
        text = c.get("/metrics").text
        assert 'gnn_serve_accelerator_calls_total{backend="cpu",worker="1"}' in text


@pytest.mark.parametrize("params,fragment", [
    ({"user": "101", "k": "0"}, "k must be an integer in 1..80"),
    ({"user": "101", "k": "-3"}, "k must be an integer in 1..80"),
    ({"user": "101", "k": str(N_ITEMS + 1)}, "got 81"),
    ({"user": "101", "k": "1.5"}, "got '1.5'"),
    ({"user": "101", "k": "ten"}, "got 'ten'"),
    ({"user": "101", "k": ""}, "k must be an integer"),
    ({"k": "3"}, "missing query parameter 'user'"),
    ({"user": "", "k": "3"}, "user must be 1..256 printable characters"),
    ({"user": "a\x00b"}, "printable"),
])
def test_bad_recommend_requests(api, params, fragment):
    r = api.get("/recommend", params=params)
    assert r.status_code == 422 and fragment in r.json()["error"], r.text
    assert rec(api, "101")["items"]


@pytest.mark.parametrize("body,status,fragment", [
    (b'{"user": "101", "item": ', 400, "malformed JSON"),
    (b"\xff\xfe", 400, "malformed JSON"),
    (b"[1, 2]", 422, "must be a JSON object"),
    (b'{"user": "101", "item": "nope", "rating": 5}', 422, "unknown item id 'nope'"),
    (b'{"user": "101", "item": "5001"}', 422, "missing field 'rating'"),
    (b'{"user": "101", "item": "5001", "rating": 5, "extra": 1}', 422, "unknown field(s) 'extra'"),
    (b'{"user": 1.5, "item": "5001", "rating": 5}', 422, "user must be a string or integer id"),
    (b'{"user": true, "item": "5001", "rating": 5}', 422, "user must be a string or integer id"),
    (b'{"user": "101", "item": ["5001"], "rating": 5}', 422, "item must be a string or integer id"),
    (b'{"user": "101", "item": "5001", "rating": "5"}', 422, "rating must be a finite number"),
    (b'{"user": "101", "item": "5001", "rating": NaN}', 422, "rating must be a finite number"),
    (b'{"user": "101", "item": "5001", "rating": 5, "time": "12"}', 422, "time must be an integer"),
    (b'{"user": "101", "item": "5001", "rating": 5, "time": 1.5}', 422, "time must be an integer"),
    (b'{"user": "101", "item": "5001", "rating": 5, "time": -1}', 422, "time must be an integer"),
    (b"[" * 100000, 413, "body larger than 16384 bytes"),
    (b'{"user": "' + b"x" * 20000 + b'"}', 413, "body larger"),
])
def test_bad_interactions(api, body, status, fragment):
    r = api.post("/interactions", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status and fragment in r.json()["error"], r.text
    assert rec(api, "101")["items"]
    assert api.get("/health").json()["users_with_interactions"] == 0  # nothing was stored


def test_oversized_chunked_body(api):
    def chunks():
        for _ in range(40):
            yield b"x" * 1000
    r = api.post("/interactions", content=chunks())  # no Content-Length: counted while reading
    assert r.status_code == 413
    assert rec(api, "101")["items"]


def test_unknown_paths_and_methods(api):
    assert api.get("/nope").status_code == 404
    assert api.delete("/recommend").status_code == 405
    assert api.get("/interactions").status_code == 405


def test_closed_or_read_only_database(model, tmp_path):
    db = tmp_path / "i.db"
    SQLiteStore(db).close()
    body = {"user": "101", "item": ITEM_IDS[0], "rating": 5, "time": 1}
    ro = SQLiteStore.__new__(SQLiteStore)  # the same class over a read-only connection
    ro.path, ro._lock = db, threading.Lock()
    ro._db = sqlite3.connect(f"file:{db}?mode=ro", uri=True, check_same_thread=False, isolation_level=None)
    with TestClient(create_app(Service(ServiceConfig(model, str(db), worker_mode="thread"), store=ro))) as c:
        r = c.post("/interactions", json=body)
        assert r.status_code == 503 and "readonly" in r.json()["error"] and r.headers["Retry-After"]
        assert rec(c, "101")["items"]
    with client(model, db) as c:
        c.app.state.service.store.close()  # the database goes away under a running server
        r = c.post("/interactions", json=body)
        assert r.status_code == 503 and "database unavailable" in r.json()["error"]
        assert rec(c, "101")["items"] and c.get("/health").status_code == 200


@pytest.mark.parametrize("db", ["a-directory", "missing-dir/x.db"])
def test_unusable_database_path_is_a_clear_error(model, tmp_path, db):
    (tmp_path / "a-directory").mkdir()
    with pytest.raises(ValueError, match="directory"):
        Service(ServiceConfig(model, str(tmp_path / db)))  # before any worker starts


def test_process_workers_serve_the_same_bits(model, tmp_path):
    with client(model, tmp_path / "a.db") as c:
        ref = [rec(c, u, 12) for u in USER_IDS[:6]]
    with client(model, tmp_path / "b.db", worker_mode="process", backends=("cpu", "cpu")) as c:
        got = [rec(c, u, 12) for u in USER_IDS[:6]]
        assert c.get("/health").json()["model"]["worker_mode"] == "process"
    for a, b in zip(ref, got):
        assert (a["items"], a["scores"]) == (b["items"], b["scores"])


def test_bad_model_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    for mode in ("process", "thread"):
        with pytest.raises(ValueError, match="not a recommender saved by host.rec.serve"):
            Service(ServiceConfig(str(bad), str(tmp_path / "i.db"), worker_mode=mode))


def test_metrics(api):
    rec(api, "101")
    api.post("/interactions", json={"user": "101", "item": ITEM_IDS[0], "rating": 5})
    text = api.get("/metrics").text
    for line in ('gnn_serve_requests_total{code="200",endpoint="recommend"} 1.0',
                 'gnn_serve_requests_total{code="201",endpoint="interactions"} 1.0',
                 "gnn_serve_request_seconds_bucket", "gnn_serve_queue_depth 0.0",
                 "gnn_serve_batch_size_count 1.0", 'gnn_serve_accelerator_calls_total{backend="cpu",worker="0"} 1.0',
                 'gnn_serve_kernel_cycles_total{backend="cpu",worker="0"} 0.0', "gnn_serve_interactions_stored_total 1.0"):
        assert line in text, line


def test_metrics_gc_pauses(api):
    import gc
    import re
    def full_passes():
        text = api.get("/metrics").text
        return float(re.search(r'^gnn_serve_gc_pause_seconds_count\{generation="2"\} (\S+)$', text, re.M)[1])
    before = full_passes()
    gc.collect()
    gc.collect()
    assert full_passes() == before + 2
    assert 'gnn_serve_gc_pause_seconds_bucket{generation="0",le="+Inf"}' in api.get("/metrics").text


def test_fuzz_endpoints(api):
    """Seeded random requests: never a 500, only the documented statuses, and the server answers after."""
    rng = np.random.default_rng(15)
    atoms = [None, True, 0, -1, 3, 2 ** 70, 1.5, float("inf"), "", "101", "x" * 300, "5001", ITEM_IDS[3],
             "\u00e9", "a\nb", [], {}, [1], {"a": 1}]
    seen = set()
    for n in range(250):
        kind = rng.integers(4)
        if kind == 0:
            params = {key: str(atoms[rng.integers(len(atoms))]) for key in ("user", "k", "x") if rng.random() < 0.7}
            r = api.get("/recommend", params=params)
        elif kind == 1:
            doc = {key: atoms[rng.integers(len(atoms))] for key in ("user", "item", "rating", "time", "z")
                   if rng.random() < 0.75}
            r = api.post("/interactions", content=json.dumps(doc).encode())
        elif kind == 2:
            r = api.post("/interactions", content=rng.bytes(int(rng.integers(0, 300))))
        else:
            body = json.dumps({"user": str(rng.integers(90, 130)), "item": ITEM_IDS[rng.integers(N_ITEMS)],
                               "rating": float(rng.integers(1, 6))}).encode()
            cut = int(rng.integers(len(body) // 2, len(body) + 1))
            r = api.post("/interactions", content=body[:cut])
        assert r.status_code in (200, 201, 400, 413, 422), (n, r.status_code, r.text)
        assert "error" in r.json() or r.status_code in (200, 201)
        seen.add(r.status_code)
    assert {200, 201, 400, 422} <= seen
    assert rec(api, "101")["items"] and api.get("/health").json()["status"] == "ok"


def test_inline_worker_serves_the_same_bits(model, tmp_path):
    with client(model, tmp_path / "a.db") as c:
        ref = [rec(c, u, 12) for u in USER_IDS[:6] + ["cold-user"]]
    with client(model, tmp_path / "b.db", worker_mode="inline") as c:
        got = [rec(c, u, 12) for u in USER_IDS[:6] + ["cold-user"]]
        assert c.get("/health").json()["model"]["worker_mode"] == "inline"
    for a, b in zip(ref, got):
        assert (a["items"], a["scores"], a["strategy"]) == (b["items"], b["scores"], b["strategy"])
    with pytest.raises(ValueError, match="one worker"):
        Service(ServiceConfig(model, str(tmp_path / "c.db"), backends=("cpu", "cpu"), worker_mode="inline"))


def test_recommend_answer_is_compact_json(api):
    """The hot path writes its JSON from pre-encoded pieces: the same text json.dumps writes."""
    user = "new user \u00e9"
    assert api.post("/interactions", json={"user": user, "item": ITEM_IDS[4], "rating": 5}).status_code == 201
    for u in (USER_IDS[2], user, "cold-only"):
        r = api.get("/recommend", params={"user": u, "k": 5})
        assert r.status_code == 200 and r.headers["content-type"] == "application/json"
        assert int(r.headers["content-length"]) == len(r.content)
        doc = json.loads(r.content)
        assert r.content == json.dumps(doc, separators=(",", ":"), allow_nan=False).encode()
        assert list(doc) == ["user", "known_user", "strategy", "k", "items", "titles", "scores", "interactions",
                             "model", "timing"] and doc["user"] == u
        assert doc["model"]["items"] == N_ITEMS and len(doc["titles"]) == len(doc["items"]) == 5


@pytest.mark.parametrize("qs", ["user=101&k=3", "k=3&user=101&user=102", "user=1%2001&k=3", "user=a+b", "user",
                                "user=&k=", "&&user=101&", "user=%ZZ", "user=\xe9", "k=1=2&user=101", ""])
def test_query_params_are_starlettes(qs):
    from starlette.datastructures import QueryParams
    from host.rec.service.app import query_params
    raw = qs.encode("latin-1")
    assert query_params(raw) == dict(QueryParams(raw))
