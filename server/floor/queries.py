"""Read queries about tickets and counters, on whichever connection the caller holds.

Inside the write path that is the writer (it must see its own changes); everywhere
else it is a reader's snapshot (Store.read()). Pages and APIs never run SQL: they call
these, or the views built on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.queueing import WaitingTicket
from navbat.server.floor.refusals import NotFound
from navbat.server.floor.times import parse_iso

Row = dict[str, Any]


def dict_rows(db: sqlite_utils.Database, sql: str, params: list[Any] | None = None) -> list[Row]:
    """db.query's dicts without its savepoint around each read (two statements more per query):
    for the reads every ticket and change makes (issue 27)."""
    cursor = db.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def ticket_row(db: sqlite_utils.Database, ticket_id: int | None = None, tracking_code: str | None = None) -> Row:
    where, arg = ("id=?", ticket_id) if ticket_id is not None else ("tracking_code=?", tracking_code)
    rows = dict_rows(db, f"SELECT * FROM tickets WHERE {where}", [arg])
    if not rows:
        raise NotFound("unknown_ticket", "no such ticket")
    return rows[0]


def counter_row(db: sqlite_utils.Database, branch: Branch, number: int) -> Row:
    if branch.counter(number) is None:
        raise NotFound("unknown_counter", f"no counter {number}")
    return next(db.query("SELECT * FROM counters WHERE number=?", [number]))


_DECODED: dict[str, dict[str, float]] = {}  # a counter's services as stored -> decoded (a handful of distinct texts)
_DECODED_MAX = 1024


def _decoded(text: str) -> dict[str, float]:
    found = _DECODED.get(text)
    if found is None:
        if len(_DECODED) >= _DECODED_MAX:  # only a head moving counters around makes new texts
            _DECODED.clear()
        found = _DECODED[text] = json.loads(text)
    return found


def _services_of(row: Row, branch: Branch) -> dict[str, float]:
    """counter_services without the copy: for readers that only look."""
    if row.get("services"):
        return _decoded(row["services"])
    cfg = branch.counter(row["number"])
    return {s.code: s.weight for s in cfg.services} if cfg else {}


def counter_services(row: Row, branch: Branch) -> dict[str, float]:
    """Which sub-services a counter serves now, with weights (the branch head may have changed them)."""
    return dict(_services_of(row, branch))


def serving(db: sqlite_utils.Database, branch: Branch, derived: Derived | None = None) -> dict[str, list[Row]]:
    """Per sub-service, the counters (rows) that serve it today, open or not yet open (D4);
    empty for a sub-service closed in the branch file. With `derived`, once per change."""
    if derived is not None:
        return derived.floor(db, branch)[1]
    rows = [(r, _services_of(r, branch)) for r in dict_rows(db, "SELECT * FROM counters")]
    return {s.code: [r for r, mine in rows if mine.get(s.code, 0) > 0] if s.enabled else []
            for s in branch.services}


class Derived:
    """The waiting counts and who serves what, derived once per change of the floor, not per request.

    Keyed by the last event id of the snapshot they were read from: every change of the tickets
    and counters tables is an event (server/floor/floor.py's one write path), and event ids are never
    reused (AUTOINCREMENT), so an equal id is an equal floor. Only committed snapshots are kept:
    the writer inside its transaction reads a kept value whose id still matches, never keeps one.
    The rows are shared between threads: callers only read them."""

    def __init__(self, writer: sqlite_utils.Database) -> None:
        self._writer = writer
        self._held: tuple[int, Branch, tuple[dict[str, int], dict[str, list[Row]]]] | None = None

    def floor(self, db: sqlite_utils.Database, branch: Branch) -> tuple[dict[str, int], dict[str, list[Row]]]:
        """(waiting counts per sub-service, serving(db, branch)) as of db's snapshot."""
        last = last_event_id(db)
        held = self._held
        if held is not None and held[0] == last and held[1] is branch:
            return held[2]
        value = (waiting_counts(db), serving(db, branch))
        if not (db is self._writer and db.conn.in_transaction):
            self._held = (last, branch, value)
        return value


def waiting_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("SELECT service, count(*) FROM tickets WHERE state='waiting' GROUP BY service").fetchall())


def waiting_tickets(db: sqlite_utils.Database, services: Iterable[str] | None = None,
                    states: tuple[str, ...] = ("waiting",)) -> list[WaitingTicket]:
    """Tickets in `states` as the engine sees them: a checked-in appointment (still at its booked
    sub-service) with its slot's start as due time (issue 18)."""
    codes = list(services) if services is not None else []
    where = f" AND t.service IN ({','.join('?' * len(codes))})" if services is not None else ""
    rows = db.execute("SELECT t.id, t.service, t.arrived_at, t.priority, a.due_at FROM tickets t "
                      "LEFT JOIN appointments a ON a.ticket_id = t.id AND a.service = t.service "
                      f"WHERE t.state IN ({','.join('?' * len(states))}){where}", [*states, *codes])
    return [WaitingTicket(r[0], r[1], parse_iso(r[2]).timestamp(), r[3],
                          due_at=parse_iso(r[4]).timestamp() if r[4] else None) for r in rows]


def device_statuses(db: sqlite_utils.Database) -> list[Row]:
    """Each device's last reported state; `at` is when it last reported at all (its heartbeat, device_seen)."""
    return list(db.query("SELECT s.name, s.kind, s.status, s.detail, max(s.at, coalesce(h.at, s.at)) AS at "
                         "FROM device_status s LEFT JOIN device_seen h ON h.name = s.name ORDER BY s.name"))


def last_event_id(db: sqlite_utils.Database) -> int:
    return db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]


def events_after(db: sqlite_utils.Database, last_id: int, limit: int = 10000) -> list[Row]:
    return list(db.query("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", [last_id, limit]))


def recent_calls(db: sqlite_utils.Database, since: str, limit: int) -> list[dict[str, Any]]:
    """The latest call of each ticket since `since` (UTC ISO), newest first; a call since
    cancelled is left out. A wall restarted mid-day shows what it showed before."""
    out: dict[int, dict[str, Any]] = {}
    gone: set[int] = set()
    for r in db.execute("""SELECT id, at, type, data FROM events
                           WHERE type IN (?, ?, ?, ?) AND at >= ?
                           ORDER BY id DESC LIMIT 2000""",
                        [E.TICKET_CALLED, E.TICKET_RECALLED, E.TICKET_CANCELLED, E.TICKET_UNCALLED, since]):
        data = json.loads(r[3])
        ticket = data.get("ticket")
        if r[2] in (E.TICKET_CANCELLED, E.TICKET_UNCALLED):  # a call taken back is no call
            gone.add(ticket)
        elif ticket not in out and ticket not in gone:
            out[ticket] = {"id": r[0], "at": r[1], "ticket": ticket, "number": data.get("number"),
                           "counter": data.get("counter"), "recall": r[2] == E.TICKET_RECALLED}
        if len(out) >= limit:
            break
    return list(out.values())
