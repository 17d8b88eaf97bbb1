"""Is a hub database sound? SQLite's integrity check, then the state tables against a rebuild
from the event log (the same fold the floor applies, server/projection.py).

Works on a snapshot copy in memory, so it can run beside a running hub and never writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils
from navbat.server import projection
from navbat.server.events import Event

# A table a database does not have yet (an older release's) is skipped.
STATE_TABLES = projection.STATE_TABLES
MAX_LINES = 50


def _rows(db: sqlite_utils.Database, table: str) -> dict[tuple, dict[str, Any]]:
    keys = STATE_TABLES[table]
    return {tuple(r[k] for k in keys): r for r in db.query(f"SELECT * FROM {table}")}


def _untouched_counter(row: dict[str, Any]) -> bool:
    # Counters of the branch file never opened have a closed row and no event (Floor._ensure_counters).
    return row["state"] == "closed" and row["clerk"] is None and row["current_ticket"] is None \
        and row["changed_at"] is None


def check(path: str | Path) -> list[str]:
    """Problems found; an empty list means the database is sound."""
    path = Path(path)
    if not path.is_file():
        return [f"no database at {path}"]
    source = sqlite3.connect(str(path))  # only read
    copy = sqlite3.connect(":memory:", isolation_level=None)
    try:
        problems = [r[0] for r in source.execute("PRAGMA integrity_check") if r[0] != "ok"]
        if problems:
            return [f"integrity: {p}" for p in problems]
        source.backup(copy)  # one snapshot, even while the hub writes
    finally:
        source.close()
    db = sqlite_utils.Database(copy)
    tables = [t for t in STATE_TABLES if db[t].exists()]
    stored = {t: _rows(db, t) for t in tables}
    db.execute("BEGIN")
    for table in tables:
        db.execute(f"DELETE FROM {table}")
    for row in db.query("SELECT * FROM events ORDER BY id"):
        projection.apply(db, Event.from_row(row))
    rebuilt = {t: _rows(db, t) for t in tables}
    copy.close()
    return _differences(stored, rebuilt)[:MAX_LINES]


def _differences(stored: dict[str, dict], rebuilt: dict[str, dict]) -> list[str]:
    out: list[str] = []
    for table in stored:
        have, want, keys = stored[table], rebuilt[table], STATE_TABLES[table]
        for key in sorted(set(have) | set(want), key=repr):
            name = f"{table} {', '.join(f'{k}={v!r}' for k, v in zip(keys, key, strict=True))}"
            if key not in want:
                if not (table == "counters" and _untouched_counter(have[key])):
                    out.append(f"{name}: in the table, not in the event log")
            elif key not in have:
                out.append(f"{name}: in the event log, missing from the table")
            else:
                for column, value in want[key].items():
                    if have[key].get(column) != value:
                        out.append(f"{name}: {column} is {have[key].get(column)!r}, the event log says {value!r}")
    return out
