"""How many appointments each slot of a day can take: the share of the planned capacity the
branch head reserves for them (issue 18, V3). The hub's booking and the simulator share it.

The plan gives, per sub-service, the visitors its counters can serve in a slot (counter
minutes ÷ expected minutes per visit). The reserved share of that is split over the day's
slots by cumulative rounding, so a sub-service that can take 0.3 appointments a slot still
gets one about every third slot and the day's total is the share, rounded, never more.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from navbat.queueing.model import Counter, Rules


def visits_per_slot(counters: Iterable[Counter], service: str, slot_min: float, rules: Rules,
                    service_min: dict[str, float] | None = None) -> float:
    """Visits of `service` the counters can serve in one slot: each counter's time is split
    evenly over the sub-services it serves as its own (weight 1); backups are not counted
    (they are the walk-ins' slack)."""
    minutes = (service_min or {}).get(service) or rules.expected(service)
    total = 0.0
    for c in counters:
        own = [s for s, w in c.services.items() if w >= 1.0]
        if service in own:
            total += slot_min / len(own) / minutes
    return total


def slot_capacities(per_slot: float, share: float, slots: int) -> list[int]:
    """Appointments each of `slots` slots takes when `share` of `per_slot` visits is reserved."""
    if slots <= 0 or share <= 0 or per_slot <= 0:
        return [0] * max(0, slots)
    reserved = per_slot * min(share, 1.0)
    out, given = [], 0
    for k in range(1, slots + 1):
        # the slots up to k take floor(k × reserved) together (a tiny epsilon against 0.1 + 0.2)
        upto = math.floor(k * reserved + 1e-9)
        out.append(upto - given)
        given = upto
    return out
