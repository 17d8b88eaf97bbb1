"""When each waiting visitor can expect to be called (D6), with a p10–p90 range.

The estimate replays the call rule forward from the live state: busy windows finish after
their expected remaining time, free windows call at once, paused windows come back after
a typical break, every service takes its learned mean, and visitors keep arriving at the
rate of the last hour (so a regular visitor expects some later elderly visitors to go
ahead). The ticket's call time in that replay is the central value; the range treats
the wait as the sum of the k service completions it needs (a gamma with shape k).
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

from queueing.lines import WaitingLines
from queueing.model import Choice, Estimate, QueueState, Rules, WaitingTicket, Window
from queueing.policy import choose_next

Chooser = Callable[[Window, Sequence[WaitingTicket], float, Rules], Choice | None]
_Z90 = 1.2815515655446004
_VIRTUAL_ID = -(10**12)  # ids of the expected future visitors; far from the hub's -1 probe


def residual_minutes(mean: float, elapsed: float, cv: float) -> float:
    """Expected remaining minutes of a service that has run `elapsed` minutes (log-normal times).

    Unlike `max(mean - elapsed, 0)` this never says "done any second now": a visit that has
    overrun is one of the long ones and is likely to run on a while.
    """
    if elapsed <= 0:
        return mean
    s2 = math.log(1 + cv * cv)
    s = math.sqrt(s2)
    mu = math.log(mean) - s2 / 2
    z = (math.log(elapsed) - mu) / s
    survive = 0.5 * math.erfc(z / math.sqrt(2))
    if survive < 1e-12:
        return mean * cv  # far beyond any plausible visit: a forgotten "done"; assume some more
    partial = mean * 0.5 * math.erfc((z - s) / math.sqrt(2))  # E[S; S > elapsed]
    return max(partial / survive - elapsed, 0.0)


def gamma_range(mean: float, k: int) -> Estimate:
    """Median, p10 and p90 of a gamma with shape k and this mean (Wilson–Hilferty)."""
    if mean <= 0 or k <= 0:
        return Estimate(0.0, 0.0, 0.0)
    a = 1 - 1 / (9 * k)
    b = 1 / (3 * math.sqrt(k))

    def q(z: float) -> float:
        return mean * max(a + z * b, 0.0) ** 3

    return Estimate(q(0.0), q(-_Z90), q(_Z90))


class _FutureArrivals:
    """Visitors expected to arrive: the last hour's mix, evenly spaced, each kind in proportion."""

    def __init__(self, recent: Sequence[WaitingTicket], now: float, rules: Rules) -> None:
        counts: dict[tuple[str, str | None], int] = {}
        for t in recent:
            counts[(t.service, t.priority)] = counts.get((t.service, t.priority), 0) + 1
        self.kinds = list(counts)
        total = sum(counts.values())
        self.share = [counts[k] / total for k in self.kinds] if total else []
        self.gap = rules.rate_window_min * 60 / total if total else math.inf  # seconds between arrivals
        self.now = now
        self.issued = [0] * len(self.kinds)
        self.n = 0

    def next_time(self) -> float:
        return self.now + (self.n + 0.5) * self.gap if self.kinds else math.inf

    def pop(self) -> WaitingTicket:
        at = self.next_time()
        self.n += 1
        # the kind furthest behind its share so far (deterministic weighted round-robin)
        i = max(range(len(self.kinds)), key=lambda j: self.share[j] * self.n - self.issued[j])
        self.issued[i] += 1
        service, priority = self.kinds[i]
        return WaitingTicket(_VIRTUAL_ID - self.n, service, at, priority)


def estimate_waits(state: QueueState, rules: Rules, choose: Chooser = choose_next) -> dict[int, Estimate]:
    """Minutes until each waiting ticket is called (every id in state.waiting gets an estimate).

    `choose` is the call rule being replayed (the simulator passes its baselines). Windows
    are used as they are (open, paused, busy); if no open or paused window serves a
    waiting ticket's sub-service, the closed windows that serve it are assumed to open now
    (tickets are taken before the clerks sit down).
    """
    if not state.waiting:
        return {}
    now = state.now
    minutes = {**rules.expected_service_min, **state.service_min}
    fallback = sum(minutes.values()) / len(minutes) if minutes else rules.default_service_min

    def service_min(code: str | None) -> float:
        return minutes.get(code, fallback) if code else fallback

    windows = [w for w in state.windows if w.state in ("open", "paused")]
    uncovered = {t.service for t in state.waiting} - {s for w in windows for s, v in w.skills.items() if v > 0}
    windows += [replace(w, state="open", busy_since=None, busy_service=None) for w in state.windows
                if w.state == "closed" and any(w.serves(s) for s in uncovered)]

    # (time the window is free, index, whether a service ends then); idle wake-ups do not count
    free: list[tuple[float, int, bool]] = []
    for i, w in enumerate(windows):
        at = now
        if w.busy_since is not None:
            elapsed = max(0.0, now - w.busy_since) / 60
            at += residual_minutes(service_min(w.busy_service), elapsed, rules.service_cv) * 60
        if w.state == "paused":
            at = max(at, now + rules.pause_minutes * 60)
        free.append((at, i, w.busy_since is not None))
    heapq.heapify(free)

    pool = WaitingLines(state.waiting)
    pending = {t.id for t in state.waiting}
    future = _FutureArrivals(state.recent_arrivals, now, rules)
    called: dict[int, tuple[float, int]] = {}
    completions = 0  # window-free events after `now`: what a ticket's wait is made of
    guard = 50 * len(pending) + 10 * len(windows) + 1000
    while pending and free and guard > 0:
        guard -= 1
        at, i, ends = heapq.heappop(free)
        while future.next_time() <= at:
            pool.add(future.pop())
        completions += ends
        choice = choose(windows[i], pool, at, rules)
        if choice is None:
            nxt = future.next_time()
            if math.isfinite(nxt):
                heapq.heappush(free, (nxt, i, False))  # idle until the next expected arrival
            continue
        ticket = pool.remove(choice.ticket.id)
        if ticket.id in pending:
            pending.discard(ticket.id)
            called[ticket.id] = ((at - now) / 60, completions)
        heapq.heappush(free, (at + service_min(ticket.service) * 60, i, True))

    out = {tid: gamma_range(wait, k) for tid, (wait, k) in called.items()}
    for t in state.waiting:
        if t.id not in out:  # no window can ever serve it: fall back to the naive figure
            ahead = sum(1 for o in state.waiting if o.service == t.service and o.arrived_at < t.arrived_at)
            mid = (ahead + 1) * service_min(t.service)
            out[t.id] = Estimate(mid, mid * 0.5, mid * 2.0)
    return out


def naive_estimate(ahead: int, mean_service: float, windows: int) -> float:
    """What most queue systems show: people ahead × mean service time ÷ open windows."""
    return ahead * mean_service / max(windows, 1)
