"""Plain data the queueing rules work on; the hub builds these from its tables."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WaitingTicket:
    id: int
    service: str
    arrived_at: float  # epoch seconds; a transfer keeps the original arrival
    priority: str | None = None
    line: int | None = None  # only for the "one line per counter" baseline of the simulator
    # a checked-in appointment: its slot's start (epoch seconds); called at it, ahead of
    # walk-ins who have not yet waited Rules.due_score's worth (see queueing/policy.py)
    due_at: float | None = None

    @property
    def order(self) -> float:
        """Its place in its group: the slot of an appointment, else the arrival."""
        return self.arrived_at if self.due_at is None else self.due_at


@dataclass(frozen=True)
class Counter:
    number: int
    services: dict[str, float]  # sub-service code -> weight (1.0 its own unit, < 1 backup)
    state: str = "open"  # open | paused | closed
    busy_since: float | None = None  # when the current visitor was called, if any
    busy_service: str | None = None

    def serves(self, service: str) -> bool:
        return self.services.get(service, 0.0) > 0


@dataclass(frozen=True)
class Rules:
    """Branch-specific weights, from config/branches.yaml (see `rules_from_branch`)."""

    priority_weights: dict[str, float] = field(default_factory=dict)
    target_wait_min: dict[str, float] = field(default_factory=dict)  # per sub-service
    expected_service_min: dict[str, float] = field(default_factory=dict)  # per sub-service
    backup_weight: float = 0.8  # for a counter's services outside its own unit
    priority_head_start: float = 0.2  # a priority class starts as if it had waited this share of the target
    # how a score's growth follows the sub-service's target: 1 = minutes ÷ target (a 10-min
    # target grows twice as fast as a 20-min one), 0 = minutes ÷ default_target_min for all;
    # 0.5 (issue 13's sweep) shortened the longest waits at the same mean wait
    target_growth: float = 0.5
    default_target_min: float = 20.0  # a sub-service missing from target_wait_min
    default_service_min: float = 8.0  # a sub-service missing from expected_service_min
    service_cv: float = 0.6  # assumed spread of service times (sd / mean) for residual times
    pause_minutes: float = 10.0  # a paused counter is assumed back after this long
    rate_window_min: float = 120.0  # QueueState.recent_arrivals covers this many minutes
    prior_samples: float = 5.0  # learned service times: weight of the configured value, in samples
    estimate_runs: int = 32  # random replays behind each wait estimate (fewer past 200 waiting)
    # the range's percentiles of the replays: read at p10 and p90, 12.4 % of those who waited
    # were called before the range and 9.2 % after it; these levels miss 10 % on each side
    # (16 simulated weeks, scripts/calibrate_range.py; README, "Ranges that hold")
    range_levels: tuple[float, float] = (0.08, 0.89)
    no_show_minutes: float = 1.0  # a counter's time lost calling a ticket whose holder has gone
    # a due appointment scores this plus its lateness (as urgency): a walk-in goes first only
    # once their own score passes it (a regular visitor at 3× target), so none is starved
    due_score: float = 3.0

    def target(self, service: str) -> float:
        return self.target_wait_min.get(service) or self.default_target_min

    def expected(self, service: str) -> float:
        return self.expected_service_min.get(service) or self.default_service_min

    def weight(self, priority: str | None) -> float:
        return self.priority_weights.get(priority, 1.0) if priority else 1.0


@dataclass(frozen=True)
class Reason:
    """One part of why a visitor was called: a code and its values, never words. The hub words
    it for the clerk from its catalogues (server/floor/reasons.py); the engine knows no language."""

    code: str
    values: dict[str, float | int | str] = field(default_factory=dict)

    def as_json(self) -> dict[str, float | int | str]:
        return {"code": self.code, **self.values}


@dataclass(frozen=True)
class Choice:
    ticket: WaitingTicket
    score: float
    reason: tuple[Reason, ...] = ()  # shown to the clerk, worded by the hub: why this visitor was called


@dataclass(frozen=True)
class Estimate:
    """Minutes from now until the ticket is called: a central value and a range; and the
    people the counters serving it will call first, with its range."""

    minutes: float
    low: float  # the range: Rules.range_levels, calibrated so 80 % of those who wait fall inside
    high: float
    people_ahead: float = 0.0  # median over the replays; priority and every counter considered
    ahead_low: float = 0.0
    ahead_high: float = 0.0

    @property
    def at_once(self) -> bool:
        """Called at once in nearly every future: say so, rather than a range of 0–0 minutes."""
        return self.high <= 0.0


@dataclass(frozen=True)
class QueueState:
    waiting: list[WaitingTicket]
    counters: list[Counter]
    now: float
    # learned service minutes per sub-service (falls back to Rules.expected_service_min)
    service_min: dict[str, float] = field(default_factory=dict)
    # tickets issued in the last Rules.rate_window_min minutes, in any state: the estimate
    # expects that many more to come (a later elderly visitor may go ahead of you)
    recent_arrivals: list[WaitingTicket] = field(default_factory=list)
    # share of called tickets whose holder had gone (learned from history; 0 if unknown)
    no_show_share: float = 0.0
    # today's opening hours (epoch seconds), if known: no arrivals are expected after
    # closing, and early in the day the recent rate is per minute open, not per hour
    opened_at: float | None = None
    closes_at: float | None = None
