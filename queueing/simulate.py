"""The branch simulator behind `navbat simulate`: the same visitors, several call rules.

Each simulated day draws visitors from a day profile (arrivals per hour per sub-service,
priority mix, log-normal service times, no-shows) once; every policy then serves exactly
those visitors with the branch's counters, so differences come from the rule alone:

- navbat: one pooled line per sub-service, accumulating priority (`choose_next`);
- lines: one line per counter, each visitor joining the shortest line among the counters
  whose sign lists their sub-service (a branch without a system, D4);
- oldest_first: pooled, the longest-waiting ticket among the counter's sub-services (FQM);
- strict_priority: pooled, priority classes always first;
- pooled_fcfs: the reference no rule on the real counters can beat by much: every counter
  serves every sub-service from one first-come line (the Erlang bound's own assumption).

At every ticket's issue the simulator asks the estimator what the hub would show (learning
service times from the last 30 days, with some wrongly recorded durations) and compares it
with the real wait, next to the naive people-ahead estimate. `queueing.figures` turns the
outcomes into the report's figures, over one seed or many.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from navbat.queueing.baselines import oldest_first, own_line, strict_priority
from navbat.queueing.erlang import allen_cunneen_wait
from navbat.queueing.estimate import Chooser, estimate_waits, forecast, naive_estimate
from navbat.queueing.figures import summarise
from navbat.queueing.learn import RollingLearner
from navbat.queueing.lines import WaitingLines
from navbat.queueing.model import Counter, Estimate, QueueState, Rules, WaitingTicket
from navbat.queueing.policy import choose_next
from navbat.queueing.profiles import DayProfile
from navbat.queueing.quantiles import share_below

DAY = 86400.0
POLICIES: dict[str, Chooser] = {
    "navbat": choose_next,
    "lines": own_line,
    "oldest_first": oldest_first,
    "strict_priority": strict_priority,
    "pooled_fcfs": oldest_first,  # on counters that all serve everything (see Run)
}
LEARN_EVERY = 30 * 60.0  # seconds between refreshes of the learned service times
LEARN_WINDOW = 30 * DAY  # the hub learns from the last 30 days too (server/floor/estimates.py)


@dataclass(frozen=True)
class Visitor:
    id: int
    arrival: float  # seconds; day d opens at d × DAY
    service: str
    priority: str | None
    minutes: float  # true service minutes
    no_show: bool
    recorded: float  # minutes the hub records (called -> done), sometimes wrong


@dataclass
class Outcome:
    visitor: Visitor
    called_at: float = math.nan
    estimate: Estimate | None = None
    naive: float | None = None
    pit: float | None = None  # where the real wait fell among the replays (0..1)
    replays: list[float] | None = None  # the estimate's replays (kept after the call only if asked)


def draw_visitors(profile: DayProfile, days: int, seed: int) -> list[Visitor]:
    """The visitors of `days` branch days; the same seed gives the same visitors."""
    rng = random.Random(seed)
    codes = list(profile.service_mix)
    weights = [profile.service_mix[c] for c in codes]
    s2 = math.log(1 + profile.service_cv**2)
    out: list[Visitor] = []
    for day in range(days):
        for hour in range(len(profile.hours)):
            rate = profile.rate(hour) / 3600.0
            if rate <= 0:
                continue
            t = day * DAY + hour * 3600.0
            end = t + 3600.0
            while True:
                t += rng.expovariate(rate)
                if t >= end:
                    break
                code = rng.choices(codes, weights)[0]
                u, priority = rng.random(), None
                for cls, share in profile.priority_mix.get(code, {}).items():
                    if u < share:
                        priority = cls
                        break
                    u -= share
                mean = profile.service_min[code]
                minutes = rng.lognormvariate(math.log(mean) - s2 / 2, math.sqrt(s2))
                recorded = minutes * 6 if rng.random() < profile.record_error else minutes
                out.append(Visitor(len(out) + 1, t, code, priority, minutes, rng.random() < profile.no_show, recorded))
    return out


class Run:
    """One policy serving one list of visitors."""

    def __init__(self, policy: str, visitors: Sequence[Visitor], counters: Sequence[Counter], rules: Rules,
                 profile: DayProfile, estimate: bool, keep_replays: bool = False) -> None:
        self.lines = policy == "lines"
        self.keep_replays = keep_replays
        self.choose = POLICIES[policy]
        self.visitors, self.rules, self.profile, self.estimate = visitors, rules, profile, estimate
        if policy == "pooled_fcfs":
            everything = {code: 1.0 for code in profile.service_mix}
            counters = [Counter(c.number, everything) for c in counters]
        self.counters = {c.number: c for c in counters}
        self.pool = WaitingLines()
        self.busy: dict[int, tuple[float, str]] = {}  # counter -> (called at, sub-service)
        self.serving: dict[int, int] = {}  # counter -> visitor id
        self.idle: dict[int, float] = {n: 0.0 for n in self.counters}  # counter -> idle since
        self.line_len = {n: 0 for n in self.counters}  # people standing in each counter's line
        self.free: list[tuple[float, int]] = []
        self.outcomes = {v.id: Outcome(v) for v in visitors}
        self.learner = RollingLearner(rules, LEARN_WINDOW)
        self.learned = self.learner.learned(0.0)
        self.learned_at = -math.inf
        self.recent: deque[WaitingTicket] = deque()
        self.busy_minutes = 0.0
        self.called = self.no_shows = 0  # history the hub would have: tickets called, holders gone

    def run(self) -> list[Outcome]:
        for v in self.visitors:
            while self.free and self.free[0][0] <= v.arrival:
                self._finish(*heapq.heappop(self.free))
            self._arrive(v)
        while self.free:
            self._finish(*heapq.heappop(self.free))
        return list(self.outcomes.values())

    def _finish(self, at: float, number: int) -> None:
        _, service = self.busy.pop(number)
        o = self.outcomes[self.serving.pop(number)]
        if not o.visitor.no_show:
            self.learner.add(service, at, o.visitor.recorded)
        self.idle[number] = at
        self._call(number, at)

    def _call(self, number: int, at: float) -> bool:
        choice = self.choose(self.counters[number], self.pool, at, self.rules)
        if choice is None:
            return False
        ticket = self.pool.remove(choice.ticket.id)
        if ticket.line is not None:
            self.line_len[ticket.line] -= 1
        o = self.outcomes[ticket.id]
        o.called_at = at
        if o.replays is not None:
            o.pit = share_below(o.replays, (at - ticket.arrived_at) / 60)
            if not self.keep_replays:
                o.replays = None
        v = o.visitor
        self.called += 1
        self.no_shows += v.no_show
        # a ticket holder who left, or someone who left a line: the counter looks for them either way
        minutes = self.profile.no_show_min if v.no_show else v.minutes
        self.busy_minutes += minutes
        self.idle.pop(number, None)
        self.busy[number] = (at, v.service)
        self.serving[number] = v.id
        heapq.heappush(self.free, (at + minutes * 60, number))
        return True

    def _arrive(self, v: Visitor) -> None:
        t = v.arrival
        if t - self.learned_at >= LEARN_EVERY:
            self.learned = self.learner.learned(t)
            self.learned_at = t
        while self.recent and self.recent[0].arrived_at < t - self.rules.rate_window_min * 60:
            self.recent.popleft()
        line = self._pick_line(v) if self.lines else None
        ticket = WaitingTicket(v.id, v.service, t, v.priority, line)
        o = self.outcomes[v.id]
        if self.estimate:
            o.naive = self._naive(ticket)
        self.pool.add(ticket)
        self.recent.append(WaitingTicket(v.id, v.service, t, v.priority))
        if line is not None:
            self.line_len[line] += 1
        if self.estimate:
            share = self.no_shows / self.called if self.called else 0.0
            opened = t // DAY * DAY
            state = QueueState(list(self.pool), self._counter_state(), t, self.learned,
                               [] if self.lines else list(self.recent), share, opened,
                               opened + self.profile.minutes * 60)
            found = forecast(state, self.rules, self.choose).get(v.id)
            o.estimate = found.estimate(self.rules) if found else None
            if o.estimate is None or not math.isfinite(o.estimate.high):
                o.estimate = estimate_waits(state, self.rules, self.choose)[v.id]
            elif found is not None:
                o.replays = found.waits
        # idle counters that serve it: the line's own counter, else the highest weight first, then longest idle
        if line is not None:
            candidates = [line] if line in self.idle else []
        else:
            candidates = sorted((n for n in self.idle if self.counters[n].serves(v.service)),
                                key=lambda n: (-self.counters[n].services[v.service], self.idle[n], n))
        for n in candidates:
            if self._call(n, t):
                break

    def _pick_line(self, v: Visitor) -> int:
        serving = [c for c in self.counters.values() if c.serves(v.service)]
        best = min(serving, key=lambda c: (self.line_len[c.number] + (c.number in self.busy),
                                           -c.services[v.service], c.number))
        return best.number

    def _naive(self, ticket: WaitingTicket) -> float:
        mean = self.learned.get(ticket.service, self.rules.expected(ticket.service))
        if ticket.line is not None:
            return naive_estimate(self.line_len[ticket.line], mean, 1)
        ahead = sum(1 for t in self.pool if t.service == ticket.service)
        return naive_estimate(ahead, mean, sum(1 for c in self.counters.values() if c.serves(ticket.service)))

    def _counter_state(self) -> list[Counter]:
        out = []
        for n, c in self.counters.items():
            since, service = self.busy.get(n, (None, None))
            out.append(Counter(n, c.services, "open", since, service))
        return out


def run_policy(policy: str, visitors: Sequence[Visitor], counters: Sequence[Counter], rules: Rules,
               profile: DayProfile, estimate: bool = True, keep_replays: bool = False) -> tuple[list[Outcome], float]:
    """Outcomes of every visitor and the counters' busy minutes (with the replays behind each
    estimate if `keep_replays`: scripts/calibrate_range.py reads them)."""
    run = Run(policy, visitors, counters, rules, profile, estimate, keep_replays)
    outcomes = run.run()
    return outcomes, run.busy_minutes


def pooled_bound(profile: DayProfile, counters: int) -> float:
    """Mean wait of one pooled line that every counter serves, at the day's mean load: Erlang C
    with the Allen–Cunneen correction for the spread of service times.

    An approximation, not a lower bound: Allen–Cunneen is exact for no G/G/c queue, and it is
    the figure for a steady load, while a branch day starts empty and its peaks come and go.
    Over 40 simulated weeks our rule came in under it on 12; what no rule on the real counters
    beats by much is the pooled first-come line simulated on the same visitors ("pooled_fcfs").
    """
    mean, cs2 = profile.job_moments()
    per_minute = profile.visitors_per_hour * sum(profile.hours) / len(profile.hours) / 60
    return allen_cunneen_wait(counters, per_minute * mean, mean, cs2)


def simulate(profile: DayProfile, counters: Sequence[Counter], rules: Rules, days: int = 1, seed: int = 1,
             policies: Sequence[str] = tuple(POLICIES), estimate: bool = True,
             progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Run every policy on the same visitors; the dict `navbat simulate --json` prints."""
    visitors = draw_visitors(profile, days, seed)
    bound = pooled_bound(profile, len(counters))
    out: dict[str, Any] = {"bound_mean_wait_min": round(bound, 2), "policies": {}}
    for name in policies:
        if progress:
            progress(name)
        outcomes, busy = run_policy(name, visitors, counters, rules, profile, estimate)
        out["policies"][name] = summarise(outcomes, busy, len(counters), days, profile, rules)
    if "pooled_fcfs" in out["policies"]:  # kept at the top, where it was before it became a policy
        out["pooled_fcfs_mean_wait_min"] = out["policies"]["pooled_fcfs"]["mean_wait_min"]
    return out


def simulate_branch(branch: Any, seed: int = 1, days: int = 5, backups: int | None = 2, utilisation: float = 0.85,
                    estimate: bool = True, progress: Callable[[str], None] | None = None,
                    rules: Rules | None = None) -> dict[str, Any]:
    """`navbat simulate` on a branch file: its busy day, counters with `backups` backup units each."""
    from navbat.queueing.branch import counters_from_branch, rules_from_branch
    from navbat.queueing.profiles import busy_day

    if days < 1:
        raise ValueError("days must be at least 1")
    if not 0 < utilisation < 1:
        raise ValueError("utilisation must be between 0 and 1 (e.g. 0.85)")
    rules = rules_from_branch(branch) if rules is None else rules
    counters = counters_from_branch(branch, backups)
    profile = busy_day(branch, rules, utilisation)
    out = simulate(profile, counters, rules, days, seed, estimate=estimate, progress=progress)
    out["run"] = {
        "branch": branch.branch.id, "profile": profile.name, "seed": seed, "days": days, "backups": backups,
        "counters": len(counters), "utilisation_target": utilisation,
        "visitors_per_hour": round(profile.visitors_per_hour, 1),
    }
    return out


def _one_seed(job: tuple[Any, int, dict[str, Any]]) -> dict[str, Any]:
    branch, seed, kwargs = job
    return simulate_branch(branch, seed, **kwargs)


def map_seeds(one: Callable[[tuple[Any, int, dict[str, Any]]], dict[str, Any]], branch: Any,
              seeds: Sequence[int], workers: int, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    """`one((branch, seed, kwargs))` for every seed, in `workers` forked processes when asked
    (keep it to the machine's spare cores); `one` is a module-level function, so it pickles."""
    jobs = [(branch, s, kwargs) for s in seeds]
    if workers > 1 and len(jobs) > 1:
        import multiprocessing

        with multiprocessing.get_context("fork").Pool(min(workers, len(jobs))) as pool:
            return pool.map(one, jobs, chunksize=1)
    return [one(j) for j in jobs]


def simulate_seeds(branch: Any, seeds: Sequence[int], workers: int = 1, **kwargs: Any) -> dict[str, Any]:
    """simulate_branch over several seeds, averaged (queueing.figures.over_seeds); `workers`
    processes share the seeds (keep it to the machine's spare cores)."""
    from navbat.queueing.figures import over_seeds

    return over_seeds(map_seeds(_one_seed, branch, seeds, workers, kwargs))
