"""Report figures of requests answered later (F3): the share answered on time and the mean
working days to answer, per sub-service, unit and in total.

A pure function of `request.*` events (each carries its sub-service and unit), so the province
and headquarters (F4) can fold the events of many branches through the same function.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.server.floor.times import iso


def _empty() -> dict[str, Any]:
    return {"opened": 0, "answered": 0, "answered_on_time": 0, "on_time_pct": None, "mean_days_to_answer": None,
            "_days": []}


def request_figures(events: Iterable[dict[str, Any]], start: dt.date, end: dt.date) -> dict[str, Any]:
    """Requests opened, and answered, in the branch days [start, end): `events` are dicts with
    `type`, `branch_day` (the day of the event, branch time) and `data`. An answer counts in the
    period it was given in; `on_time_pct` is of the answers, `mean_days_to_answer` in working days."""
    rows: dict[str, dict[str, dict[str, Any]]] = {"services": {}, "units": {}}
    total = _empty()
    for ev in events:
        day, d = ev["branch_day"], ev["data"]
        if not start <= day < end or ev["type"] not in (E.REQUEST_OPENED, E.REQUEST_ANSWERED):
            continue
        for row in (rows["services"].setdefault(d["service"], _empty()),
                    rows["units"].setdefault(d.get("unit") or "-", _empty()), total):
            if ev["type"] == E.REQUEST_OPENED:
                row["opened"] += 1
            else:
                row["answered"] += 1
                row["answered_on_time"] += bool(d["on_time"])
                row["_days"].append(d["days_taken"])
    for row in [*rows["services"].values(), *rows["units"].values(), total]:
        days = row.pop("_days")
        if row["answered"]:
            row["on_time_pct"] = 100.0 * row["answered_on_time"] / row["answered"]
            row["mean_days_to_answer"] = sum(days) / len(days)
    return {"services": [{"code": k, **v} for k, v in sorted(rows["services"].items())],
            "units": [{"code": k, **v} for k, v in sorted(rows["units"].items())], "total": total}


def load_events(db: sqlite_utils.Database, start_utc: dt.datetime, end_utc: dt.datetime,
                tz: dt.tzinfo) -> list[dict[str, Any]]:
    """The period's request events from one branch's log, with their branch day."""
    out = []
    for at, type_, data in db.execute("SELECT at, type, data FROM events WHERE type IN (?, ?) AND at >= ? AND at < ? "
                                      "ORDER BY id", [E.REQUEST_OPENED, E.REQUEST_ANSWERED, iso(start_utc),
                                                      iso(end_utc)]):
        out.append({"type": type_, "branch_day": dt.datetime.fromisoformat(at).astimezone(tz).date(),
                    "data": json.loads(data)})
    return out
