"""From the branch description (navbat.config.Branch, duck-typed) to the engine's Rules."""

from __future__ import annotations

import statistics
from typing import Any

from queueing.model import Rules


def rules_from_branch(branch: Any) -> Rules:
    return Rules(
        priority_weights={p.code: p.weight for p in branch.priority_classes},
        target_wait_min={s.code: s.target_wait_minutes for s in branch.services},
        expected_service_min={s.code: s.expected_minutes for s in branch.services},
    )


def learn_service_minutes(samples: dict[str, list[float]], rules: Rules, prior_weight: int = 10) -> dict[str, float]:
    """Service minutes per sub-service: the median of the branch's own history, shrunk
    towards the configured expected minutes while there are few samples."""
    out = dict(rules.expected_service_min)
    for code, values in samples.items():
        values = [v for v in values if 0 < v < 240]
        if not values:
            continue
        prior = rules.expected_service_min.get(code, statistics.median(values))
        n = len(values)
        out[code] = (statistics.median(values) * n + prior * prior_weight) / (n + prior_weight)
    return out
