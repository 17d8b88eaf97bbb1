"""One random future of the floor: the call rule replayed forward from the live state.

Busy counters finish after a remaining time drawn given how long they have been busy, free
counters call at once, paused counters come back after a typical break, services take
log-normal times around their learned means, and visitors keep arriving at the rate of the
last two hours (so a regular visitor expects some later elderly visitors to go ahead).
`queueing.estimate` turns many of these futures into the estimates visitors are shown.
"""

from __future__ import annotations

import heapq
import math
import random
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from itertools import accumulate
from statistics import NormalDist
from typing import NamedTuple

from navbat.queueing.lines import WaitingLines
from navbat.queueing.model import Choice, Counter, QueueState, Rules, WaitingTicket
from navbat.queueing.policy import Picker, choose_next, pick

Chooser = Callable[[Counter, Sequence[WaitingTicket], float, Rules], Choice | None]
_VIRTUAL_ID = -(10**12)  # ids of the expected future visitors; far from the hub's -1 probe
_NORMAL = NormalDist()


class Times:
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


class Arrivals:
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


class Call(NamedTuple):
    """A ticket's call in one future: minutes from now, and people called before it by the
    counters that serve its sub-service."""

    minutes: float
    ahead: int


def counters_for(state: QueueState) -> list[Counter]:
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
           counters: Sequence[Counter] | None = None, arrivals: Arrivals | None = None,
           ghosts: frozenset[int] = frozenset()) -> dict[int, Call]:
    """One random future: when each waiting ticket is called (missing if never) and how many
    people the counters that serve it called before it.

    `ghosts` are probe tickets that take no counter time when called: several newcomers can
    be estimated in one replay without delaying each other or anybody else; they are
    nobody's people ahead.
    """
    now = state.now
    minutes = {**rules.expected_service_min, **state.service_min}
    fallback = sum(minutes.values()) / len(minutes) if minutes else rules.default_service_min
    times = Times(rules.service_cv)
    counters = counters_for(state) if counters is None else counters
    arrivals = Arrivals(state, rules, counters) if arrivals is None else arrivals
    # the call rule's own choice, without composing the clerk's explanation, each group's constants looked up once
    picker = Picker(rules) if choose is choose_next or choose is pick else None
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
    # the counters that serve each sub-service waited for; tickets no counter serves are never
    # called: do not replay until the guard for them
    serving = {s: [i for i, c in enumerate(counters) if c.serves(s)] for s in {t.service for t in unique.values()}}
    pending = {t.id for t in unique.values() if serving[t.service]}
    future = arrivals.stream(now, rng)
    coming = next(future, None)
    called: dict[int, Call] = {}
    calls = [0] * len(counters)  # people each counter has called so far in this future
    no_show = state.no_show_share
    guard = 50 * len(pending) + 10 * len(counters) + 1000
    while pending and free and guard > 0:
        guard -= 1
        at, i = heapq.heappop(free)
        while coming is not None and coming.arrived_at <= at:
            pool.add(coming)
            coming = next(future, None)
        if picker is not None:
            chosen = picker(i, counters[i], pool, at)
        else:
            choice = choose(counters[i], pool, at, rules)
            chosen = None if choice is None else choice.ticket
        if chosen is None:
            if coming is not None:
                heapq.heappush(free, (coming.arrived_at, i))  # idle until the next visitor comes in
            continue
        ticket = pool.remove(chosen.id)
        if ticket.id in pending:
            pending.discard(ticket.id)
            called[ticket.id] = Call((at - now) / 60, sum(calls[k] for k in serving[ticket.service]))
        if ticket.id in ghosts:
            took = 0.0
        elif no_show and rng.random() < no_show:
            took = rules.no_show_minutes
        else:
            took = times.draw(minutes.get(ticket.service, fallback), rng)
        if ticket.id not in ghosts:
            calls[i] += 1
        heapq.heappush(free, (at + took * 60, i))
    return called
