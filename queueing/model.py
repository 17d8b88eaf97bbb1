"""Plain data the queueing rules work on; the hub builds these from its tables."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class WaitingTicket:
    id: int
    service: str
    arrived_at: float  # epoch seconds; a transfer keeps the original arrival
    priority: str | None = None


@dataclass(frozen=True)
class Window:
    number: int
    skills: dict[str, float]  # sub-service code -> skill weight (1.0 primary, <1 backup)
    state: str = "open"  # open | paused | closed
    busy_since: float | None = None  # when the current visitor was called, if any
    busy_service: str | None = None

    def serves(self, service: str) -> bool:
        return self.skills.get(service, 0.0) > 0


@dataclass(frozen=True)
class Rules:
    """Branch-specific weights, from config/branches.yaml."""

    priority_weights: dict[str, float] = field(default_factory=dict)
    target_wait_min: dict[str, float] = field(default_factory=dict)  # per sub-service
    expected_service_min: dict[str, float] = field(default_factory=dict)  # per sub-service


@dataclass(frozen=True)
class Choice:
    ticket: WaitingTicket
    score: float
    reason: str  # shown to the clerk: why this visitor was called


@dataclass(frozen=True)
class Estimate:
    """Minutes from now until the ticket is called: a central value and a range."""

    minutes: float
    low: float  # p10
    high: float  # p90


@dataclass(frozen=True)
class QueueState:
    waiting: list[WaitingTicket]
    windows: list[Window]
    now: float
    # learned service minutes per sub-service (falls back to Rules.expected_service_min)
    service_min: dict[str, float] = field(default_factory=dict)
