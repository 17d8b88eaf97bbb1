"""Open window-hours of a branch day, from its counters' events (counter.changed: open, paused, closed).

A counter open at the day's start (its last change before was "open") counts from midnight; one
still open at the day's end counts up to the branch's last event of that day, not to midnight,
since a counter left open overnight serves nobody.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from navbat.foundation import event_types as E
from psycopg import Connection


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")  # as the branch writes `at`


def open_hours(conn: Connection, branch: str, day: dt.date, tz: str) -> float:
    zone = ZoneInfo(tz)
    start = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    lo, hi = _iso(start), _iso(start + dt.timedelta(days=1))
    before = conn.execute("""SELECT DISTINCT ON (counter) counter, data->>'state' AS state FROM events
                             WHERE branch=%s AND type=%s AND at < %s ORDER BY counter, id DESC""",
                          [branch, E.COUNTER_CHANGED, lo]).fetchall()
    changes = conn.execute("""SELECT counter, at, data->>'state' AS state FROM events
                              WHERE branch=%s AND type=%s AND at >= %s AND at < %s ORDER BY id""",
                           [branch, E.COUNTER_CHANGED, lo, hi]).fetchall()
    last = conn.execute("SELECT max(at) AS at FROM events WHERE branch=%s AND at >= %s AND at < %s",
                        [branch, lo, hi]).fetchone()["at"]
    since = {r["counter"]: start for r in before if r["state"] == "open"}
    seconds = 0.0
    for r in changes:
        at = dt.datetime.fromisoformat(r["at"])
        if r["state"] == "open":
            since.setdefault(r["counter"], at)
        elif r["counter"] in since:
            seconds += (at - since.pop(r["counter"])).total_seconds()
    if last is not None:
        end = dt.datetime.fromisoformat(last)
        seconds += sum(max((end - t).total_seconds(), 0.0) for t in since.values())
    return seconds / 3600
