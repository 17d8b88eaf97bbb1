"""When each waiting visitor can expect to be called (D6), with a range that holds.

Many random futures of the floor are replayed (`queueing.replay`); each ticket's median call
time over them is the estimate (the median minimises the mean absolute error). The range is
read at the levels `Rules.range_levels`, chosen on simulated evidence so that 80 % of the
visitors who wait are called inside it (`navbat simulate` reports how many are); the
percentiles are Harrell–Davis estimates (`queueing.quantiles`), which use every replay and
so stay put from one refresh to the next. A visitor who is called at once in nearly every
future is told so (`Estimate.at_once`), not given a range of [0, 0]. The same futures count
the people the counters serving the ticket call before it: `Estimate.people_ahead`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace

from navbat.queueing.model import Estimate, QueueState, Rules, WaitingTicket
from navbat.queueing.policy import choose_next
from navbat.queueing.quantiles import hd_quantile
from navbat.queueing.replay import Arrivals, Chooser, counters_for, replay

_PROBE_ID = -(10**11)  # ids of estimate_newcomers' probes
__all__ = ["Chooser", "Forecast", "estimate_floor", "estimate_newcomers", "estimate_waits", "forecast",
           "naive_estimate", "replay"]


@dataclass(frozen=True)
class Forecast:
    """Every replay's answer for one ticket, sorted: minutes until called (inf: never) and people ahead."""

    waits: list[float]
    ahead: list[int]

    def estimate(self, rules: Rules) -> Estimate:
        lo_q, hi_q = rules.range_levels
        lo, mid, hi = _ordered(*(hd_quantile(self.waits, q) for q in (lo_q, 0.5, hi_q)))
        if self.ahead:
            a_lo, a_mid, a_hi = _ordered(*(hd_quantile(self.ahead, q) for q in (lo_q, 0.5, hi_q)))
        else:
            a_lo = a_mid = a_hi = 0.0
        return Estimate(mid, lo, hi, a_mid, a_lo, a_hi)


def _ordered(lo: float, mid: float, hi: float) -> tuple[float, float, float]:
    """low <= estimate <= high, also when rounding in the weighted sums says 9.999… against 10."""
    return min(lo, mid), mid, max(hi, mid)


def estimate_waits(state: QueueState, rules: Rules, choose: Chooser = choose_next) -> dict[int, Estimate]:
    """Minutes until each waiting ticket is called (every id in state.waiting gets an estimate).

    `choose` is the call rule being replayed (the simulator passes its baselines). If no
    open or paused counter serves a ticket's sub-service, the closed counters that serve it
    are assumed to open now (tickets are taken before the clerks sit down). The replays are
    seeded from the state, so the same state always gives the same answer.
    """
    return _estimates(state, rules, choose, frozenset())


def estimate_newcomers(state: QueueState, rules: Rules, services: Iterable[str],
                       priority: str | None = None) -> dict[str, Estimate]:
    """The wait a visitor taking a ticket now would be told, for each sub-service, in one go."""
    return estimate_floor(state, rules, services, priority)[1]


def estimate_floor(state: QueueState, rules: Rules, services: Iterable[str],
                   priority: str | None = None) -> tuple[dict[int, Estimate], dict[str, Estimate]]:
    """Every waiting ticket's estimate and a newcomer's per sub-service, from one set of replays.

    The newcomers are probes that take no counter time, so they delay nobody and one set of
    replays answers for every sub-service (the kiosk's menu, GET /api/v1/services) and for
    everyone waiting: the hub's refresh, and the head's what-if, cost one estimate, not two.
    """
    # a newcomer takes their ticket after everyone who holds one: a millisecond later, so ties go the right way
    probes = {code: WaitingTicket(_PROBE_ID - i, code, state.now + 1e-3, priority) for i, code in enumerate(services)}
    probed = replace(state, waiting=list(state.waiting) + list(probes.values()))
    found = _estimates(probed, rules, choose_next, frozenset(t.id for t in probes.values()))
    return ({t.id: found[t.id] for t in state.waiting}, {code: found[t.id] for code, t in probes.items()})


def runs_for(rules: Rules, waiting: int) -> int:
    """Replays for a hall of `waiting` tickets.

    A long hall needs fewer futures: each wait is then the sum of many services and varies
    less; this keeps the cost of a refresh about flat past 200 waiting.
    """
    runs = max(1, rules.estimate_runs)
    if waiting > 200:
        runs = max(min(runs, 8), runs * 200 // waiting)
    return runs


def forecast(state: QueueState, rules: Rules, choose: Chooser = choose_next,
             ghosts: frozenset[int] = frozenset()) -> dict[int, Forecast]:
    """Every ticket called in most futures, with all its replays (missing ones count as never)."""
    if not state.waiting:
        return {}
    rng = random.Random(hash((round(state.now), len(state.waiting), len(state.counters))))
    runs = runs_for(rules, len(state.waiting))
    waits: dict[int, list[float]] = {t.id: [] for t in state.waiting}
    ahead: dict[int, list[int]] = {t.id: [] for t in state.waiting}
    counters = counters_for(state)
    arrivals = Arrivals(state, rules, counters)
    for _ in range(runs):
        for tid, call in replay(state, rules, choose, rng, counters, arrivals, ghosts).items():
            waits[tid].append(call.minutes)
            ahead[tid].append(call.ahead)
    out = {}
    for tid, w in waits.items():
        if len(w) * 2 > runs:
            out[tid] = Forecast(sorted(w) + [math.inf] * (runs - len(w)), sorted(ahead[tid]))
    return out


def _estimates(state: QueueState, rules: Rules, choose: Chooser, ghosts: frozenset[int]) -> dict[int, Estimate]:
    found = forecast(state, rules, choose, ghosts)
    out: dict[int, Estimate] = {}
    for t in state.waiting:
        f = found.get(t.id)
        if f is not None:
            est = f.estimate(rules)
            if math.isfinite(est.high):
                out[t.id] = est
                continue
        # no counter can serve it: people ahead × expected minutes, a wide range
        ahead = sum(1 for o in state.waiting if o.service == t.service and (o.arrived_at, o.id) < (t.arrived_at, t.id)
                    and o.id not in ghosts)
        mid = (ahead + 1) * rules.expected(t.service)
        out[t.id] = Estimate(mid, mid * 0.5, mid * 2.0, ahead, ahead, ahead)
    return out


def naive_estimate(ahead: int, mean_service: float, counters: int) -> float:
    """What most queue systems show: people ahead × mean service time ÷ open counters."""
    return ahead * mean_service / max(counters, 1)
