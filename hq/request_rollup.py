"""Requests answered later (F1, F3) at HQ: per branch day and sub-service, folded from the branch's
request.* events by the branch's own code (server.reports.requests.request_figures), kept in
`request_daily` as sums so a province's month is a sum of rows and its shares are of all answers.

A request event counts on its own branch day (an answer days after the visit counts when it was
given), not on its ticket's day: the day is the event's time in the branch's time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from zoneinfo import ZoneInfo

from navbat.foundation import event_types as E
from navbat.hq.rollup import local_day
from navbat.server.floor.times import iso  # the branch's own form of `at`, so text compares as time
from navbat.server.reports.requests import request_figures
from psycopg import Connection

TYPES = (E.REQUEST_OPENED, E.REQUEST_ANSWERED)
_SUMS = """sum(r.opened)::int AS requests_opened, sum(r.answered)::int AS requests_answered,
    100.0 * sum(r.answered_on_time) / nullif(sum(r.answered), 0) AS requests_on_time_pct,
    sum(r.days_to_answer)::float / nullif(sum(r.answered), 0) AS requests_mean_days"""


def days_of(events: Iterable[dict[str, Any]], tz: str) -> set[dt.date]:
    """The branch days a batch's (or a truncation's) request events fall on."""
    return {local_day(e["at"], tz) for e in events if e["type"] in TYPES}


def refresh(conn: Connection, branch: str, day: dt.date, tz: str) -> None:
    """Replaces the branch day's rows (inside the ingesting transaction)."""
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(day, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    rows = conn.execute("SELECT at, type, data FROM events WHERE branch=%s AND type = ANY(%s) AND at >= %s AND at < %s "
                        "ORDER BY id", [branch, list(TYPES), iso(start), iso(end)]).fetchall()
    events = [{"type": r["type"], "branch_day": local_day(r["at"], tz), "data": r["data"]} for r in rows]
    figures = request_figures(events, day, day + dt.timedelta(days=1))
    units = {}
    for e in events:
        units.setdefault(e["data"]["service"], e["data"].get("unit"))
    conn.execute("DELETE FROM request_daily WHERE branch=%s AND day=%s", [branch, day])
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO request_daily (branch, day, service, unit, opened, answered, answered_on_time, "
            "days_to_answer) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            [[branch, day, r["code"], units.get(r["code"]), r["opened"], r["answered"], r["answered_on_time"],
              round((r["mean_days_to_answer"] or 0) * r["answered"])] for r in figures["services"]])


def summary(conn: Connection, start: dt.date, end: dt.date, province: str | None = None) -> dict[str, Any]:
    """Per province and per branch over the branch days [start, end]: opened, answered, the share
    answered on time and the mean working days to answer (F3, at HQ per province)."""
    where, args = ("AND b.province = %s", [province]) if province else ("", [])
    base = f"FROM request_daily r JOIN branches b ON b.id = r.branch WHERE r.day BETWEEN %s AND %s {where}"
    provinces = conn.execute(f"SELECT b.province AS province, {_SUMS} {base} GROUP BY b.province",
                             [start, end, *args]).fetchall()
    branches = conn.execute(f"SELECT b.id AS branch, {_SUMS} {base} GROUP BY b.id", [start, end, *args]).fetchall()
    return {"provinces": {r["province"]: _clean(r) for r in provinces},
            "branches": {r["branch"]: _clean(r) for r in branches}}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (round(float(v), 2) if v is not None and not isinstance(v, int) else v) for k, v in row.items()
            if k.startswith("requests_")}
