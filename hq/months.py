"""Monthly rollups (branch totals per Jalali month), and a span of days cut into whole months and loose days.

The parts below add up the same way from either table: sums and counts, never means, so a span
read from months and days gives the figures a span read from days alone would.
"""

from __future__ import annotations

import datetime as dt

import jdatetime
from navbat.server.reports.period import Period, parse_month
from psycopg import Connection

# One row of parts from `daily` (its totals, service '').
DAILY_PARTS = """d.branch, d.visitors, d.served, d.called,
    coalesce(d.mean_wait * d.called, 0) AS wait_sum, CASE WHEN d.mean_wait IS NULL THEN 0 ELSE d.called END AS wait_n,
    d.within_target, coalesce(d.mean_service * d.served, 0) AS service_sum,
    CASE WHEN d.mean_service IS NULL THEN 0 ELSE d.served END AS service_n, d.no_shows, d.transfers,
    d.docs_incomplete, d.ratings, d.satisfied, d.complaints, d.open_hours, d.judged"""
MONTHLY_PARTS = """m.branch, m.visitors, m.served, m.called, m.wait_sum, m.wait_n, m.within_target, m.service_sum,
    m.service_n, m.no_shows, m.transfers, m.docs_incomplete, m.ratings, m.satisfied, m.complaints, m.open_hours,
    m.judged"""
# The figures from parts (p): the same as figures.SUMS over days.
PART_SUMS = """
    sum(p.visitors)::int AS visitors, sum(p.served)::int AS served, sum(p.called)::int AS called,
    sum(p.wait_sum) / nullif(sum(p.wait_n), 0) AS mean_wait_min,
    100.0 * sum(p.within_target) / nullif(sum(p.judged), 0) AS sla_pct,
    sum(p.judged)::int AS judged,
    sum(p.service_sum) / nullif(sum(p.service_n), 0) AS mean_service_min,
    sum(p.no_shows)::int AS no_shows, sum(p.transfers)::int AS transfers,
    100.0 * sum(p.docs_incomplete) / nullif(sum(p.served), 0) AS docs_incomplete_pct,
    sum(p.ratings)::int AS ratings, 100.0 * sum(p.satisfied) / nullif(sum(p.ratings), 0) AS satisfaction_pct,
    sum(p.complaints)::int AS complaints, sum(p.open_hours) AS open_hours,
    sum(p.visitors) / nullif(sum(p.open_hours), 0) AS visitors_per_window_hour"""


def month_of(day: dt.date) -> Period:
    j = jdatetime.date.fromgregorian(date=day)
    return parse_month(f"{j.year}-{j.month:02d}")


def split(start: dt.date, end: dt.date) -> tuple[list[dt.date], list[tuple[dt.date, dt.date]]]:
    """[start, end] (inclusive) as the first days of the whole Jalali months in it, and the loose
    stretches of days (inclusive) before and after them."""
    months: list[dt.date] = []
    loose: list[tuple[dt.date, dt.date]] = []
    day = start
    while day <= end:
        period = month_of(day)
        last = period.end - dt.timedelta(days=1)
        if day == period.start and last <= end:
            months.append(period.start)
        else:
            loose.append((day, min(last, end)))
        day = period.end
    return months, loose


def parts_sql(start: dt.date, end: dt.date) -> tuple[str, list[object]]:
    """A query of parts covering [start, end]: months from `monthly`, loose days from `daily`."""
    months, loose = split(start, end)
    queries, args = [], []
    if months:
        queries.append(f"SELECT {MONTHLY_PARTS} FROM monthly m WHERE m.month_start = ANY(%s)")
        args.append(months)
    for first, last in loose:
        queries.append(f"SELECT {DAILY_PARTS} FROM daily d WHERE d.service = '' AND d.day BETWEEN %s AND %s")
        args += [first, last]
    return " UNION ALL ".join(queries), args


def refresh_month(conn: Connection, branch: str | None, day: dt.date) -> None:
    """Recomputes the month of `day` from its daily totals, for one branch (or every branch: None)."""
    period = month_of(day)
    where, args = ("AND d.branch = %s", [branch]) if branch else ("", [])
    conn.execute(f"DELETE FROM monthly WHERE month_start = %s {where.replace('d.', '')}", [period.start, *args])
    conn.execute(f"""INSERT INTO monthly SELECT d.branch, %s, sum(visitors), sum(served), sum(called), sum(wait_sum),
                       sum(wait_n), sum(within_target), sum(service_sum), sum(service_n), sum(no_shows),
                       sum(transfers), sum(docs_incomplete), sum(ratings), sum(satisfied), sum(complaints),
                       sum(open_hours), sum(judged)
                     FROM (SELECT {DAILY_PARTS} FROM daily d WHERE d.service = '' AND d.day >= %s AND d.day < %s
                           {where}) d GROUP BY d.branch""", [period.start, period.start, period.end, *args])
