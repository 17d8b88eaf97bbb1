"""The hub's SQLite file: opened through sqlite-utils, WAL on, migrations applied."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

migrations = Migrations("navbat-hub")


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE tickets (
            id INTEGER PRIMARY KEY,
            branch_day TEXT NOT NULL,          -- YYYY-MM-DD in the branch's time zone
            service TEXT NOT NULL,             -- current sub-service (changes on transfer)
            first_service TEXT NOT NULL,
            seq INTEGER NOT NULL,              -- n-th ticket of its service that day
            number TEXT NOT NULL,              -- as printed: A-012 or 212
            priority TEXT,
            state TEXT NOT NULL,               -- waiting|called|serving|done|no_show|cancelled
            tracking_code TEXT NOT NULL UNIQUE,
            idempotency_key TEXT UNIQUE,
            device TEXT,
            issued_at TEXT NOT NULL,           -- ISO 8601, UTC
            arrived_at TEXT NOT NULL,          -- queue order; a transfer keeps it
            called_at TEXT, started_at TEXT, finished_at TEXT,
            counter INTEGER,
            clerk TEXT,
            recalls INTEGER NOT NULL DEFAULT 0,
            transfers INTEGER NOT NULL DEFAULT 0,
            outcome TEXT,                      -- e.g. documents_incomplete
            reason TEXT,                       -- why the policy called this ticket
            UNIQUE (first_service, branch_day, seq)
        )""")
    db.execute("CREATE INDEX tickets_waiting ON tickets(state, service, arrived_at)")
    db.execute("""
        CREATE TABLE sequences (
            service TEXT NOT NULL, branch_day TEXT NOT NULL, last INTEGER NOT NULL,
            PRIMARY KEY (service, branch_day))""")
    db.execute("""
        CREATE TABLE counters (
            number INTEGER PRIMARY KEY,
            state TEXT NOT NULL DEFAULT 'closed',   -- open|paused|closed
            clerk TEXT,
            current_ticket INTEGER,
            skills TEXT,                            -- JSON {code: weight}; NULL = as configured
            changed_at TEXT)""")
    db.execute("""
        CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,   -- the SSE event id, never reused
            at TEXT NOT NULL,
            type TEXT NOT NULL,
            actor TEXT,
            ticket_id INTEGER,
            counter INTEGER,
            data TEXT NOT NULL)""")
    db.execute("CREATE INDEX events_ticket ON events(ticket_id)")
    db.execute("CREATE INDEX events_at ON events(at)")
    db.execute("""
        CREATE TABLE users (
            username TEXT PRIMARY KEY, role TEXT NOT NULL, pin_hash TEXT NOT NULL,
            display_name TEXT, created_at TEXT NOT NULL)""")
    db.execute("""
        CREATE TABLE devices (
            name TEXT PRIMARY KEY, role TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL)""")
    db.execute("""
        CREATE TABLE sessions (
            token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, counter INTEGER,
            created_at TEXT NOT NULL, ended_at TEXT)""")
    db.execute("""
        CREATE TABLE device_status (
            name TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL,
            detail TEXT, at TEXT NOT NULL)""")


class Rows:
    """A finished statement's rows, read under the lock (stands in for the cursor)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self.description, self.lastrowid, self.rowcount = cursor.description, cursor.lastrowid, cursor.rowcount
        self._rows = cursor.fetchall() if cursor.description else []
        self._next = 0

    def fetchone(self) -> tuple | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]

    def fetchall(self) -> list[tuple]:
        rest, self._next = self._rows[self._next:], len(self._rows)
        return rest

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fetchall())

    def close(self) -> None:
        self._rows = []


class SharedDatabase(sqlite_utils.Database):
    """One connection shared by the hub's threads, so every statement runs under `lock`.

    sqlite-utils' query() wraps each SELECT in SAVEPOINT/RELEASE on the connection; from an
    unlocked thread that opens (and RELEASE commits) a transaction in the middle of another
    thread's BEGIN IMMEDIATE ... COMMIT. The floor's write path holds the same (re-entrant) lock,
    so readers see only committed states and never touch a transaction in flight.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def execute(self, sql: str, parameters: Any = None) -> Rows:  # type: ignore[override]
        with self.lock:
            return Rows(super().execute(sql, parameters))

    def executescript(self, sql: str) -> sqlite3.Cursor:
        with self.lock:
            return super().executescript(sql)

    def query(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        with self.lock:
            return iter(list(super().query(sql, params)))


def open_db(path: str | Path) -> sqlite_utils.Database:
    """One connection, shared by the hub's threads under one lock (the floor's; see SharedDatabase).

    isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in the one
    write path), so sqlite-utils' own helpers nest inside them as savepoints.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    db = SharedDatabase(conn)
    if str(path) != ":memory:":
        db.enable_wal()
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill

    conn.execute("PRAGMA foreign_keys=ON")
    migrations.apply(db)
    return db


def checkpoint_in_background(db: sqlite_utils.Database, path: Path, every: float = 10.0) -> None:
    """For the running hub: checkpoints (copying the WAL back, with an fsync) would otherwise
    run inside some request's commit, under the floor's lock. A daemon thread with its own
    connection does PASSIVE checkpoints instead, which never block the writer."""
    db.execute("PRAGMA wal_autocheckpoint=0")

    def run() -> None:
        conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=5)
        while True:
            time.sleep(every)
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            except sqlite3.Error:  # busy, or the file is gone (a test's temporary folder): try later
                if not path.exists():
                    return

    threading.Thread(target=run, name="navbat-checkpoint", daemon=True).start()
