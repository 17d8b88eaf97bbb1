"""Checkpoints of `navbat check`: the event log's fold at one event, kept beside the database, so
the next check folds only the events after it (server/floor/dbcheck.py).

A checkpoint is a small SQLite file in `<database>.checks/` named by its last event: the state
tables as the fold left them, and what it fits: the fold's fingerprint (the state tables' schema
and the code of the fold, so a checkpoint an older release made is not used) and an anchor (a
hash of a few events of the log, the last one among them). A log the checkpoint fits has the same
events at those ids: the same hub's log grown since, or a backup of it restored from after the
checkpoint. Only the newest KEEP are kept: a backup older than all of them is checked in full.
A checkpoint is written only after a sound check, and a folder that cannot be written is no
problem: the check is right either way, only the next one is slower.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from navbat.server.floor import projection, transitions

KEEP = 3
ATTACHED = "checkpoint"
_CREATE = re.compile(r"^\s*CREATE\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?", re.IGNORECASE)


@dataclass(frozen=True)
class Checkpoint:
    file: Path
    last_event: int
    anchor: str


def anchor(conn: sqlite3.Connection, last_event: int) -> str:
    """A hash of the events at last_event, half of it, a quarter … and 1: a few lookups by id,
    enough to tell this log from another one or from one cut short."""
    ids, at = [], last_event
    while at > 0:
        ids.append(at)
        at //= 2
    digest = hashlib.sha256(str(last_event).encode())
    for event_id in ids:
        row = conn.execute("SELECT * FROM main.events WHERE id=?", [event_id]).fetchone()
        digest.update(json.dumps(row, ensure_ascii=False).encode())
    return digest.hexdigest()


def fingerprint(conn: sqlite3.Connection, tables: list[str]) -> str:
    digest = hashlib.sha256()
    for table in tables:
        digest.update(conn.execute("SELECT sql FROM main.sqlite_master WHERE type='table' AND name=?",
                                   [table]).fetchone()[0].encode())
    for module in (projection, transitions):  # the fold's code
        digest.update(Path(module.__file__).read_bytes())
    return digest.hexdigest()


class Store:
    """The checkpoints beside one database."""

    def __init__(self, database: Path, tables: list[str]) -> None:
        self.folder = Path(f"{database}.checks")
        self.tables = tables

    def _files(self) -> list[Path]:
        try:
            return sorted(self.folder.glob("*.sqlite"), reverse=True)  # names are zero-padded event ids
        except OSError:
            return []

    def fitting(self, conn: sqlite3.Connection) -> Checkpoint | None:
        """The newest checkpoint that fits this log, attached to conn (outside a transaction); None
        when there is none: the check folds the whole log."""
        newest = conn.execute("SELECT coalesce(max(id), 0) FROM main.events").fetchone()[0]
        mine = fingerprint(conn, self.tables)
        for file in self._files():
            try:
                with closing(sqlite3.connect(f"file:{file}?mode=ro", uri=True)) as ck:
                    last, anchored, made_by = ck.execute("SELECT last_event, anchor, fingerprint FROM meta").fetchone()
            except (sqlite3.Error, TypeError):
                continue  # half written or damaged: not a checkpoint
            if made_by == mine and last <= newest and anchor(conn, last) == anchored:
                conn.execute(f"ATTACH ? AS {ATTACHED}", [f"file:{file}?mode=ro"])
                return Checkpoint(file, last, anchored)
        return None

    def save(self, conn: sqlite3.Connection, last_event: int, anchored: str) -> None:
        """The temp tables (the fold at last_event) as the newest checkpoint; the oldest beyond KEEP go."""
        if any(r[1] == ATTACHED for r in conn.execute("PRAGMA database_list")):
            conn.execute(f"DETACH {ATTACHED}")
        final = self.folder / f"{last_event:012d}.sqlite"
        part = self.folder / f".{last_event:012d}.part"
        try:
            self.folder.mkdir(exist_ok=True)
            part.unlink(missing_ok=True)
            conn.execute("ATTACH ? AS fresh", [str(part)])
            try:
                conn.execute("BEGIN")
                for table in self.tables:
                    conn.execute(f"CREATE TABLE fresh.{table} AS SELECT * FROM temp.{table}")
                conn.execute("CREATE TABLE fresh.meta (last_event INTEGER, anchor TEXT, fingerprint TEXT, "
                             "made_at TEXT)")
                conn.execute("INSERT INTO fresh.meta VALUES (?, ?, ?, ?)",
                             [last_event, anchored, fingerprint(conn, self.tables),
                              dt.datetime.now(dt.UTC).isoformat(timespec="seconds")])
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                conn.execute("DETACH fresh")
            os.replace(part, final)
            for old in self._files()[KEEP:]:
                old.unlink(missing_ok=True)
        except (OSError, sqlite3.Error):
            part.unlink(missing_ok=True) if self.folder.is_dir() else None  # next time, from further back


def stage(conn: sqlite3.Connection, tables: list[str], start: Checkpoint | None) -> int:
    """Temp tables with the state tables' names and schema (unqualified names then mean them, so
    the floor's own fold writes into them), filled from the checkpoint; returns its last event."""
    for table in tables:
        sql = conn.execute("SELECT sql FROM main.sqlite_master WHERE type='table' AND name=?", [table]).fetchone()[0]
        conn.execute(_CREATE.sub("CREATE TEMP TABLE ", sql, count=1))
        if start is not None:
            columns = ", ".join(f'"{r[1]}"' for r in conn.execute(f"PRAGMA main.table_info({table})"))
            conn.execute(f"INSERT INTO temp.{table} ({columns}) SELECT {columns} FROM {ATTACHED}.{table}")
    return start.last_event if start is not None else 0
