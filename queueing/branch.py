"""Bridge from the branch file (foundation.config.Branch, duck-typed) to the queueing rules.

Only attributes are read, so the engine stays importable without pydantic.
"""

from __future__ import annotations

from typing import Any

from navbat.queueing.model import Counter, Rules


def rules_from_branch(branch: Any) -> Rules:
    """Priority weights, target waits and expected minutes from config/branches.yaml (D6, V2)."""
    services = list(branch.services)
    policy = branch.policy
    return Rules(
        priority_weights={p.code: float(p.weight) for p in branch.priority_classes},
        target_wait_min={s.code: float(s.target_wait_minutes) for s in services},
        expected_service_min={s.code: float(s.expected_minutes) for s in services},
        backup_weight=float(policy.backup_weight),
        priority_head_start=float(policy.priority_head_start),
        target_growth=float(getattr(policy, "target_growth", 0.5)),
    )


def unit_of_services(branch: Any) -> dict[str, str]:
    return {s.code: u.code for u in branch.units for s in u.services}


def counters_from_branch(branch: Any, backups: int | None = None) -> list[Counter]:
    """The branch's counters, all open and idle, with the sub-services they serve (D4).

    A sub-service outside the counter's own unit written as a bare code (weight 1.0) is
    served as a backup, with the branch's `policy.backup_weight`. `backups=k` keeps only the
    first k backup units of each counter (in the order the file lists them): the simulator
    uses it to show what cross-training is worth without editing the branch file.
    """
    unit_of = unit_of_services(branch)
    backup_weight = float(branch.policy.backup_weight)
    out = []
    for counter in branch.counters:
        enabled = {s.code for s in branch.services if getattr(s, "enabled", True)}
        services: dict[str, float] = {}
        backup_units: list[str] = []
        for served in counter.services:
            if served.code not in enabled:
                continue
            unit = unit_of.get(served.code)
            primary = counter.unit is None or unit == counter.unit
            if not primary and unit not in backup_units:
                backup_units.append(unit)
            if not primary and backups is not None and backup_units.index(unit) >= backups:
                continue
            weight = float(served.weight)
            services[served.code] = backup_weight if not primary and weight >= 1.0 else weight
        out.append(Counter(counter.number, services))
    return out
