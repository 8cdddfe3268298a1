"""Where acknowledged interactions live: a small store interface and two implementations.

`InteractionStore` is what the service needs: `add` (durable when it returns), `all` (replayed at
start-up), `for_user`, `count` and `close`. `SQLiteStore` is the embedded default; `PostgresStore`
is the same methods over PostgreSQL with psycopg 3 (docs/SERVING.md: how to point the server at one).

Durability (SQLite): journal_mode=WAL with synchronous=FULL. In WAL mode a commit appends to the
write-ahead log; with FULL the log is fsync'ed at every commit, before `add` returns, so an
acknowledged POST survives a kill -9 of the server *and* a power loss or OS crash. NORMAL would
skip that fsync (the WAL is synced only at checkpoints): still safe against kill -9 (the commit is
in the OS page cache, and SQLite recovers the WAL on the next open), but the last commits can be
lost if the machine itself goes down; we acknowledge only what is on disk, so FULL. The price is
one fsync per POST (tests/rec/test_service_persist.py kills the server with SIGKILL after N
acknowledged writes and finds all N after a restart).
"""
from __future__ import annotations

import dataclasses
import pathlib
import sqlite3
import threading
from typing import Iterator, Protocol, runtime_checkable


@dataclasses.dataclass(frozen=True)
class Interaction:
    user: str      # the data set's user id (new users allowed)
    item: str      # the data set's item id (checked against the catalogue before it is stored)
    rating: float
    time: int      # seconds since the epoch


class StoreError(RuntimeError):
    """The store could not do what was asked (closed, read-only, disk full, ...): a 503."""


@runtime_checkable
class InteractionStore(Protocol):
    def add(self, interaction: Interaction) -> int:
        """Store one interaction durably; returns its sequence number. Raises StoreError."""

    def all(self) -> Iterator[Interaction]:
        """Every stored interaction, in the order they were added."""

    def for_user(self, user: str) -> list[Interaction]:
        """The interactions of one user, in the order they were added (the Ray deployment reads
        them per request, so every replica sees every acknowledged write)."""

    def count(self) -> int: ...

    def close(self) -> None: ...


SCHEMA = """CREATE TABLE IF NOT EXISTS interactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    rating REAL NOT NULL,
    time INTEGER NOT NULL
)"""


class SQLiteStore:
    """SQLite in WAL mode, synchronous=FULL (see the module docstring). One connection, used under
    a lock (the service calls it from one thread)."""

    def __init__(self, path, synchronous: str = "FULL"):
        self.path = pathlib.Path(path)
        if synchronous not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError(f"synchronous must be FULL, NORMAL or EXTRA, got {synchronous!r}")
        if self.path.is_dir():
            raise ValueError(f"{self.path}: is a directory, not a database file")
        if not self.path.parent.is_dir():
            raise ValueError(f"{self.path}: no such directory {str(self.path.parent)!r}")
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise ValueError(f"{self.path}: SQLite refused WAL mode (got {mode!r})")
            self._db.execute(f"PRAGMA synchronous={synchronous}")
            self._db.execute(SCHEMA)
            self._db.execute("CREATE INDEX IF NOT EXISTS interactions_user ON interactions(user_id)")
        except sqlite3.Error as e:
            raise ValueError(f"{self.path}: cannot open the interaction database ({e})") from None

    def add(self, it: Interaction) -> int:
        with self._lock:
            try:
                cur = self._db.execute("INSERT INTO interactions (user_id, item_id, rating, time) VALUES (?, ?, ?, ?)",
                                       (it.user, it.item, float(it.rating), int(it.time)))
                return int(cur.lastrowid)  # autocommit: committed (and fsync'ed) here
            except (sqlite3.Error, ValueError) as e:  # ValueError: closed connection in some versions
                raise StoreError(f"{self.path}: write failed ({e})") from None

    def all(self) -> Iterator[Interaction]:
        with self._lock:
            try:
                rows = self._db.execute("SELECT user_id, item_id, rating, time FROM interactions ORDER BY id").fetchall()
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: read failed ({e})") from None
        return iter([Interaction(u, i, r, t) for u, i, r, t in rows])

    def for_user(self, user: str) -> list[Interaction]:
        with self._lock:
            try:
                rows = self._db.execute("SELECT user_id, item_id, rating, time FROM interactions WHERE user_id = ? "
                                        "ORDER BY id", (user,)).fetchall()
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: read failed ({e})") from None
        return [Interaction(u, i, r, t) for u, i, r, t in rows]

    def count(self) -> int:
        with self._lock:
            try:
                return int(self._db.execute("SELECT COUNT(*) FROM interactions").fetchone()[0])
            except sqlite3.Error as e:
                raise StoreError(f"{self.path}: read failed ({e})") from None

    def close(self) -> None:
        with self._lock:
            self._db.close()


class PostgresStore:
    """The same interface over PostgreSQL (psycopg 3, pinned in requirements.lock under the serve
    extra). Autocommit with synchronous_commit=on: a commit returns once PostgreSQL has flushed its
    WAL, the same guarantee as SQLiteStore with FULL. One connection, used under a lock (like
    SQLiteStore); tests/rec/test_service_postgres.py runs it against a real server."""

    def __init__(self, dsn: str):
        try:
            import psycopg
        except ImportError:
            raise RuntimeError("the PostgreSQL store needs psycopg 3: pip install 'psycopg[binary]'") from None
        self.dsn, self._lock, self._error = dsn, threading.Lock(), psycopg.Error
        try:
            self._db = psycopg.connect(dsn, autocommit=True)
            self._db.execute("SET synchronous_commit = on")
            self._db.execute("""CREATE TABLE IF NOT EXISTS interactions (
                id BIGSERIAL PRIMARY KEY, user_id TEXT NOT NULL, item_id TEXT NOT NULL,
                rating DOUBLE PRECISION NOT NULL, time BIGINT NOT NULL)""")
            self._db.execute("CREATE INDEX IF NOT EXISTS interactions_user ON interactions(user_id)")
        except psycopg.Error as e:
            raise ValueError(f"PostgreSQL {dsn!r}: cannot open the interaction table ({str(e).strip()})") from None

    def _run(self, what: str, sql: str, params=()) -> list:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except self._error as e:  # includes a closed or broken connection
                raise StoreError(f"PostgreSQL: {what} failed ({str(e).strip()})") from None

    def add(self, it: Interaction) -> int:
        return int(self._run("write", "INSERT INTO interactions (user_id, item_id, rating, time) "
                                      "VALUES (%s, %s, %s, %s) RETURNING id",
                             (it.user, it.item, float(it.rating), int(it.time)))[0][0])

    def all(self) -> Iterator[Interaction]:
        rows = self._run("read", "SELECT user_id, item_id, rating, time FROM interactions ORDER BY id")
        return iter([Interaction(u, i, r, t) for u, i, r, t in rows])

    def for_user(self, user: str) -> list[Interaction]:
        rows = self._run("read", "SELECT user_id, item_id, rating, time FROM interactions WHERE user_id = %s "
                                 "ORDER BY id", (user,))
        return [Interaction(u, i, r, t) for u, i, r, t in rows]

    def count(self) -> int:
        return int(self._run("read", "SELECT COUNT(*) FROM interactions")[0][0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(spec: str) -> InteractionStore:
    """`postgresql://...` (or `postgres://`) -> PostgresStore; anything else is a SQLite file path."""
    if spec.startswith(("postgresql://", "postgres://")):
        return PostgresStore(spec)
    return SQLiteStore(spec)
