"""Visitors' satisfaction ratings (F2, V4): faces on a counter's tablet or the tracking page.

From the tracking page the tracking code is the key (F1), no login; at a counter's tablet
only the visitor that counter has just finished may be rated, for a few minutes, once, and
only by that counter's own tablet (its device token: server/web/api/ratings.py checks it).
Ratings are written through the floor's one write path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlite_utils
from navbat.foundation.config import Branch
from navbat.server.floor.floor import Floor
from navbat.server.floor.queries import Row, counter_row
from navbat.server.floor.refusals import Conflict, Invalid, NotFound
from navbat.server.floor.times import Clock, iso, parse_iso

SCORES = (1, 2, 3, 4, 5)  # 3 faces use 1, 3, 5
TABLET_MINUTES = 10  # a counter's tablet may rate its last visitor this long after "done"
TRACKING_DAYS = 7  # the tracking page may rate this long after "done"
MAX_COMMENT = 500


def _ticket(db: sqlite_utils.Database, where: str, arg: object) -> Row:
    rows = list(db.query(f"SELECT id, state, service, counter, clerk, finished_at FROM tickets WHERE {where} = ?",
                         [arg]))
    if not rows:
        raise NotFound("unknown_ticket", "no such ticket")
    return rows[0]


def rated(db: sqlite_utils.Database, ticket_id: int) -> bool:
    return db.execute("SELECT 1 FROM ratings WHERE ticket_id=?", [ticket_id]).fetchone() is not None


def pending_at_counter(db: sqlite_utils.Database, branch: Branch, clock: Clock, counter: int
                       ) -> dict[str, Any] | None:
    """The visitor this counter finished last, if still to be rated at its tablet."""
    row = counter_row(db, branch, counter)  # 404 for an unknown counter
    if row["current_ticket"] is not None:
        return None  # a later call at this counter means the visitor has gone
    since = iso(clock() - dt.timedelta(minutes=TABLET_MINUTES))
    found = list(db.query(
        """SELECT id, number, service, finished_at FROM tickets WHERE state = 'done' AND counter = ?
           AND finished_at >= ? ORDER BY finished_at DESC LIMIT 1""", [counter, since]))
    if not found or rated(db, found[0]["id"]):
        return None
    t = found[0]
    return {"ticket": t["id"], "number": t["number"], "service": t["service"], "counter": counter,
            "finished_at": t["finished_at"]}


def rate(floor: Floor, branch: Branch, clock: Clock, body: dict[str, Any]) -> dict[str, Any]:
    """{tracking_code, score, comment?} or {counter, ticket, score, comment?} -> the stored rating."""
    score = body.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or score not in SCORES:
        raise Invalid("bad_score", "score must be a whole number from 1 to 5")
    comment = body.get("comment")
    if comment is not None and not isinstance(comment, str):
        raise Invalid("bad_comment", "comment must be text")
    comment = (comment or "").strip()[:MAX_COMMENT] or None
    with floor.write() as tx:  # checked and stored in one transaction: two taps make one rating
        db = tx.db
        if body.get("tracking_code") is not None:
            ticket = _ticket(db, "tracking_code", str(body["tracking_code"]).strip().upper())
            if ticket["state"] != "done":
                raise Conflict("not_finished", "a visit can be rated once it is done")
            if parse_iso(ticket["finished_at"]) < tx.now - dt.timedelta(days=TRACKING_DAYS):
                raise Conflict("too_late", f"ratings close {TRACKING_DAYS} days after the visit")
            source = "tracking"
        elif body.get("counter") is not None and body.get("ticket") is not None:
            counter, ticket_id = body["counter"], body["ticket"]
            if not isinstance(counter, int) or not isinstance(ticket_id, int):
                raise Invalid("bad_field", "counter and ticket must be numbers")
            pending = pending_at_counter(db, branch, clock, counter)
            if pending is None or pending["ticket"] != ticket_id:
                raise Conflict("not_rateable", "this counter has no visitor to rate now")
            ticket = _ticket(db, "id", ticket_id)
            source = "tablet"
        else:
            raise Invalid("missing_field", "send tracking_code, or counter and ticket")
        if rated(db, ticket["id"]):
            raise Conflict("already_rated", "this visit has already been rated")
        db.execute("""INSERT INTO ratings (ticket_id, score, comment, source, counter, clerk, service, at)
                      VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                   [ticket["id"], score, comment, source, ticket["counter"], ticket["clerk"], ticket["service"],
                    iso(tx.now)])
    return {"ticket": ticket["id"], "score": score, "comment": comment, "source": source}


def summary_today(db: sqlite_utils.Database, branch: Branch, clock: Clock) -> dict[str, Any]:
    """Count and mean score of today's ratings (for the live floor)."""
    start = dt.datetime.combine(branch.branch_day(clock()), dt.time(0), tzinfo=branch.tz)
    n, avg, happy = db.execute(
        "SELECT count(*), avg(score), sum(score >= 4) FROM ratings WHERE at >= ?", [iso(start)]).fetchone()
    return {"ratings": n, "mean": avg, "satisfied_pct": 100.0 * happy / n if n else None}
