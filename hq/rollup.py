"""A branch day's figures at HQ, computed by the branch's own report code from the shipped events.

After each batch, every branch day it touched is folded again (server.reports.visits.fold, the
floor's transitions) and its rows made by server.reports.rows.make_row, the functions the
branch's report uses: so HQ's figures equal the branch's, field by field. The result lands in
`daily`; the dashboard and the API add up those rows and never read the events.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from navbat.hq.window_hours import open_hours
from navbat.server.reports.rows import make_row
from navbat.server.reports.visits import Visit, attach_ratings, fold
from psycopg import Connection
from psycopg.rows import tuple_row

COMPLAINT = 2  # ratings in the lowest two faces (1 or 2 of 5) are complaints (F4)
DEFAULT_TARGET = 20.0  # minutes, as server.reports.figures assumes for an unknown sub-service

_ROWS = """
    SELECT e.at, e.type, e.ticket_id, e.counter, coalesce(e.data->>'clerk', e.actor),
           e.data->>'service', e.data->>'outcome', e.data->>'priority'
    FROM events e JOIN tickets t ON t.branch = e.branch AND t.ticket_id = e.ticket_id
    WHERE e.branch = %s AND t.day = %s AND e.type LIKE 'ticket.%%'
    ORDER BY e.id"""


class _Ratings:
    """The branch's ratings for attach_ratings, which reads them with one query: the same function
    puts each rating on its visit and on the segment that finished it, here as on the branch."""

    def __init__(self, conn: Connection, branch: str) -> None:
        self.conn, self.branch = conn, branch

    def execute(self, _sql: str, bounds: list[int]) -> list[tuple[int, int]]:
        rows = self.conn.execute("SELECT ticket_id, score FROM ratings WHERE branch=%s AND ticket_id BETWEEN %s AND %s",
                                 [self.branch, *bounds]).fetchall()
        return [(r["ticket_id"], r["score"]) for r in rows]


def local_day(at: str, tz: str) -> dt.date:
    return dt.datetime.fromisoformat(at).astimezone(ZoneInfo(tz)).date()


def visits_of(conn: Connection, branch: str, day: dt.date) -> list[Visit]:
    with conn.cursor(row_factory=tuple_row) as cur:  # plain tuples: the branch's Row shape
        rows = cur.execute(_ROWS, [branch, day]).fetchall()
    visits = fold(rows)
    attach_ratings(_Ratings(conn, branch), visits)  # type: ignore[arg-type]
    return list(visits.values())


def day_rows(visits: list[Visit], profile: dict[str, Any], as_of: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The day's rows: one per sub-service that had visitors or work, and the total (service '');
    those still waiting are judged against their target at `as_of` (the day's end, or now)."""
    services = {s["code"]: s for s in profile.get("services", [])}
    targets = {code: float(s.get("target", DEFAULT_TARGET)) for code, s in services.items()}
    by_visit: dict[str, list[Visit]] = {}
    by_segment: dict[str, list] = {}
    for v in visits:
        by_visit.setdefault(v.service, []).append(v)
        for s in v.segments:
            by_segment.setdefault(s.service, []).append(s)
    out = []
    for code in sorted(set(by_visit) | set(by_segment)):
        out.append(_row(code, services.get(code, {}).get("unit"), by_visit.get(code, []),
                        by_segment.get(code, []), targets, as_of))
    out.append(_row("", None, visits, [s for v in visits for s in v.segments], targets, as_of))  # the total
    return out


def _row(code: str, unit: str | None, visits: list[Visit], segments: list, targets: dict[str, float],
         as_of: dt.datetime | None) -> dict[str, Any]:
    row = make_row(code or "total", {"en": code}, visits, segments, targets, as_of)
    waits = [v.wait_minutes for v in visits if v.first_call is not None]
    scores = [s.rating for s in segments if s.end_kind == "done" and s.rating is not None]
    return {"service": code, "unit": unit, "visitors": row.visitors, "called": row.called,
            "mean_wait": row.mean_wait, "p90_wait": row.p90_wait, "within_target": row.within_target,
            "judged": row.judged,
            "within_target_pct": row.within_target_pct, "served": row.served, "mean_service": row.mean_service,
            "no_shows": row.no_shows, "transfers": row.transfers, "docs_incomplete": row.docs_incomplete,
            "docs_incomplete_pct": row.docs_incomplete_pct, "ratings": row.ratings,
            "satisfaction": row.satisfaction, "satisfied": sum(1 for x in scores if x >= 4),
            "satisfied_pct": row.satisfied_pct, "complaints": sum(1 for x in scores if x <= COMPLAINT),
            "waits": waits, "open_hours": 0.0}


COLUMNS = ("service", "unit", "visitors", "called", "mean_wait", "p90_wait", "within_target", "judged",
           "within_target_pct", "served", "mean_service", "no_shows", "transfers", "docs_incomplete",
           "docs_incomplete_pct", "ratings", "satisfaction", "satisfied", "satisfied_pct", "complaints", "waits",
           "open_hours")
_INSERT = (f"INSERT INTO daily (branch, day, {', '.join(COLUMNS)}) "
           f"VALUES (%s, %s, {', '.join(['%s'] * len(COLUMNS))})")


def refresh(conn: Connection, branch: str, day: dt.date, profile: dict[str, Any]) -> None:
    """Replaces the branch day's rollup rows (inside the ingesting transaction)."""
    visits = visits_of(conn, branch, day)
    conn.execute("DELETE FROM daily WHERE branch=%s AND day=%s", [branch, day])
    if not visits:  # every ticket of the day forgotten (a branch restored from a backup): no day at all
        return
    tz = profile.get("timezone", "Asia/Tehran")
    day_end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=ZoneInfo(tz))
    rows = day_rows(visits, profile, min(day_end, dt.datetime.now(dt.UTC)))
    rows[-1]["open_hours"] = open_hours(conn, branch, day, tz)
    with conn.cursor() as cur:
        cur.executemany(_INSERT, [[branch, day, *(r[c] for c in COLUMNS)] for r in rows])
