"""Staffing for the rest of the day (D3) and the branch head's what-if, from the engine.

- `advice`: the engine's staffing advice (queueing.staffing) for each remaining hour: the
  open counters needed so that 85 % of visitors are called within their target (Erlang C,
  square-root staffing as a check) and the expected wait with the counters open now; beside
  them, the calibrated wait a newcomer is told now per sub-service (the hub's last refresh).
  Arrivals per hour come from the branch's own last four weeks when it has at least
  three days of history, else from the engine's busy-day profile; either is scaled to
  today's pace once 20 visitors have come.
- `what_if`: the same live state twice, as is and with the head's changes (a counter's
  sub-services, opening or closing it): the engine's forward replay (estimate_floor, the call
  the hub's refresh makes, so the same calibrated ranges) for the people waiting now and a
  newcomer per sub-service, and the
  engine's simulator (queueing.simulate.run_policy) for the rest of the day on the same
  random visitors.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Any

from navbat.queueing.profiles import DayProfile, busy_day
from navbat.queueing.staffing import staffing_advice
from navbat.server.floor.refusals import Invalid, NotFound
from navbat.server.floor.summaries import estimate_json
from navbat.server.floor.times import iso
from navbat.server.hub import Hub

from navbat import queueing

TARGET_SHARE = 0.85
HISTORY_DAYS = 28
MIN_HISTORY_DAYS = 3


def day_profile(hub: Hub) -> tuple[DayProfile, str]:
    """Arrivals per hour and sub-service mix: the branch's history, or the engine's busy day."""
    model = busy_day(hub.branch, hub.estimates.rules)
    tz = hub.branch.tz
    today = hub.branch.branch_day(hub.clock())
    since = iso(dt.datetime.combine(today - dt.timedelta(days=HISTORY_DAYS), dt.time(0), tzinfo=tz))
    until = iso(dt.datetime.combine(today, dt.time(0), tzinfo=tz))
    with hub.read() as db:
        rows = db.execute("SELECT issued_at, first_service, priority FROM tickets "
                          "WHERE issued_at >= ? AND issued_at < ?", [since, until]).fetchall()
        learned = hub.estimates.service_minutes(db)
    days = {dt.datetime.fromisoformat(r[0]).astimezone(tz).date() for r in rows}
    if len(days) < MIN_HISTORY_DAYS:
        return model, "model"
    n_hours = len(model.hours)
    per_hour = [0] * n_hours
    mix: dict[str, float] = {}
    for issued, service, _ in rows:
        local = dt.datetime.fromisoformat(issued).astimezone(tz)
        h = (local.hour * 60 + local.minute - model.open_minute) // 60
        if 0 <= h < n_hours:
            per_hour[h] += 1
        mix[service] = mix.get(service, 0) + 1
    mean = sum(per_hour) / n_hours / len(days)
    if mean <= 0:
        return model, "model"
    hours = tuple(c / len(days) / mean for c in per_hour)
    total = sum(mix.values())
    service_min = {c: learned.get(c, hub.estimates.rules.expected(c)) for c in mix}
    profile = dataclasses.replace(model, name="history", hours=hours, visitors_per_hour=mean,
                                  service_mix={c: v / total for c, v in mix.items()},
                                  priority_mix={c: model.priority_mix.get(c, {}) for c in mix},
                                  service_min=service_min)
    return profile, "history"


MIN_TODAY = 20  # visitors today before the day's own pace is trusted


def scale_to_today(hub: Hub, profile: DayProfile) -> tuple[DayProfile, float | None]:
    """Today's arrivals so far against what the profile expected by now: a quiet or a rush day
    shifts the rest of the day the same way (once MIN_TODAY visitors have come)."""
    now = hub.clock().astimezone(hub.branch.tz)
    opened = now.replace(hour=profile.open_minute // 60, minute=profile.open_minute % 60, second=0, microsecond=0)
    elapsed_h = (now - opened).total_seconds() / 3600
    if elapsed_h <= 0.25 or elapsed_h >= len(profile.hours):
        return profile, None
    expected = sum(profile.rate(h) * min(1.0, max(0.0, elapsed_h - h)) for h in range(len(profile.hours)))
    with hub.read() as db:
        seen = db.execute("SELECT count(*) FROM tickets WHERE issued_at >= ? AND issued_at <= ?",
                          [iso(opened), iso(now)]).fetchone()[0]
    if seen < MIN_TODAY or expected <= 0:
        return profile, None
    factor = seen / expected
    return dataclasses.replace(profile, visitors_per_hour=profile.visitors_per_hour * factor), factor


def _hour_index(hub: Hub, profile: DayProfile) -> int:
    """Hours since opening; after closing (or on a demo at night) the whole day ahead, from 0."""
    local = hub.clock().astimezone(hub.branch.tz)
    h = (local.hour * 60 + local.minute - profile.open_minute) // 60
    return h if 0 <= h < len(profile.hours) else 0


def advice(hub: Hub, share: float = TARGET_SHARE) -> dict[str, Any]:
    """The engine's staffing advice (queueing.staffing) for the hours left today."""
    profile, source = day_profile(hub)
    profile, factor = scale_to_today(hub, profile)
    with hub.read() as db:
        open_now = sum(1 for c in hub.estimates.queue_state(db).counters if c.state == "open")
    hours = staffing_advice(profile, hub.estimates.rules, open_now, share)[_hour_index(hub, profile):]
    mean, _ = profile.job_moments()
    target = sum(p * hub.estimates.rules.target(s) for s, p in profile.service_mix.items())
    # beside the pooled-line figures, what visitors are told now: the hub's own calibrated estimates
    waits_now = {code: estimate_json(e) for code, e in hub.estimates.latest()[1].items()}
    return {"source": source, "scaled_to_today": round(factor, 2) if factor else None, "share": share,
            "newcomer_waits_now": waits_now,
            "target_wait_minutes": round(target, 1), "minutes_per_visitor": round(mean, 1),
            "counters": len(hub.branch.counters),
            "hours": [{"hour": h.hour, "arrivals": h.arrivals_per_hour, "load": h.load_erlangs,
                       "counters_needed": h.counters_needed, "sqrt_staffing": h.counters_sqrt_rule,
                       "open_now": open_now,
                       "expected_wait_minutes": h.expected_wait_min, "within_target_pct": h.within_target_pct}
                      for h in hours]}


def _apply_changes(hub: Hub, counters: list[queueing.Counter], changes: Any) -> list[queueing.Counter]:
    if not isinstance(changes, list) or not changes:
        raise Invalid("bad_changes", 'changes must be a list like [{"counter": 4, "services": ["PN1"]}]')
    by_number = {w.number: w for w in counters}
    for change in changes:
        if not isinstance(change, dict) or not isinstance(change.get("counter"), int):
            raise Invalid("bad_changes", "each change needs a counter number: {\"counter\": 4, ...}")
        number = change["counter"]
        if number not in by_number:
            raise NotFound("unknown_counter", f"no counter {number}")
        w = by_number[number]
        services = change.get("services")
        if services is not None:
            if isinstance(services, list) and all(isinstance(s, str) for s in services):
                services = {s: 1.0 for s in services}
            if not isinstance(services, dict) or not services:
                raise Invalid("bad_services", 'services must be a list of codes or {"code": weight}')
            for code, weight in services.items():
                if hub.branch.service(code) is None:
                    raise Invalid("unknown_service", f'unknown service "{code}"')
                if not isinstance(weight, int | float) or not 0 < weight <= 1:
                    raise Invalid("bad_weight", f"{code}: weight must be in (0, 1]")
            w = dataclasses.replace(w, services={k: float(v) for k, v in services.items()})
        state = change.get("state")
        if state is not None:
            if state not in ("open", "closed"):
                raise Invalid("bad_state", "state must be open or closed")
            w = dataclasses.replace(w, state=state)
        by_number[number] = w
    return list(by_number.values())


def _live(hub: Hub, state: queueing.QueueState) -> dict[str, dict[str, Any]]:
    """Per sub-service: the replayed waits of those waiting now, and a newcomer's wait."""
    served = {s.code for s in hub.branch.services
              if any(w.serves(s.code) for w in state.counters if w.state != "closed")}
    # the hub's own refresh call (server/floor/estimates.py): the same calibrated ranges visitors are given
    est, newcomers = queueing.estimate_floor(state, hub.estimates.rules, sorted(served))
    out: dict[str, dict[str, Any]] = {}
    for s in hub.branch.services:
        mine = [est[t.id].minutes for t in state.waiting if t.service == s.code and t.id in est]
        newcomer = newcomers.get(s.code)
        served_now = s.code in served
        out[s.code] = {"waiting": len(mine), "mean_wait": sum(mine) / len(mine) if mine else None,
                       "max_wait": max(mine) if mine else None,
                       "newcomer_wait": round(newcomer.minutes, 1) if newcomer else None,
                       "newcomer_range": [round(newcomer.low, 1), round(newcomer.high, 1)] if newcomer else None,
                       "served": served_now}
    return out


def _rest_of_day(hub: Hub, counters: list[queueing.Counter], profile: DayProfile, seed: int) -> dict[str, Any]:
    from navbat.queueing.simulate import draw_visitors, run_policy

    start = _hour_index(hub, profile)
    rest = dataclasses.replace(profile, hours=profile.hours[start:])
    open_counters = [dataclasses.replace(w, state="open", busy_since=None, busy_service=None)
                    for w in counters if w.state == "open"]
    visitors = draw_visitors(rest, 1, seed)
    servable = [v for v in visitors if any(w.serves(v.service) for w in open_counters)]
    if not servable:
        return {"visitors": len(visitors), "unserved": len(visitors), "mean_wait": None, "p90_wait": None,
                "within_target_pct": None}
    outcomes, _ = run_policy("navbat", servable, open_counters, hub.estimates.rules, rest, estimate=False)
    waits = sorted((o.called_at - o.visitor.arrival) / 60 for o in outcomes
                   if not o.visitor.no_show and math.isfinite(o.called_at))
    within = sum(1 for o in outcomes if not o.visitor.no_show and math.isfinite(o.called_at)
                 and (o.called_at - o.visitor.arrival) / 60 <= hub.estimates.rules.target(o.visitor.service))
    return {"visitors": len(visitors), "unserved": len(visitors) - len(servable),
            "mean_wait": round(sum(waits) / len(waits), 1) if waits else None,
            "p90_wait": round(waits[max(math.ceil(0.9 * len(waits)) - 1, 0)], 1) if waits else None,
            "within_target_pct": round(100 * within / len(waits), 1) if waits else None}


def what_if(hub: Hub, changes: Any, seed: int = 1) -> dict[str, Any]:
    """Expected waits before and after the head's changes; nothing on the floor changes."""
    with hub.read() as db:
        before = hub.estimates.queue_state(db)
    after = dataclasses.replace(before, counters=_apply_changes(hub, before.counters, changes))
    now_before, now_after = _live(hub, before), _live(hub, after)
    profile, source = day_profile(hub)
    profile, factor = scale_to_today(hub, profile)
    services = []
    for s in hub.branch.services:
        b, a = now_before[s.code], now_after[s.code]
        services.append({"code": s.code, "name": s.name.model_dump(), "waiting": b["waiting"],
                         "before": {k: _r(v) for k, v in b.items() if k != "waiting"},
                         "after": {k: _r(v) for k, v in a.items() if k != "waiting"}})
    return {"changes": changes, "services": services, "profile": source,
            "scaled_to_today": round(factor, 2) if factor else None,
            "rest_of_day": {"before": _rest_of_day(hub, before.counters, profile, seed),
                            "after": _rest_of_day(hub, after.counters, profile, seed)}}


def _r(value: Any) -> Any:
    return round(value, 1) if isinstance(value, float) else value
