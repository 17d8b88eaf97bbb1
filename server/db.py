"""The hub's SQLite file: opened through sqlite-utils, WAL on, migrations applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

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


def open_db(path: str | Path) -> sqlite_utils.Database:
    """One connection, shared by the hub's threads under the floor's lock.

    isolation_level=None: transactions are explicit (BEGIN IMMEDIATE in the one
    write path), so sqlite-utils' own helpers nest inside them as savepoints.
    """
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None, timeout=30)
    db = sqlite_utils.Database(conn)
    if str(path) != ":memory:":
        db.enable_wal()
    conn.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL survives a process kill
    conn.execute("PRAGMA foreign_keys=ON")
    migrations.apply(db)
    return db
