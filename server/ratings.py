"""Visitors' satisfaction ratings (F2, V4): faces on a window tablet or the tracking page.

The ratings table has its own migration set ("navbat-ratings") so the hub's schema
stays the lead's; it is applied when the head blueprint is registered, or on first use.
A rating needs no login: from the tracking page the tracking code is the key (F1);
at a window's tablet only the visitor that window has just finished may be rated,
for a few minutes, once.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import weakref
from typing import Any

import sqlite_utils
from sqlite_utils.migrations import Migrations

from server.floor import Floor, FloorError, iso, parse_iso

migrations = Migrations("navbat-ratings")
SCORES = (1, 2, 3, 4, 5)  # 3 faces use 1, 3, 5
TABLET_MINUTES = 10  # a window's tablet may rate its last visitor this long after "done"
TRACKING_DAYS = 7  # the tracking page may rate this long after "done"
MAX_COMMENT = 500


@migrations()
def m001_ratings(db: sqlite_utils.Database) -> None:
    db.execute("""
        CREATE TABLE ratings (
            ticket_id INTEGER PRIMARY KEY,     -- one rating per visit
            score INTEGER NOT NULL CHECK (score BETWEEN 1 AND 5),
            comment TEXT,
            source TEXT NOT NULL,              -- tablet | tracking
            counter INTEGER,                   -- the window that finished the visit
            clerk TEXT,
            service TEXT,
            at TEXT NOT NULL)""")
    db.execute("CREATE INDEX ratings_at ON ratings(at)")


_migrated: weakref.WeakSet = weakref.WeakSet()
_lock = threading.Lock()


def ensure(db: sqlite_utils.Database) -> None:
    """Applies the ratings migrations once per connection (cheap to call on every use)."""
    if db in _migrated:
        return
    with _lock:
        if db not in _migrated:
            migrations.apply(db)
            _migrated.add(db)


def _finished(floor: Floor, where: str, args: list[Any]) -> dict[str, Any] | None:
    rows = list(floor.db.query(
        f"""SELECT id, number, service, counter, clerk, finished_at, tracking_code FROM tickets
            WHERE state = 'done' AND {where} ORDER BY finished_at DESC LIMIT 1""", args))
    return rows[0] if rows else None


def _ticket(floor: Floor, where: str, arg: object) -> dict[str, Any]:
    rows = list(floor.db.query(f"SELECT id, state, service, counter, clerk, finished_at FROM tickets WHERE {where} = ?",
                               [arg]))
    if not rows:
        raise FloorError(404, "unknown_ticket", "no such ticket")
    return rows[0]


def rated(floor: Floor, ticket_id: int) -> bool:
    return floor.db.execute("SELECT 1 FROM ratings WHERE ticket_id=?", [ticket_id]).fetchone() is not None


def pending_at_counter(floor: Floor, counter: int) -> dict[str, Any] | None:
    """The visitor this window finished last, if still to be rated at its tablet."""
    floor.counter_row(counter)  # 404 for an unknown window
    ensure(floor.db)
    since = iso(floor.clock() - dt.timedelta(minutes=TABLET_MINUTES))
    t = _finished(floor, "counter = ? AND finished_at >= ?", [counter, since])
    if t is None or rated(floor, t["id"]):
        return None
    # a later call at this window means the visitor has gone
    row = floor.counter_row(counter)
    if row["current_ticket"] is not None:
        return None
    return {"ticket": t["id"], "number": t["number"], "service": t["service"], "counter": counter,
            "finished_at": t["finished_at"]}


def rate(floor: Floor, body: dict[str, Any]) -> dict[str, Any]:
    """{tracking_code, score, comment?} or {counter, ticket, score, comment?} -> the stored rating."""
    score = body.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or score not in SCORES:
        raise FloorError(400, "bad_score", "score must be a whole number from 1 to 5")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise FloorError(400, "bad_comment", "comment must be text")
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    ensure(floor.db)
    now = floor.clock()
    if body.get("tracking_code") is not None:
        code = str(body["tracking_code"]).strip().upper()
        ticket = _ticket(floor, "tracking_code", code)
        if ticket["state"] != "done":
            raise FloorError(409, "not_finished", "a visit can be rated once it is done")
        if parse_iso(ticket["finished_at"]) < now - dt.timedelta(days=TRACKING_DAYS):
            raise FloorError(409, "too_late", f"ratings close {TRACKING_DAYS} days after the visit")
        source = "tracking"
    elif body.get("counter") is not None and body.get("ticket") is not None:
        counter, ticket_id = body["counter"], body["ticket"]
        if not isinstance(counter, int) or not isinstance(ticket_id, int):
            raise FloorError(400, "bad_field", "counter and ticket must be numbers")
        pending = pending_at_counter(floor, counter)
        if pending is None or pending["ticket"] != ticket_id:
            raise FloorError(409, "not_rateable", "this window has no visitor to rate now")
        ticket = _ticket(floor, "id", ticket_id)
        source = "tablet"
    else:
        raise FloorError(400, "missing_field", "send tracking_code, or counter and ticket")
    with floor.lock:
        try:
            floor.db.execute(
                """INSERT INTO ratings (ticket_id, score, comment, source, counter, clerk, service, at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [ticket["id"], score, comment, source, ticket["counter"], ticket["clerk"], ticket["service"],
                 iso(now)])
        except sqlite3.IntegrityError:
            raise FloorError(409, "already_rated", "this visit has already been rated") from None
    return {"ticket": ticket["id"], "score": score, "comment": comment, "source": source}


def summary_today(floor: Floor) -> dict[str, Any]:
    """Count and mean score of today's ratings (for the live floor)."""
    ensure(floor.db)
    start = dt.datetime.combine(floor.branch.branch_day(floor.clock()), dt.time(0), tzinfo=floor.branch.tz)
    n, avg, happy = floor.db.execute(
        "SELECT count(*), avg(score), sum(score >= 4) FROM ratings WHERE at >= ?", [iso(start)]).fetchone()
    return {"ratings": n, "mean": avg, "satisfied_pct": 100.0 * happy / n if n else None}
