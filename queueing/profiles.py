"""Day profiles for the simulator and the staffing advice: who arrives when, for what.

The demo branch's busy day is modelled on a social-security service desk: visitors start
queueing at opening, the peak is mid-morning (09:30–11:30) and it eases off towards the
end of the day; pension visitors are much more often elderly (V2). Branches other than
the demo get a generic profile: each unit's load in proportion to its primary counters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from navbat.queueing.branch import counters_from_branch, unit_of_services
from navbat.queueing.model import Rules

# Relative arrival intensity per hour from opening (mean 1.0): rising to a mid-morning peak.
BUSY_DAY_HOURS = (0.90, 1.03, 1.09, 1.07, 1.02, 0.98, 0.91)

# Demo branch: share of the desk's workload per unit, and visitors per sub-service within it.
_DEMO_UNIT_LOAD = {"premium": 0.24, "insured": 0.26, "registration": 0.14, "pension": 0.24, "finance": 0.12}
_DEMO_VISITORS = {
    "PR1": 3, "PR2": 4, "PR3": 2,
    "IN1": 4, "IN2": 2, "IN3": 3, "IN4": 1,
    "RG1": 3, "RG2": 4, "RG3": 1,
    "PN1": 3, "PN2": 2, "PN3": 1, "PN4": 2,
    "FN1": 3, "FN2": 3, "FN3": 2,
}
# The configured expected minutes are a desk's guess; the "true" means in the simulation
# differ a little, so the learned service times have something to learn.
_DEMO_TRUE_FACTOR = {"PN1": 1.15, "IN1": 0.9, "RG2": 1.1, "PR3": 0.9}
_ELDERLY_UNITS = {"pension": 0.30}  # share of elderly visitors; 0.06 elsewhere


@dataclass(frozen=True)
class DayProfile:
    name: str
    open_minute: int  # minutes after midnight, branch time
    hours: tuple[float, ...]  # relative arrival intensity per hour from opening
    visitors_per_hour: float  # mean arrivals per hour (before the hourly shape)
    service_mix: dict[str, float]  # share of visitors per sub-service (sums to 1)
    priority_mix: dict[str, dict[str, float]]  # sub-service -> class -> share of its visitors
    service_min: dict[str, float]  # true mean service minutes in the simulation
    service_cv: float = 0.6  # log-normal spread of service times (sd / mean)
    no_show: float = 0.05  # share of tickets whose holder is gone when called
    no_show_min: float = 1.0  # minutes a counter loses calling and recalling a no-show
    record_error: float = 0.02  # share of recorded durations that are wrong (forgotten "done")
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def minutes(self) -> int:
        return 60 * len(self.hours)

    def rate(self, hour: int) -> float:
        """Arrivals per hour in hour `hour` from opening."""
        return self.visitors_per_hour * self.hours[hour]

    def work_per_visitor(self) -> float:
        """Mean counter minutes per ticket, no-shows included."""
        mean = sum(p * self.service_min[s] for s, p in self.service_mix.items())
        return (1 - self.no_show) * mean + self.no_show * self.no_show_min

    def job_moments(self) -> tuple[float, float]:
        """Mean and squared coefficient of variation of counter minutes per ticket."""
        m1 = self.work_per_visitor()
        served = sum(p * self.service_min[s] ** 2 for s, p in self.service_mix.items()) * (1 + self.service_cv**2)
        m2 = (1 - self.no_show) * served + self.no_show * self.no_show_min**2
        return m1, m2 / (m1 * m1) - 1

    def scaled(self, utilisation: float, counters: int) -> DayProfile:
        """The same day with arrivals scaled so the counters are busy `utilisation` of the day."""
        return replace(self, visitors_per_hour=utilisation * counters * 60 / self.work_per_visitor())


def _opening(branch: Any) -> tuple[int, int]:
    """Opening minute and whole hours of the branch's longest day (08:00, 6 hours if unknown)."""
    spans = []
    for span in branch.branch.opening_hours.values():
        start, end = (int(x[:2]) * 60 + int(x[3:]) for x in span.split("-"))
        spans.append((end - start, start))
    if not spans:
        return 8 * 60, 6
    length, start = max(spans)
    return start, max(1, math.ceil(length / 60))


def busy_day(branch: Any, rules: Rules, utilisation: float = 0.85) -> DayProfile:
    """The busy-day profile of `branch` at the given counter utilisation."""
    codes = [s.code for s in branch.services if getattr(s, "enabled", True)]
    unit_of = unit_of_services(branch)
    demo = set(codes) == set(_DEMO_VISITORS) and set(unit_of.values()) == set(_DEMO_UNIT_LOAD)
    true_min = {c: rules.expected(c) * (_DEMO_TRUE_FACTOR.get(c, 1.0) if demo else 1.0) for c in codes}
    if demo:
        unit_load, visitors = _DEMO_UNIT_LOAD, _DEMO_VISITORS
    else:  # each unit's load in proportion to its primary counters, its sub-services equally popular
        primaries: dict[str, float] = {}
        for counter in counters_from_branch(branch):
            for code, weight in counter.services.items():
                if weight >= 1.0:
                    primaries[unit_of[code]] = primaries.get(unit_of[code], 0.0) + 1 / len(counter.services)
        total = sum(primaries.values()) or 1.0
        unit_load = {u: primaries.get(u, 0.0) / total for u in set(unit_of.values())}
        if not any(unit_load.values()):
            unit_load = {u: 1.0 for u in unit_load}
        visitors = {c: 1 for c in codes}
    # visitors per sub-service: unit load split by visitor weight, converted from minutes to visitors
    mix: dict[str, float] = {}
    for unit, load in unit_load.items():
        mine = [c for c in codes if unit_of[c] == unit]
        weight = sum(visitors[c] * true_min[c] for c in mine)
        for c in mine:
            mix[c] = load * visitors[c] / weight if weight else 0.0
    total = sum(mix.values())
    mix = {c: v / total for c, v in mix.items() if v > 0}
    classes = set(rules.priority_weights)
    priority: dict[str, dict[str, float]] = {}
    for c in mix:
        shares = {"elderly": _ELDERLY_UNITS.get(unit_of[c], 0.06), "disability": 0.03, "veteran": 0.02}
        priority[c] = {k: v for k, v in shares.items() if k in classes}
    open_minute, n_hours = _opening(branch)
    hours = BUSY_DAY_HOURS if n_hours == len(BUSY_DAY_HOURS) else (1.0,) * n_hours
    base = DayProfile("busy day" if demo else "generic day", open_minute, hours, 1.0, mix, priority, true_min,
                      service_cv=rules.service_cv)
    return base.scaled(utilisation, len(branch.counters))
