"""Per sub-service and per unit: how many wait, how long a newcomer waits, and why there is
no honest number when there is none. Derived here, once, and shipped: GET /services, every
ticket and counter event, and the `queue.changed` message after each estimate refresh carry
these, worded once (`wait_text`, in every language, by foundation/wording.py): the wall and the
phone draw those words, and no screen words a wait itself.
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
from navbat.foundation.wording import worded_wait
from navbat.server.floor.events import Event
from navbat.server.floor.projection import LOG_ONLY
from navbat.server.floor.queries import Derived, Row, serving, waiting_counts
from navbat.server.floor.times import iso

from navbat import queueing

Summary = dict[str, Any]


@dataclass(frozen=True)
class Facts:
    """What a summary is made of: waiting counts, the counters serving each sub-service, estimates."""

    waiting: dict[str, int]
    serving: dict[str, list[Row]]
    newcomers: dict[str, queueing.Estimate]
    opens_at: dt.datetime | None = None  # the day's planned opening, while it is ahead and no counter is open
    expected: dict[str, float] | None = None  # sub-service -> its expected minutes (the branch file)
    now: dt.datetime | None = None

    @classmethod
    def read(cls, db: sqlite_utils.Database, branch: Branch, newcomers: dict[str, queueing.Estimate],
             now: dt.datetime | None = None, hours: bool = False, derived: Derived | None = None) -> Facts:
        """`hours`: the hub keeps the branch's opening hours, so its planned opening means something.
        `derived`: the hub's counts and counters, read once per change (queries.Derived)."""
        # every sub-service's count, even for a few summaries: a unit's total needs them all
        counts, rows = derived.floor(db, branch) if derived is not None else (waiting_counts(db), serving(db, branch))
        opens_at = planned_opening(db, branch, now) if hours and now is not None else None
        return cls(counts, rows, newcomers, opens_at, {s.code: s.expected_minutes for s in branch.services}, now)


def planned_opening(db: sqlite_utils.Database, branch: Branch, now: dt.datetime) -> dt.datetime | None:
    """The branch's opening time today while it is still ahead and no counter has been touched
    today: then a wait is counted from it (the first counters open then), not from now."""
    span = branch.opening_span(branch.branch_day(now))
    if span is None or now >= span[0]:
        return None
    day_start = iso(dt.datetime.combine(span[0].date(), dt.time(), tzinfo=branch.tz))
    begun = db.execute("SELECT count(*) FROM counters WHERE state != 'closed' OR changed_at >= ?",
                       [day_start]).fetchone()[0]
    return None if begun else span[0]


Wait = tuple[dict[str, int] | None, str | None, str | None]  # (estimate, wait_note, opens_at)


def honest_wait(code: str, facts: Facts, est: queueing.Estimate | None, ahead: int) -> Wait:
    """(estimate, wait_note, opens_at) for a sub-service: what POST /tickets, GET /tickets/<code> and
    GET /services all say. No open counter serves it: no number (`no_open_window`), unless the day
    has not begun: then from the planned opening (`before_opening`), with `ahead` visitors to serve
    first at the counters planned for it."""
    rows = facts.serving.get(code, [])
    if any(r["state"] == "open" for r in rows):
        return (estimate_json(est) if est is not None else None), None, None
    if rows and facts.opens_at is not None and facts.now is not None:
        until = max(0, math.ceil((facts.opens_at - facts.now).total_seconds() / 60))
        per = (facts.expected or {}).get(code) or 0
        queue = math.ceil(ahead * per / len(rows))  # those ahead, shared by the counters planned for it
        return ({"minutes": until + queue, "low": until + queue, "high": until + queue},
                "before_opening", facts.opens_at.isoformat(timespec="minutes"))
    return None, "no_open_window", None


def estimate_json(est: queueing.Estimate) -> dict[str, int]:
    return {"minutes": round(est.minutes), "low": round(est.low), "high": round(est.high)}


def _note(served_today: bool, open_counters: int, estimate: dict[str, int] | None) -> str | None:
    """Why a summary shows no number, or that the number is nothing: not_served | not_open | no_wait."""
    if not served_today:
        return "not_served"
    if not open_counters:
        return "not_open"
    if estimate is not None and estimate["high"] <= 0:
        return "no_wait"
    return None


def service_summary(code: str, unit: str, facts: Facts) -> Summary:
    rows = facts.serving.get(code, [])
    open_counters = sum(1 for r in rows if r["state"] == "open")
    waiting = facts.waiting.get(code, 0)
    shown, wait_note, opens_at = honest_wait(code, facts, facts.newcomers.get(code), waiting)
    note = _note(bool(rows), open_counters, shown)
    out = {"code": code, "unit": unit, "waiting": waiting, "available": bool(rows),
           "open_counters": open_counters, "estimated_wait_minutes": shown["minutes"] if shown else None,
           "estimated_wait": shown, "note": note, "wait_note": wait_note, "opens_at": opens_at}
    return out | {"wait_text": worded_wait(out)}  # the words every screen shows (foundation/wording.py)


def unit_summary(unit: Any, services: list[Summary], facts: Facts) -> Summary:
    """A unit's summary from its sub-services': the range of their newcomers' waits."""
    minutes = [s["estimated_wait"]["minutes"] for s in services if s["estimated_wait"] is not None]
    open_counters = len({r["number"] for s in unit.services for r in facts.serving.get(s.code, [])
                         if r["state"] == "open"})
    estimate = {"low": min(minutes), "high": max(minutes)} if minutes else None
    note = _note(any(s["available"] for s in services), open_counters, estimate)
    opens_at = next((s["opens_at"] for s in services if s["opens_at"]), None)
    if not open_counters and opens_at is None:
        estimate = None  # nobody serves any of it now: no number on the wall either
    out = {"code": unit.code, "name": unit.name.model_dump(), "services": [s.code for s in unit.services],
           "waiting": sum(s["waiting"] for s in services), "available": any(s["available"] for s in services),
           "open_counters": open_counters, "estimated_wait": estimate, "note": note,
           "wait_note": None if open_counters else ("before_opening" if opens_at else "no_open_window"),
           "opens_at": opens_at}
    return out | {"wait_text": worded_wait(out)}


def summarise(branch: Branch, facts: Facts, services: Iterable[str] | None = None) -> dict[str, list[Summary]]:
    """{"services": [...], "units": [...]} for the given sub-services (all when None) and their units.

    A unit's summary needs all of its sub-services, so `facts` must cover them."""
    wanted = set(services) if services is not None else None
    out: dict[str, list[Summary]] = {"services": [], "units": []}
    for unit in branch.units:
        if wanted is not None and not any(s.code in wanted for s in unit.services):
            continue
        mine = [service_summary(s.code, unit.code, facts) for s in unit.services]
        out["services"] += [s for s in mine if wanted is None or s["code"] in wanted]
        out["units"].append(unit_summary(unit, mine, facts))
    return out


def touched(branch: Branch, events: list[Event]) -> set[str]:
    """The sub-services whose summaries these events may change."""
    codes: set[str] = set()
    for ev in events:
        d = ev.data
        if ev.type in LOG_ONLY:  # moves no count, no counter
            continue
        if ev.type.startswith("ticket."):
            codes.update(c for c in (d.get("service"), d.get("from_service")) if c)
        elif ev.type == E.COUNTER_CHANGED:
            cfg = branch.counter(d["counter"])
            codes.update(d.get("services") or {})
            codes.update(s.code for s in (cfg.services if cfg else []))
    return {c for c in codes if branch.service(c) is not None}


Kept = dict[str, dict[str, Summary]]  # "services"/"units" -> code -> the summary as last sent


def changes(kept: Kept, queue: dict[str, list[Summary]]) -> dict[str, dict[str, Summary]]:
    """What `queue` changes against what was sent before (`kept`, brought up to `queue`): per kind,
    code -> the fields that differ (all of them for a code not sent before). The compact form of
    the summaries a display keeps: `{"units": {"PR": {"waiting": 4}}}` instead of every field of
    every touched summary; `{}` when nothing moved."""
    out: dict[str, dict[str, Summary]] = {}
    for kind in ("services", "units"):
        sent = kept.setdefault(kind, {})
        for summary in queue.get(kind, []):
            before = sent.get(summary["code"])
            moved = {k: v for k, v in summary.items() if k != "code" and (before is None or before.get(k) != v)}
            if moved:
                out.setdefault(kind, {})[summary["code"]] = moved
                sent[summary["code"]] = summary
    return out
