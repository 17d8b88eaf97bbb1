"""A report's row: the figures of one group of visits (a sub-service, a unit, a counter, a clerk,
a channel or the whole branch), and the rules they follow (the in-target share, the 90th percentile).
Used by the report (figures.py), its channel rows (channels.py) and HQ's roll-ups."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from navbat.server.reports.visits import Segment, Visit

SATISFIED = 4  # a score of 4 or 5 out of 5 counts as satisfied (F2: 80 % in person)


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile: the smallest value with at least 90 % of values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]


def mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


@dataclass
class Row:
    key: str  # sub-service code, unit code, counter number, clerk, or "total"
    label: dict[str, str]  # {"fa": ..., "en": ...}
    group: str | None = None  # for a sub-service: its unit
    visitors: int = 0
    called: int = 0
    mean_wait: float | None = None
    p90_wait: float | None = None
    within_target: int = 0  # called within their target (in_target)
    judged: int = 0  # called, or waited past their target uncalled
    within_target_pct: float | None = None
    served: int = 0
    mean_service: float | None = None
    no_shows: int = 0
    transfers: int = 0
    docs_incomplete: int = 0
    docs_incomplete_pct: float | None = None
    ratings: int = 0
    satisfaction: float | None = None  # mean score, 1..5
    satisfied_pct: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


DEFAULT_TARGET = 20.0  # minutes, for a sub-service the branch file no longer names


def in_target(visits: Iterable[Visit], targets: dict[str, float], as_of: dt.datetime) -> tuple[int, int]:
    """The in-target share's parts (issue 24): (called within their target, visitors judged).

    A visitor called is judged by their wait; one not called is judged missed once their wait
    passed the target, still waiting at `as_of` or gone uncalled (a remote turn that expired away
    from the branch never waited in it and is not judged)."""
    inside = judged = 0
    for v in visits:
        target = targets.get(v.service, DEFAULT_TARGET)
        if v.first_call is not None:
            judged += 1
            inside += v.wait_minutes <= target
        elif v.left_outcome != "remote_expired" and ((v.left or as_of) - v.issued).total_seconds() / 60 > target:
            judged += 1
    return inside, judged


def make_row(key: str, label: dict[str, str], visits: Iterable[Visit], segments: Iterable[Segment],
             targets: dict[str, float], as_of: dt.datetime | None = None) -> Row:
    """`as_of`: the moment those still waiting are judged at (the period's end, or now if sooner)."""
    visits, segments = list(visits), list(segments)
    waits = [(v.wait_minutes, targets.get(v.service, DEFAULT_TARGET)) for v in visits if v.first_call is not None]
    inside, judged = in_target(visits, targets, as_of or dt.datetime.now(dt.UTC))
    done = [s for s in segments if s.end_kind == "done"]
    scores = [s.rating for s in done if s.rating is not None]
    incomplete = sum(1 for s in done if s.outcome == "documents_incomplete")
    return Row(
        key=key, label=label, visitors=len(visits), called=len(waits),
        mean_wait=mean([w for w, _ in waits]), p90_wait=p90([w for w, _ in waits]),
        within_target=inside, judged=judged, within_target_pct=pct(inside, judged),
        served=len(done), mean_service=mean([s.minutes for s in done]),
        no_shows=sum(1 for s in segments if s.end_kind == "no_show"),
        transfers=sum(1 for s in segments if s.end_kind == "transferred"),
        docs_incomplete=incomplete, docs_incomplete_pct=pct(incomplete, len(done)),
        ratings=len(scores), satisfaction=mean(scores),
        satisfied_pct=pct(sum(1 for x in scores if x >= SATISFIED), len(scores)),
    )
