"""PostgresStore against a real PostgreSQL: runs when GNN_SERVE_POSTGRES names one (a libpq DSN or
postgresql:// URL of a database the tests may create schemas in), skips otherwise. Each test works
in a fresh schema (search_path), dropped afterwards. docs/SERVING.md says how to start a local one."""
import os
import uuid

import numpy as np
import pytest
from fastapi.testclient import TestClient

from host.rec.service.app import Service, ServiceConfig, create_app
from host.rec.service.store import Interaction, PostgresStore, StoreError, open_store
from tests.support.service_model import ITEM_IDS, USER_IDS, save_model

DSN = os.environ.get("GNN_SERVE_POSTGRES")
psycopg = pytest.importorskip("psycopg")
pytestmark = pytest.mark.skipif(not DSN, reason="GNN_SERVE_POSTGRES (a PostgreSQL DSN) is not set")


@pytest.fixture
def dsn():
    """A DSN whose search_path is a fresh schema (so the tests never see each other's tables)."""
    schema = f"gnn_serve_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(DSN, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield psycopg.conninfo.make_conninfo(DSN, options=f"-c search_path={schema}")
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def random_interactions(rng, n):
    users = [USER_IDS[u] for u in rng.integers(len(USER_IDS), size=n)]
    return [Interaction(users[j] if j % 4 else f"new-{j % 3}", ITEM_IDS[int(rng.integers(len(ITEM_IDS)))],
                        float(rng.integers(1, 6)), int(1_700_000_000 + j)) for j in range(n)]


def test_store_round_trip_and_reopen(dsn):
    rng = np.random.default_rng(5)
    written = random_interactions(rng, 37)
    store = PostgresStore(dsn)
    seqs = [store.add(it) for it in written]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(written)
    store.close()
    store = PostgresStore(dsn)  # a new connection (another process would see the same)
    try:
        assert list(store.all()) == written and store.count() == len(written)
        user = written[1].user
        assert store.for_user(user) == [it for it in written if it.user == user]
        assert store.for_user("nobody") == []
    finally:
        store.close()


def test_closed_store_is_a_store_error(dsn):
    store = PostgresStore(dsn)
    store.close()
    for call in (lambda: store.add(Interaction("1", "2", 3.0, 4)), store.count, lambda: store.for_user("1"),
                 lambda: list(store.all())):
        with pytest.raises(StoreError, match="PostgreSQL"):
            call()


def test_bad_dsn_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot open the interaction table"):
        open_store("postgresql://nobody@127.0.0.1:1/none?connect_timeout=2")


def test_service_on_postgres_replays_after_restart(tmp_path, dsn):
    model = str(save_model(tmp_path / "recommender.pt"))
    cfg = ServiceConfig(model, dsn, worker_mode="thread", max_wait_ms=0.5)
    user, posted = USER_IDS[3], []
    with TestClient(create_app(Service(cfg, PostgresStore(dsn)))) as c:
        for item in c.get("/recommend", params={"user": user, "k": 3}).json()["items"]:
            r = c.post("/interactions", json={"user": user, "item": item, "rating": 5, "time": 1_700_000_000})
            assert r.status_code == 201, r.text
            posted.append(item)
        after = c.get("/recommend", params={"user": user, "k": 20}).json()
        assert after["interactions"] == 3 and not set(posted) & set(after["items"])
        assert c.get("/health").json()["model"]["store"] == "PostgresStore"
    with TestClient(create_app(Service(cfg, PostgresStore(dsn)))) as c:  # a restart: replayed from PostgreSQL
        again = c.get("/recommend", params={"user": user, "k": 20}).json()
        assert c.get("/health").json()["replayed_interactions"] == 3
        assert again["items"] == after["items"] and again["scores"] == after["scores"]
