"""The monthly report (D9): a branch head submits the Jalali month; HQ records it and its time,
and lists the branches that have not submitted by the 5th of the next month."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import jdatetime
from navbat.server.reports.period import parse_month
from psycopg import Connection

DUE_DAY = 5  # of the next Jalali month
TEHRAN = ZoneInfo("Asia/Tehran")


def due(month: str) -> dt.date:
    """The last day a month's report is on time: the 5th of the next Jalali month (Gregorian)."""
    period = parse_month(month)
    first = jdatetime.date.fromgregorian(date=period.end)
    return jdatetime.date(first.year, first.month, DUE_DAY).togregorian()


def submit(conn: Connection, branch: str, month: str, note: str | None, by: str | None,
           today: dt.date | None = None) -> dict[str, Any]:
    """Records the submission (a second one replaces the note and the time). ValueError if the
    month is not a Jalali month or has not ended yet."""
    period = parse_month(month)
    today = today or dt.datetime.now(TEHRAN).date()
    if period.end > today:
        raise ValueError("a month can be submitted once it has ended")
    row = conn.execute("""INSERT INTO submissions (branch, month, note, submitted_by) VALUES (%s, %s, %s, %s)
                          ON CONFLICT (branch, month) DO UPDATE SET note=excluded.note, submitted_at=now(),
                            submitted_by=excluded.submitted_by
                          RETURNING submitted_at""", [branch, period.label, (note or "").strip()[:2000] or None,
                                                      by]).fetchone()
    at = row["submitted_at"]
    return {"branch": branch, "month": period.label, "submitted_at": at.isoformat(),
            "on_time": at.astimezone(TEHRAN).date() <= due(period.label)}


def late(conn: Connection, month: str, province: str | None = None,
         today: dt.date | None = None) -> dict[str, Any]:
    """The month's submissions and the branches without one; `overdue` once the 5th has passed."""
    period = parse_month(month)
    today = today or dt.datetime.now(TEHRAN).date()
    where, args = ("AND b.province = %s", [province]) if province else ("", [])
    rows = conn.execute(f"""SELECT b.id AS branch, b.province, b.region, s.submitted_at, s.note
                            FROM branches b LEFT JOIN submissions s ON s.branch = b.id AND s.month = %s
                            WHERE true {where} ORDER BY b.province, b.region, b.id""",
                        [period.label, *args]).fetchall()
    deadline = due(period.label)
    missing = [{"branch": r["branch"], "province": r["province"], "region": r["region"]}
               for r in rows if r["submitted_at"] is None]
    submitted = [{"branch": r["branch"], "province": r["province"], "region": r["region"], "note": r["note"],
                  "submitted_at": r["submitted_at"].isoformat(),
                  "on_time": r["submitted_at"].astimezone(TEHRAN).date() <= deadline} for r in rows
                 if r["submitted_at"] is not None]
    return {"month": period.label, "due": deadline.isoformat(), "overdue": today > deadline,
            "missing": missing, "submitted": submitted}
