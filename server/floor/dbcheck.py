"""Is a hub database sound? SQLite's integrity check, then the state tables against a rebuild
from the event log (the same fold the floor applies, server/floor/projection.py), then the invariants
of the state kept beside the log on purpose.

Compared with the log: every column of every table the fold writes (projection.STATE_TABLES):
tickets, sequences, counters, requests, device_status, remote_turns, appointments,
remote_settings and appointment_shares. Their own invariants are checked too (a remote turn
or a checked-in booking of a ticket that exists; JSON settings; shares between 0 and 1).

Kept beside the log on purpose (never rebuilt from it), each checked for its own invariants:
- device_seen: when each device last reported (a repeated report moves only this, no event):
  a time no earlier than the device's last device.status event.
- ratings (with hq_rating_outbox): one per visit, of a ticket that exists; the outbox holds
  only rated tickets.
- remote_phones, appointment_contacts: the phones (and booking addresses) kept out of the log,
  of a remote turn and a booking that exist.
- users, devices, sessions, login_failures, login_lockouts: accounts; a session's user exists.
- sms_outbox, phone_codes, phone_code_sends, hq_shipping: work queues and their progress.

Works inside one read transaction (a snapshot), folding into temporary tables, so it can run
beside a running hub and never writes the database. Incremental by default: the fold starts from
a checkpoint a sound check left beside the database (server/floor/checkpoints.py), so a nightly check
folds a day and a restored backup's check folds what came after the checkpoint before it; the
state tables are still compared whole (in SQLite). `full=True` (`navbat check --full`) folds the
whole log again, which also finds an event changed before the newest checkpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.foundation import sqlite_db
from navbat.server.floor import checkpoints, projection
from navbat.server.floor.db import migrations
from navbat.server.floor.events import Event

# A table a database does not have yet (an older release's) is skipped.
STATE_TABLES = projection.STATE_TABLES
# Columns of a state table written beside the log: checked by _beside instead (none since m011).
NOT_FROM_THE_LOG: dict[str, tuple[str, ...]] = {}
MAX_LINES = 50


def _rows(db: sqlite_utils.Database, table: str, source: str | None = None, where: str = "1",
          ) -> dict[tuple, dict[str, Any]]:
    keys, skip = STATE_TABLES[table], NOT_FROM_THE_LOG.get(table, ())
    return {tuple(r[k] for k in keys): {c: v for c, v in r.items() if c not in skip}
            for r in db.query(f"SELECT * FROM {source or table} WHERE {where}")}


def _untouched_counter(row: dict[str, Any]) -> bool:
    # Counters of the branch file never opened have a closed row and no event (Floor._ensure_counters).
    return row["state"] == "closed" and row["clerk"] is None and row["current_ticket"] is None \
        and row["changed_at"] is None


def check(path: str | Path, full: bool = False) -> list[str]:
    """Problems found; an empty list means the database is sound.

    Incremental unless `full`: the fold starts from the newest checkpoint (server/floor/checkpoints.py)
    that still fits this log, so only the events since it are folded; the state tables are
    compared whole either way. A sound check leaves a checkpoint at its last event."""
    path = Path(path)
    if not path.is_file():
        return [f"no database at {path}"]
    conn = sqlite3.connect(str(path), isolation_level=None)  # only read (the file is there: never creates one)
    try:
        problems = [r[0] for r in conn.execute(f"PRAGMA {'integrity_check' if full else 'quick_check'}")
                    if r[0] != "ok"]
        if problems:
            return [f"integrity: {p}" for p in problems]
        db = sqlite_db.database(conn)
        if not db["events"].exists():
            return [f"{path} is not a Navbat hub database (no events table)"]
        older = set(migrations.names) - set(migrations.applied_names(db))
        if older:  # an older release's file: a copy migrated in memory, checked as this release reads it
            copy = sqlite3.connect(":memory:", isolation_level=None)
            conn.backup(copy)
            conn.close()
            conn, db = copy, sqlite_db.database(copy)
            migrations.apply(db)
        conn.execute("PRAGMA temp_store=MEMORY")
        tables = [t for t in STATE_TABLES if db[t].exists()]
        store = checkpoints.Store(path, tables)
        start = None if full or older else store.fitting(conn)
        conn.execute("BEGIN")  # one snapshot of the file, even while the hub writes; nothing is written to it
        beside = _beside(db)
        last = checkpoints.stage(conn, tables, start)  # temp tables of the same names hide the stored ones
        for row in db.query("SELECT * FROM events WHERE id > ? ORDER BY id", [last]):
            projection.apply(db, Event.from_row(row))  # into the temp tables
            last = row["id"]
        anchor = checkpoints.anchor(conn, last)
        problems = (_compared(db, tables) + beside)[:MAX_LINES]
        conn.execute("COMMIT")
        if not problems and not older:
            store.save(conn, last, anchor)
        return problems
    finally:
        conn.close()


def _compared(db: sqlite_utils.Database, tables: list[str]) -> list[str]:
    """The stored tables (main) against the fold (temp): rows that differ are found by SQLite,
    then only those are read and named."""
    stored, rebuilt = {}, {}
    for table in tables:
        skip = NOT_FROM_THE_LOG.get(table, ())
        columns = ", ".join(c.name for c in db[table].columns if c.name not in skip)
        keys = ", ".join(STATE_TABLES[table])
        one_way = "SELECT {keys} FROM (SELECT {columns} FROM {a}.{table} EXCEPT SELECT {columns} FROM {b}.{table})"
        differ = " UNION ".join(one_way.format(keys=keys, columns=columns, table=table, a=a, b=b)
                                for a, b in (("main", "temp"), ("temp", "main")))
        where = f"({keys}) IN ({differ})" if len(STATE_TABLES[table]) > 1 else f"{keys} IN ({differ})"
        stored[table] = _rows(db, table, f"main.{table}", where)
        rebuilt[table] = _rows(db, table, f"temp.{table}", where)
    return _differences(stored, rebuilt)


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


def _time(text: Any) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _orphans(db: sqlite_utils.Database, table: str, where: str = "1") -> list[str]:
    """Rows of `table` naming a ticket the tickets table does not have."""
    if not db[table].exists():
        return []
    rows = db.execute(f"SELECT ticket_id FROM {table} WHERE {where} AND ticket_id IS NOT NULL "
                      "AND ticket_id NOT IN (SELECT id FROM tickets) ORDER BY ticket_id").fetchall()
    return [f"{table} ticket_id={r[0]}: no such ticket" for r in rows]


def _beside(db: sqlite_utils.Database) -> list[str]:
    """The invariants of the state kept beside the log (see the module's docstring)."""
    out: list[str] = []
    logged: dict[str, str] = {}
    for row in db.query("SELECT at, data FROM events WHERE type=? ORDER BY id", [E.DEVICE_STATUS]):
        logged[json.loads(row["data"])["name"]] = row["at"]
    if db["device_seen"].exists():
        for row in db.query("SELECT name, at FROM device_seen ORDER BY name"):
            seen, last = _time(row["at"]), _time(logged.get(row["name"]))
            if seen is None:
                out.append(f"device_seen name={row['name']!r}: at is {row['at']!r}, not a time")
            elif last is not None and seen < last:
                out.append(f"device_seen name={row['name']!r}: at is {row['at']!r}, before its last report "
                           f"in the event log ({logged[row['name']]!r})")
    out += _orphans(db, "ratings") + _orphans(db, "remote_turns") + _orphans(db, "remote_phones")
    if db["remote_phones"].exists():
        out += [f"remote_phones ticket_id={r[0]}: no such remote turn" for r in db.execute(
            "SELECT ticket_id FROM remote_phones WHERE ticket_id NOT IN (SELECT ticket_id FROM remote_turns) "
            "ORDER BY ticket_id")]
    if db["appointment_contacts"].exists():
        out += [f"appointment_contacts appointment_id={r[0]}: no such booking" for r in db.execute(
            "SELECT appointment_id FROM appointment_contacts WHERE appointment_id NOT IN (SELECT id FROM appointments) "
            "ORDER BY appointment_id")]
    if db["hq_rating_outbox"].exists() and db["ratings"].exists():
        out += [f"hq_rating_outbox ticket_id={r[0]}: no such rating" for r in db.execute(
            "SELECT DISTINCT ticket_id FROM hq_rating_outbox WHERE ticket_id NOT IN (SELECT ticket_id FROM ratings)"
            " ORDER BY ticket_id")]
    if db["appointments"].exists():
        out += _orphans(db, "appointments")
        out += [f"appointments code={r[0]!r}: state {r[1]!r} with check-in time {r[2]!r} and ticket {r[3]!r}"
                for r in db.execute("SELECT code, state, checked_in_at, ticket_id FROM appointments WHERE "
                                    "(state = 'checked_in') != (checked_in_at IS NOT NULL AND ticket_id IS NOT NULL)"
                                    " ORDER BY code")]
    if db["appointment_shares"].exists():
        out += [f"appointment_shares service={r[0]!r}: share {r[1]!r} is not between 0 and 1" for r in db.execute(
            "SELECT service, share FROM appointment_shares WHERE NOT (share BETWEEN 0 AND 1) ORDER BY service")]
    if db["remote_settings"].exists():
        for key, value in db.execute("SELECT key, value FROM remote_settings ORDER BY key"):
            try:
                json.loads(value)
            except ValueError:
                out.append(f"remote_settings key={key!r}: value is not JSON")
    out += [f"sessions of {r[0]!r}: no such user" for r in db.execute(
        "SELECT DISTINCT username FROM sessions WHERE username NOT IN (SELECT username FROM users) ORDER BY 1")]
    return out
