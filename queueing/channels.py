"""Walk-ins, remote turns and appointments on the same simulated days (issue 18, V3).

The visitors of a busy day are drawn once (`simulate.draw_visitors`); a share of them join
from home and a share book a slot instead of walking in, chosen at random per seed, so the
walk-ins are the same people whatever the shares:

- remote: joins 15–60 minutes before they would have walked in (their place counts from
  then: `arrived_at`) and checks in when they arrive, at the time they would have come.
  Until then they are not in the pool, so the engine passes them over. A remote visitor
  who never comes (the no-show share) never checks in and costs no counter any time.
- booked: wants the slot holding the time they would have walked in and takes it if it has
  room (`appointments.slot_capacities`: the same share of the plan reserved, 15-minute
  slots), else the nearest slot with room that day; with none left they walk in instead
  (so "20 % booked" books fewer: the table counts them). They check in 0–15
  minutes before the slot, one in ten up to 10 minutes late; the engine calls them from the
  slot on (`due_at`). One who never comes never checks in.

Figures per run: walk-ins' mean wait (arrival → call), remote visitors' wait after check-in,
and the share of appointments called within 5 minutes of their slot (of their check-in, if
they came late). `navbat simulate --channels` runs 0 %, 20 % and 40 % of each over seeds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from navbat.queueing.appointments import slot_capacities, visits_per_slot
from navbat.queueing.model import Counter, Rules, WaitingTicket
from navbat.queueing.profiles import DayProfile
from navbat.queueing.simulate import DAY, Run, Visitor, draw_visitors, map_seeds

SLOT_MIN = 15
ON_TIME_MIN = 5.0
MIXES = {"walk-ins only": (0.0, 0.0), "20 % booked": (0.0, 0.2), "40 % booked": (0.0, 0.4),
         "20 % remote": (0.2, 0.0), "40 % remote": (0.4, 0.0), "20 % remote + 20 % booked": (0.2, 0.2)}


@dataclass(frozen=True)
class Visit:
    visitor: Visitor  # arrival = when they are in the hall (check-in, for remote and booked)
    channel: str  # walk_in | remote | appointment
    ticket: WaitingTicket


def assign(visitors: Sequence[Visitor], profile: DayProfile, counters: Sequence[Counter], rules: Rules,
           remote: float, booked: float, seed: int, reserve: float | None = None) -> list[Visit]:
    """The day's visits with `remote` and `booked` shares; `reserve` (default `booked`) is the
    share of each sub-service's planned capacity open to appointments."""
    rng = random.Random(seed * 7919 + 18)
    reserve = booked if reserve is None else reserve
    slots = profile.minutes // SLOT_MIN
    per_slot = {s: visits_per_slot(counters, s, SLOT_MIN, rules, profile.service_min) for s in profile.service_mix}
    free: dict[tuple[int, str], list[int]] = {}
    out: list[Visit] = []
    for v in visitors:
        u = rng.random()
        lead, early, late = rng.uniform(15, 60), rng.uniform(0, 15), rng.random() < 0.1
        slack = rng.uniform(0, 10)
        if u < remote:
            if not v.no_show:  # one who never comes never checks in
                joined = max(v.arrival // DAY * DAY, v.arrival - lead * 60)
                out.append(Visit(v, "remote", WaitingTicket(v.id, v.service, joined, v.priority)))
            continue
        if u < remote + booked:
            day = int(v.arrival // DAY)
            caps = free.setdefault((day, v.service), slot_capacities(per_slot[v.service], reserve, slots))
            wanted = int((v.arrival - day * DAY) // (SLOT_MIN * 60))
            # the nearest slot with room, later first on a tie
            slot = min((k for k in range(slots) if caps[k] > 0), key=lambda k: (abs(k - wanted), k < wanted),
                       default=None)
            if slot is not None:
                caps[slot] -= 1
                if not v.no_show:
                    due = day * DAY + slot * SLOT_MIN * 60
                    came = due + (slack if late else -early) * 60
                    came = max(came, day * DAY)
                    out.append(Visit(replace(v, arrival=came), "appointment",
                                     WaitingTicket(v.id, v.service, came, v.priority, due_at=due)))
                continue
        out.append(Visit(v, "walk_in", WaitingTicket(v.id, v.service, v.arrival, v.priority)))
    out.sort(key=lambda x: (x.visitor.arrival, x.visitor.id))
    return out


class _ChannelRun(Run):
    """The simulator's run with each visit's own ticket: a remote turn's place from joining,
    an appointment's slot."""

    def __init__(self, visits: Sequence[Visit], counters: Sequence[Counter], rules: Rules,
                 profile: DayProfile) -> None:
        super().__init__("navbat", [v.visitor for v in visits], counters, rules, profile, estimate=False)
        self.tickets = {v.visitor.id: v.ticket for v in visits}

    def _arrive(self, v: Visitor) -> None:
        self.pool.add(self.tickets[v.id])
        candidates = sorted((n for n in self.idle if self.counters[n].serves(v.service)),
                            key=lambda n: (-self.counters[n].services[v.service], self.idle[n], n))
        for n in candidates:
            if self._call(n, v.arrival):
                break


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs) if xs else math.nan


def run_mix(visitors: Sequence[Visitor], profile: DayProfile, counters: Sequence[Counter], rules: Rules,
            remote: float, booked: float, seed: int) -> dict[str, Any]:
    """One mix on one set of visitors: the figures of the channel table."""
    visits = assign(visitors, profile, counters, rules, remote, booked, seed)
    run = _ChannelRun(visits, counters, rules, profile)
    outcomes = {o.visitor.id: o for o in run.run()}
    waits: dict[str, list[float]] = {"walk_in": [], "remote": [], "appointment": []}
    on_time = 0
    for visit in visits:
        o = outcomes[visit.visitor.id]
        if visit.visitor.no_show:
            continue
        if visit.channel == "appointment":
            due = visit.ticket.due_at or 0.0
            late = (o.called_at - max(due, visit.visitor.arrival)) / 60
            on_time += late <= ON_TIME_MIN
            waits["appointment"].append(late)
        else:
            waits[visit.channel].append((o.called_at - visit.visitor.arrival) / 60)
    booked_n = len(waits["appointment"])
    return {
        "walk_ins": len(waits["walk_in"]), "walk_in_mean_wait_min": round(_mean(waits["walk_in"]), 2),
        "remote": len(waits["remote"]), "remote_wait_after_check_in_min": _round(_mean(waits["remote"])),
        "appointments": booked_n,
        "appointments_on_time_pct": round(100 * on_time / booked_n, 1) if booked_n else None,
        "appointment_mean_late_min": _round(_mean(waits["appointment"])),
        "utilisation": round(run.busy_minutes / (len(counters) * profile.minutes * (visitors[-1].arrival // DAY + 1)),
                             3) if visitors else 0.0,
    }


def _round(x: float) -> float | None:
    return None if math.isnan(x) else round(x, 2)


def channel_table(branch: Any, seed: int = 1, days: int = 5, utilisation: float = 0.85,
                  mixes: dict[str, tuple[float, float]] | None = None, backups: int | None = 2) -> dict[str, Any]:
    """Every mix on the same visitors of one seed (the dict `navbat simulate --channels --json` prints)."""
    from navbat.queueing.branch import counters_from_branch, rules_from_branch
    from navbat.queueing.profiles import busy_day

    rules = rules_from_branch(branch)
    counters = counters_from_branch(branch, backups)
    profile = busy_day(branch, rules, utilisation)
    visitors = draw_visitors(profile, days, seed)
    rows = {name: run_mix(visitors, profile, counters, rules, r, b, seed) for name, (r, b) in (mixes or MIXES).items()}
    return {"mixes": rows, "run": {"branch": branch.branch.id, "seed": seed, "days": days,
                                   "counters": len(counters), "utilisation_target": utilisation,
                                   "slot_min": SLOT_MIN}}


def _one(job: tuple[Any, int, dict[str, Any]]) -> dict[str, Any]:
    branch, seed, kwargs = job
    return channel_table(branch, seed, **kwargs)


def channel_seeds(branch: Any, seeds: Sequence[int], workers: int = 1, **kwargs: Any) -> dict[str, Any]:
    """channel_table over several seeds: every figure's mean with its 95 % half-width (`ci95`),
    and per seed the walk-ins' wait against walk-ins only (`walk_in_wait_ratio`)."""
    from navbat.queueing.figures import half_width

    results = map_seeds(_one, branch, seeds, workers, kwargs)
    base = next(iter(results[0]["mixes"]))
    mixes: dict[str, Any] = {}
    for name in results[0]["mixes"]:
        runs = [dict(r["mixes"][name]) for r in results]
        for run, r in zip(runs, results, strict=True):
            run["walk_in_wait_ratio"] = round(run["walk_in_mean_wait_min"]
                                              / max(r["mixes"][base]["walk_in_mean_wait_min"], 1e-9), 3)
        figures: dict[str, Any] = {}
        ci: dict[str, float] = {}
        for key in runs[0]:
            values = [m[key] for m in runs if m[key] is not None]
            figures[key] = round(sum(values) / len(values), 3) if values else None
            if len(values) > 1:
                ci[key] = round(half_width(values), 3)
        figures["ci95"] = ci
        mixes[name] = figures
    return {"mixes": mixes, "baseline": base, "seeds": list(seeds),
            "run": {**results[0]["run"], "seed": seeds[0]}}
