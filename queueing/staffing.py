"""How many counters each hour needs (D3: "so that long queues do not form").

For each hour of a day profile: the number of open counters needed so that a target share
of visitors (default 85 %) is called within their sub-service's target wait, by Erlang C
with the Allen–Cunneen correction for service-time spread, checked against square-root
staffing (Halfin–Whitt); and the expected wait with the counters the branch has now.
The figures assume one pooled line (counters cross-trained enough to pool); the simulator
shows how close the counters' real services come.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from navbat.queueing.erlang import allen_cunneen_wait, prob_wait_within, sqrt_staffing
from navbat.queueing.model import Rules
from navbat.queueing.profiles import DayProfile


@dataclass(frozen=True)
class HourAdvice:
    hour: str  # "09:30-10:30", branch time
    arrivals_per_hour: float
    load_erlangs: float  # counters' worth of work arriving
    counters_needed: int  # Erlang C (Allen–Cunneen): smallest count meeting the target share
    counters_sqrt_rule: int  # square-root staffing, as a check
    expected_wait_min: float | None  # mean wait with `counters_now` (None: they cannot keep up)
    within_target_pct: float  # share called within target with `counters_now`


def share_within_target(counters: int, profile: DayProfile, hour: int, rules: Rules) -> float:
    """Share of the hour's visitors called within their sub-service's target wait (pooled line)."""
    mean, cs2 = profile.job_moments()
    load = profile.rate(hour) / 60 * mean
    return sum(p * prob_wait_within(counters, load, mean, rules.target(s), cs2)
               for s, p in profile.service_mix.items())


def staffing_advice(profile: DayProfile, rules: Rules, counters_now: int, share: float = 0.85,
                    most: int = 200) -> list[HourAdvice]:
    """Advice per hour of `profile` for reaching `share` called within target."""
    if not 0 < share < 1:
        raise ValueError("the target share must be between 0 and 1")
    mean, cs2 = profile.job_moments()
    typical_target = sum(p * rules.target(s) for s, p in profile.service_mix.items())
    out = []
    for h in range(len(profile.hours)):
        rate = profile.rate(h)
        load = rate / 60 * mean
        needed = next((c for c in range(1, most + 1) if share_within_target(c, profile, h, rules) >= share), most)
        wait = allen_cunneen_wait(counters_now, load, mean, cs2) if counters_now > load else None
        start = profile.open_minute + 60 * h
        out.append(HourAdvice(
            hour=f"{start // 60:02d}:{start % 60:02d}-{(start + 60) // 60:02d}:{(start + 60) % 60:02d}",
            arrivals_per_hour=round(rate, 1),
            load_erlangs=round(load, 2),
            counters_needed=needed,
            counters_sqrt_rule=sqrt_staffing(load, mean, typical_target, share, cs2),
            expected_wait_min=None if wait is None else round(wait, 1),
            within_target_pct=round(100 * share_within_target(counters_now, profile, h, rules), 1),
        ))
    return out


def advice_json(advice: list[HourAdvice], counters_now: int, share: float) -> dict[str, Any]:
    return {"target_share": share, "counters_now": counters_now, "hours": [asdict(a) for a in advice]}
