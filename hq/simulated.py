"""Simulated branches' events, in the hub's own shapes: for the load benchmark, `make hq-demo` and
the dashboard's screenshots. The queueing engine's simulator (draw_visitors, run_policy: the hub's
call rule on the branch file's counters) makes the days; here they become the events the floor
writes (ticket.issued, ticket.called, ticket.done or ticket.no_show) and the ratings visitors give.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

from navbat.foundation import event_types as E
from navbat.queueing.branch import counters_from_branch, rules_from_branch
from navbat.queueing.profiles import busy_day
from navbat.queueing.simulate import draw_visitors, run_policy

COMMENTS = ("صف خیلی طولانی بود", "مدارک لازم را زودتر اعلام کنید", "کارمند دیر آمد", "سامانه قطع بود")


def simulated_day(branch: Any, visitors_per_day: float, seed: int) -> list[tuple[Any, float]]:
    """(visitor, called_at) pairs of one day of `branch` (seconds from opening), with about
    `visitors_per_day` visitors, on as many counters as that load keeps about 75 % busy."""
    rules = rules_from_branch(branch)
    profile = busy_day(branch, rules)
    per_hour = visitors_per_day / sum(profile.hours)
    counters = counters_from_branch(branch, 2)
    needed = max(1, min(len(counters), math.ceil(per_hour * profile.work_per_visitor() / 60 / 0.75)))
    profile = replace(profile, visitors_per_hour=per_hour)
    visitors = draw_visitors(profile, 1, seed)
    outcomes, _ = run_policy("navbat", visitors, counters[:needed], rules, profile, estimate=False)
    return [(o.visitor, o.called_at) for o in outcomes], profile.open_minute


def day_events(branch: Any, day: dt.date, day_sim: tuple[list[tuple[Any, float]], int], first_id: int,
               first_ticket: int, seed: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The day's events (ids from first_id, in time order) and its ratings, as the shipper sends them."""
    outcomes, open_minute = day_sim
    tz = ZoneInfo(branch.branch.timezone)
    opening = dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(minutes=open_minute)
    rng = random.Random(seed)
    raw: list[tuple[float, int, str, dict[str, Any]]] = []
    ratings = []
    for i, (v, called) in enumerate(outcomes):
        ticket = first_ticket + i
        base = {"ticket": ticket, "number": f"{v.service[0]}-{i + 1:03d}", "service": v.service}
        raw.append((v.arrival, ticket, E.TICKET_ISSUED, {**base, "priority": v.priority, "seq": i + 1}))
        if math.isnan(called):
            continue
        counter = 1 + v.id % 8
        raw.append((called, ticket, E.TICKET_CALLED, {**base, "counter": counter, "clerk": f"clerk{counter}"}))
        if v.no_show:
            raw.append((called + 60, ticket, E.TICKET_NO_SHOW, {**base, "counter": counter}))
            continue
        end = called + 60 * v.recorded
        raw.append((end, ticket, E.TICKET_DONE, {**base, "counter": counter, "outcome": "served"}))
        if rng.random() < 0.3:
            score = rng.choices((1, 2, 3, 4, 5), (5, 7, 10, 35, 43))[0]
            ratings.append({"ticket": ticket, "score": score, "source": "tablet", "counter": counter,
                            "clerk": f"clerk{counter}", "service": v.service,
                            "comment": rng.choice(COMMENTS) if score <= 2 and rng.random() < 0.5 else None,
                            "at": _at(opening, end + 30)})
    used = sorted({d["counter"] for _, _, t, d in raw if t == E.TICKET_CALLED})
    if used:  # the counters open before the first visitor and close after the last, as clerks do
        close = max(e[0] for e in raw) + 300
        for n in used:
            raw.append((-600.0, 0, E.COUNTER_CHANGED, {"counter": n, "state": "open", "clerk": f"clerk{n}"}))
            raw.append((close, 0, E.COUNTER_CHANGED, {"counter": n, "state": "closed", "clerk": None}))
    raw.sort(key=lambda e: (e[0], e[1]))
    events = [{"id": first_id + n, "at": _at(opening, s), "type": type_, "actor": "sim", "ticket_id": ticket or None,
               "counter": data.get("counter"), "data": data} for n, (s, ticket, type_, data) in enumerate(raw)]
    return events, ratings


def _at(opening: dt.datetime, seconds: float) -> str:
    return (opening + dt.timedelta(seconds=seconds)).astimezone(dt.UTC).isoformat(timespec="microseconds")
