"""How often the printed wait held (issue 24): per sub-service, the share of visitors called inside
the range they were promised, and the mean error of the promised estimate.

Counted from the log, once: each ticket's `ticket.promised` (server/floor/promises.py: the range on its
slip, at the moment it was printed) against its first call that stood (a call taken back is no
call: server/reports/visits.py). A visitor still waiting past the top of their range counts as a
promise missed, as in the in-target share; one who left before being called is not judged.
The range is judged as printed: whole minutes, the low end rounded down and the high end up.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.server.floor.times import iso
from navbat.server.reports.visits import Visit


@dataclass(frozen=True)
class Promise:
    at: dt.datetime
    low: float
    high: float
    minutes: float


def promises_of(db: sqlite_utils.Database, start: dt.datetime, end: dt.datetime) -> dict[int, Promise]:
    """Each ticket's promise, made in [start, end) (the first one, should a log hold two)."""
    rows = db.execute("SELECT ticket_id, at, json_extract(data, '$.low'), json_extract(data, '$.high'), "
                      "json_extract(data, '$.minutes') FROM events WHERE type = ? AND at >= ? AND at < ? "
                      "ORDER BY id", [E.TICKET_PROMISED, iso(start), iso(end)])
    out: dict[int, Promise] = {}
    for ticket, at, low, high, minutes in rows:
        if ticket not in out and low is not None and high is not None:
            out[ticket] = Promise(dt.datetime.fromisoformat(at), float(low), float(high),
                                  float(minutes if minutes is not None else (low + high) / 2))
    return out


def judge(promise: Promise, called: dt.datetime | None, as_of: dt.datetime) -> tuple[bool, float | None] | None:
    """(called inside the printed range, error in minutes of the estimate) — the error only once
    called; None when not judged yet (still inside its range, uncalled)."""
    low, high = max(0, math.floor(promise.low)), math.ceil(promise.high)
    if called is None:
        waited = (as_of - promise.at).total_seconds() / 60
        return (False, None) if waited > high else None
    waited = (called - promise.at).total_seconds() / 60
    return low <= waited <= high, waited - promise.minutes


Verdict = tuple[bool, float | None]


def verdicts(visits: Iterable[Visit], promises: dict[int, Promise], as_of: dt.datetime
             ) -> tuple[dict[str, list[Verdict]], dict[str, int]]:
    """Per sub-service: the verdicts on its promises (judged ones only) and how many it made."""
    judged: dict[str, list[Verdict]] = {}
    made: dict[str, int] = {}
    for v in visits:
        p = promises.get(v.ticket)
        if p is None:
            continue
        made[v.service] = made.get(v.service, 0) + 1
        left_uncalled = v.first_call is None and v.left is not None
        verdict = None if left_uncalled else judge(p, v.first_call, as_of)
        if verdict is not None:
            judged.setdefault(v.service, []).append(verdict)
    return judged, made


def summary(key: str, label: dict[str, str], judged: list[Verdict], count: int) -> dict[str, Any]:
    """promised, judged, inside (and %), the mean error of the estimate in minutes over those called
    (positive: they waited longer than told) and its mean size."""
    inside = sum(1 for ok, _ in judged if ok)
    errors = [e for _, e in judged if e is not None]
    return {"key": key, "label": label, "promised": count, "judged": len(judged), "inside": inside,
            "inside_pct": 100.0 * inside / len(judged) if judged else None,
            "mean_error": sum(errors) / len(errors) if errors else None,
            "mean_abs_error": sum(abs(e) for e in errors) / len(errors) if errors else None}


def promise_rows(visits: Iterable[Visit], promises: dict[int, Promise], branch: Branch,
                 as_of: dt.datetime) -> list[dict[str, Any]]:
    """One row per sub-service that made promises, then the total."""
    judged, made = verdicts(visits, promises, as_of)
    out = [summary(s.code, s.name.model_dump(), judged.get(s.code, []), made[s.code])
           for s in branch.services if made.get(s.code)]
    everything = [x for xs in judged.values() for x in xs]
    out.append(summary("total", {"fa": "جمع", "en": "Total"}, everything, sum(made.values())))
    return out
