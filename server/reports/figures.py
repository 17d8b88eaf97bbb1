"""The report's figures: per sub-service and unit, per counter and clerk, per hour and day.

Two kinds of figure, kept apart on purpose:
- about visitors (counted once per ticket, under the sub-service they asked for):
  visitors, called, mean and p90 wait (issued -> first call), share within the target;
- about work at counters (one segment per call of a ticket to a counter, under the
  sub-service it was called for): served, mean service time (call -> done), no-shows,
  transfers, documents-incomplete rate, and satisfaction (on the segment that finished
  the visit, so it goes to the counter and clerk who served it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jdatetime
import sqlite_utils
from navbat.foundation.config import Branch
from navbat.server.reports.channels import channel_rows, channels_of
from navbat.server.reports.period import Period
from navbat.server.reports.promises import promise_rows, promises_of
from navbat.server.reports.requests import load_events, request_figures
from navbat.server.reports.rows import Row, make_row
from navbat.server.reports.visits import Visit, attach_ratings, fold, load_rows


@dataclass
class Report:
    period: Period
    branch_name: dict[str, str]
    services: list[Row]
    units: list[Row]
    total: Row
    counters: list[Row]
    clerks: list[Row]
    hourly: list[dict[str, int]]  # [{"hour": 7, "arrivals": n, "served": m}, ...]
    daily: list[dict[str, Any]] = field(default_factory=list)  # per branch day of the period
    requests: dict[str, Any] = field(default_factory=dict)  # answered later: on time, days to answer (F3)
    channels: list[Row] = field(default_factory=list)  # walk-in, remote, appointment (reports/channels.py)
    promises: list[dict[str, Any]] = field(default_factory=list)  # the printed range held? (reports/promises.py)

    def as_dict(self) -> dict[str, Any]:
        return {"period": {"kind": self.period.kind, "label": self.period.label, "title": self.period.title(),
                           "start": self.period.start.isoformat(), "end": self.period.end.isoformat()},
                "branch": self.branch_name,
                "services": [r.as_dict() for r in self.services], "units": [r.as_dict() for r in self.units],
                "total": self.total.as_dict(), "counters": [r.as_dict() for r in self.counters],
                "clerks": [r.as_dict() for r in self.clerks], "hourly": self.hourly, "daily": self.daily,
                "requests": self.requests, "channels": [r.as_dict() for r in self.channels],
                "promises": self.promises}


def build_report(db: sqlite_utils.Database, branch: Branch, period: Period) -> Report:
    """Every figure of the period from the events table (and the ratings table, if any)."""
    tz = branch.tz
    start, end = period.bounds_utc(tz)
    visits = fold(load_rows(db, start, end))
    attach_ratings(db, visits)
    as_of = min(end, dt.datetime.now(dt.UTC))
    report = compute(list(visits.values()), branch, period, as_of)
    report.requests = request_figures(load_events(db, start, end, tz), period.start, period.end)
    targets = {s.code: s.target_wait_minutes for s in branch.services}
    report.channels = channel_rows(visits.values(), channels_of(db, start, end), targets, as_of)
    report.promises = promise_rows(visits.values(), promises_of(db, start, end), branch, as_of)
    names = dict(db.execute("SELECT username, display_name FROM users WHERE display_name IS NOT NULL")
                 ) if db.execute("SELECT 1 FROM sqlite_master WHERE name='users'").fetchone() else {}
    for row in report.clerks:  # a clerk by the name the branch gave them, not their login (issue 24)
        if names.get(row.key):
            row.label = {"fa": names[row.key], "en": names[row.key]}
    return report


def compute(visits: list[Visit], branch: Branch, period: Period, as_of: dt.datetime | None = None) -> Report:
    tz = branch.tz
    targets = {s.code: s.target_wait_minutes for s in branch.services}
    segments = [s for v in visits for s in v.segments]
    unit_of = {s.code: u.code for u in branch.units for s in u.services}

    def by(items: Iterable[Any], key: Any) -> dict[Any, list[Any]]:
        out: dict[Any, list[Any]] = {}
        for item in items:
            out.setdefault(key(item), []).append(item)
        return out

    v_svc, s_svc = by(visits, lambda v: v.service), by(segments, lambda s: s.service)
    services = [make_row(s.code, s.name.model_dump(), v_svc.get(s.code, []), s_svc.get(s.code, []), targets,
                         as_of)
                for s in branch.services]
    for row in services:
        row.group = unit_of[row.key]
    v_unit = by(visits, lambda v: unit_of.get(v.service))
    s_unit = by(segments, lambda s: unit_of.get(s.service))
    units = [make_row(u.code, u.name.model_dump(), v_unit.get(u.code, []), s_unit.get(u.code, []), targets,
                      as_of)
             for u in branch.units]
    total = make_row("total", {"fa": "جمع", "en": "Total"}, visits, segments, targets, as_of)

    # Counters and clerks: work figures only, plus "called" = calls to that counter.
    s_win = by(segments, lambda s: s.counter)
    counters = []
    for c in branch.counters:
        row = make_row(str(c.number), c.name.model_dump(), [], s_win.get(c.number, []), targets)
        row.called = len(s_win.get(c.number, []))
        counters.append(row)
    clerks = []
    for clerk, segs in sorted(by(segments, lambda s: s.clerk or "").items()):
        row = make_row(clerk or "-", {"fa": clerk or "-", "en": clerk or "-"}, [], segs, targets)
        row.called = len(segs)
        clerks.append(row)

    arrivals = by(visits, lambda v: v.issued.astimezone(tz).hour)
    served = by([s for s in segments if s.end_kind == "done"], lambda s: s.end.astimezone(tz).hour)
    hours = sorted(set(arrivals) | set(served))
    hourly = [{"hour": h, "arrivals": len(arrivals.get(h, [])), "served": len(served.get(h, []))}
              for h in range(hours[0], hours[-1] + 1)] if hours else []

    v_day = by(visits, lambda v: v.issued.astimezone(tz).date())
    s_day = by(segments, lambda s: s.called.astimezone(tz).date())
    daily = []
    for day in period.days():
        row = make_row(day.isoformat(), {"fa": "", "en": day.isoformat()}, v_day.get(day, []), s_day.get(day, []),
                       targets, as_of)
        jalali = jdatetime.date.fromgregorian(date=day)
        daily.append({"date": day.isoformat(), "jalali": f"{jalali.year}-{jalali.month:02d}-{jalali.day:02d}",
                      "visitors": row.visitors, "served": row.served,
                      "mean_wait": row.mean_wait, "within_target_pct": row.within_target_pct})
    return Report(period, branch.branch.name.model_dump(), services, units, total, counters, clerks, hourly, daily)

