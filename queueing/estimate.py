"""When each waiting visitor can expect to be called (D6), with a p10–p90 range.

The estimate replays the call rule forward from the live state, several times with
random service times: busy counters finish after a remaining time drawn given how long
they have been busy, free counters call at once, paused counters come back after a typical
break, services take log-normal times around their learned means, and visitors keep
arriving at the rate of the last two hours (so a regular visitor expects some later elderly
visitors to go ahead). Each ticket's median call time over the replays is the estimate
(the median minimises the mean absolute error), p10 and p90 the range.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import accumulate
from statistics import NormalDist

from queueing.lines import WaitingLines
from queueing.model import Choice, Counter, Estimate, QueueState, Rules, WaitingTicket
from queueing.policy import choose_next, pick

Chooser = Callable[[Counter, Sequence[WaitingTicket], float, Rules], Choice | None]
_VIRTUAL_ID = -(10**12)  # ids of the expected future visitors; far from the hub's -1 probe
_PROBE_ID = -(10**11)  # ids of estimate_newcomers' probes
_NORMAL = NormalDist()


class _Times:
    """Log-normal service times with a given mean and spread (sd / mean)."""

    def __init__(self, cv: float) -> None:
        self.s2 = math.log(1 + cv * cv)
        self.s = math.sqrt(self.s2)

    def draw(self, mean: float, rng: random.Random) -> float:
        return rng.lognormvariate(math.log(mean) - self.s2 / 2, self.s)

    def remaining(self, mean: float, elapsed: float, rng: random.Random) -> float:
        """A remaining time for a service that has already run `elapsed` minutes.

        A visit that has overrun is one of the long ones and is likely to run on a while,
        so this never says "done any second now" just because the mean has passed.
        """
        if elapsed <= 0:
            return self.draw(mean, rng)
        mu = math.log(mean) - self.s2 / 2
        done = _NORMAL.cdf((math.log(elapsed) - mu) / self.s)
        if done > 1 - 1e-9:  # far beyond any plausible visit (a forgotten "done"): some more
            return self.draw(mean, rng) * 0.5
        u = done + (1 - done) * rng.random()
        u = min(max(u, 1e-12), 1 - 1e-12)
        return max(math.exp(mu + self.s * _NORMAL.inv_cdf(u)) - elapsed, 0.0)


class _Arrivals:
    """Visitors expected to arrive after `now`: a Poisson stream with the recent mix."""

    def __init__(self, state: QueueState, rules: Rules, counters: Sequence[Counter] = ()) -> None:
        counts: dict[tuple[str, str | None], int] = {}
        for t in state.recent_arrivals:
            counts[(t.service, t.priority)] = counts.get((t.service, t.priority), 0) + 1
        self.kinds = list(counts)
        self.cum = list(accumulate(counts[k] for k in self.kinds))
        span = rules.rate_window_min * 60
        if state.opened_at is not None:  # open for less than the rate window: the rate is per minute open
            span = min(span, max(state.now - state.opened_at, 15 * 60))
        self.rate = len(state.recent_arrivals) / span  # per second
        if counters:
            # More arrivals than the counters can serve only pile up behind those waiting now;
            # replaying them would cost time (a burst of tickets) without changing the answer much.
            minutes = {**rules.expected_service_min, **state.service_min}
            mean = sum(minutes.values()) / len(minutes) if minutes else rules.default_service_min
            self.rate = min(self.rate, len(counters) / (mean * 60))
        self.until = state.closes_at if state.closes_at is not None else math.inf

    def stream(self, now: float, rng: random.Random) -> Iterator[WaitingTicket]:
        """One random future; ends at once (infinitely far) when nobody came recently."""
        if not self.rate:
            return
        at, n, total = now, 0, self.cum[-1]
        while True:
            at += rng.expovariate(self.rate)
            if at >= self.until:
                return
            n += 1
            service, priority = self.kinds[bisect_right(self.cum, rng.random() * total)]
            yield WaitingTicket(_VIRTUAL_ID - n, service, at, priority)


def _counters(state: QueueState) -> list[Counter]:
    """Open and paused counters; closed ones too for sub-services nobody else serves (assumed opening now)."""
    counters = [c for c in state.counters if c.state in ("open", "paused")]
    covered = {s for c in counters for s, v in c.services.items() if v > 0}
    uncovered = {t.service for t in state.waiting} - covered
    # A closed counter assumed open serves only what nobody else covers: it must not absorb the
    # load of the open counters (a newcomer would then be told "no wait" beside two waiting).
    return counters + [replace(c, state="open", busy_since=None, busy_service=None,
                               services={s: v for s, v in c.services.items() if s in uncovered})
                       for c in state.counters if c.state == "closed" and any(c.serves(s) for s in uncovered)]


def replay(state: QueueState, rules: Rules, choose: Chooser, rng: random.Random,
           counters: Sequence[Counter] | None = None, arrivals: _Arrivals | None = None,
           ghosts: frozenset[int] = frozenset()) -> dict[int, float]:
    """One random future: minutes until each waiting ticket is called (missing if never).

    `ghosts` are probe tickets that take no counter time when called: several newcomers can
    be estimated in one replay without delaying each other or anybody else.
    """
    now = state.now
    minutes = {**rules.expected_service_min, **state.service_min}
    fallback = sum(minutes.values()) / len(minutes) if minutes else rules.default_service_min
    times = _Times(rules.service_cv)
    counters = _counters(state) if counters is None else counters
    arrivals = _Arrivals(state, rules, counters) if arrivals is None else arrivals
    if choose is choose_next:
        choose = pick  # same choice, without composing the clerk's explanation
    free: list[tuple[float, int]] = []
    for i, c in enumerate(counters):
        at = now
        if c.busy_since is not None:
            mean = minutes.get(c.busy_service, fallback) if c.busy_service else fallback
            at += times.remaining(mean, max(0.0, now - c.busy_since) / 60, rng) * 60
        if c.state == "paused":
            at = max(at, now + rules.pause_minutes * 60)
        free.append((at, i))
    heapq.heapify(free)

    unique = {t.id: t for t in state.waiting}  # a duplicated ticket must not break the kiosk's estimate
    pool = WaitingLines(unique.values())
    # tickets no counter serves are never called: do not replay until the guard for them
    pending = {t.id for t in unique.values() if any(c.serves(t.service) for c in counters)}
    future = arrivals.stream(now, rng)
    coming = next(future, None)
    called: dict[int, float] = {}
    no_show = state.no_show_share
    guard = 50 * len(pending) + 10 * len(counters) + 1000
    while pending and free and guard > 0:
        guard -= 1
        at, i = heapq.heappop(free)
        while coming is not None and coming.arrived_at <= at:
            pool.add(coming)
            coming = next(future, None)
        choice = choose(counters[i], pool, at, rules)
        if choice is None:
            if coming is not None:
                heapq.heappush(free, (coming.arrived_at, i))  # idle until the next visitor comes in
            continue
        ticket = pool.remove(choice.ticket.id)
        if ticket.id in pending:
            pending.discard(ticket.id)
            called[ticket.id] = (at - now) / 60
        if ticket.id in ghosts:
            took = 0.0
        elif no_show and rng.random() < no_show:
            took = rules.no_show_minutes
        else:
            took = times.draw(minutes.get(ticket.service, fallback), rng)
        heapq.heappush(free, (at + took * 60, i))
    return called


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def estimate_waits(state: QueueState, rules: Rules, choose: Chooser = choose_next) -> dict[int, Estimate]:
    """Minutes until each waiting ticket is called (every id in state.waiting gets an estimate).

    `choose` is the call rule being replayed (the simulator passes its baselines). If no
    open or paused counter serves a ticket's sub-service, the closed counters that serve it
    are assumed to open now (tickets are taken before the clerks sit down). The replays are
    seeded from the state, so the same state always gives the same answer.
    """
    return _estimate(state, rules, choose, frozenset())


def estimate_newcomers(state: QueueState, rules: Rules, services: Iterable[str],
                       priority: str | None = None) -> dict[str, Estimate]:
    """The wait a visitor taking a ticket now would be told, for each sub-service, in one go.

    The same as adding one newcomer ticket to state.waiting per sub-service and calling
    estimate_waits for each, but the probes take no counter time, so one set of replays
    answers for every sub-service (the kiosk's menu and GET /api/v1/services).
    """
    probes = {code: WaitingTicket(_PROBE_ID - i, code, state.now, priority) for i, code in enumerate(services)}
    if not probes:
        return {}
    probed = replace(state, waiting=list(state.waiting) + list(probes.values()))
    found = _estimate(probed, rules, choose_next, frozenset(t.id for t in probes.values()))
    return {code: found[t.id] for code, t in probes.items()}


def _estimate(state: QueueState, rules: Rules, choose: Chooser, ghosts: frozenset[int]) -> dict[int, Estimate]:
    if not state.waiting:
        return {}
    rng = random.Random(hash((round(state.now), len(state.waiting), len(state.counters))))
    # A long hall needs fewer futures: each wait is then the sum of many services and varies
    # less; this keeps a 1,000-ticket estimate to about a second.
    runs = max(1, rules.estimate_runs)
    if len(state.waiting) > 200:
        runs = max(min(runs, 6), runs * 200 // len(state.waiting))
    samples: dict[int, list[float]] = {t.id: [] for t in state.waiting}
    counters = _counters(state)
    arrivals = _Arrivals(state, rules, counters)
    for _ in range(runs):
        for tid, wait in replay(state, rules, choose, rng, counters, arrivals, ghosts).items():
            samples[tid].append(wait)
    out: dict[int, Estimate] = {}
    for t in state.waiting:
        waits = sorted(samples[t.id])
        if len(waits) * 2 > runs:  # called in most futures (missing ones count as very late)
            waits += [math.inf] * (runs - len(waits))
            lo, mid, hi = (_quantile(waits, q) for q in (0.1, 0.5, 0.9))
            if math.isfinite(hi):
                out[t.id] = Estimate(mid, lo, hi)
                continue
        # no counter can serve it: people ahead × expected minutes, a wide range
        ahead = sum(1 for o in state.waiting if o.service == t.service and (o.arrived_at, o.id) < (t.arrived_at, t.id)
                    and o.id not in ghosts)
        mid = (ahead + 1) * rules.expected(t.service)
        out[t.id] = Estimate(mid, mid * 0.5, mid * 2.0)
    return out


def naive_estimate(ahead: int, mean_service: float, counters: int) -> float:
    """What most queue systems show: people ahead × mean service time ÷ open counters."""
    return ahead * mean_service / max(counters, 1)
