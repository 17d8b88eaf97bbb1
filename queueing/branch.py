"""Bridge from the branch file (foundation.config.Branch, duck-typed) to the queueing rules.

Only attributes are read, so the engine stays importable without pydantic.
"""

from __future__ import annotations

from typing import Any

from queueing.model import Rules, Window


def rules_from_branch(branch: Any) -> Rules:
    """Priority weights, target waits and expected minutes from config/branches.yaml (D6, V2)."""
    services = list(branch.services)
    policy = branch.policy
    return Rules(
        priority_weights={p.code: float(p.weight) for p in branch.priority_classes},
        target_wait_min={s.code: float(s.target_wait_minutes) for s in services},
        expected_service_min={s.code: float(s.expected_minutes) for s in services},
        backup_skill_weight=float(policy.backup_skill_weight),
        # not in the branch schema yet; picked up if the file ever sets it
        priority_head_start=float(getattr(policy, "priority_head_start", Rules.priority_head_start)),
    )


def unit_of_services(branch: Any) -> dict[str, str]:
    return {s.code: u.code for u in branch.units for s in u.services}


def windows_from_branch(branch: Any, backups: int | None = None) -> list[Window]:
    """The branch's windows, all open and idle, with their skills (D4).

    A skill outside the window's own unit written as a bare code (weight 1.0) counts as a
    backup skill with the branch's `policy.backup_skill_weight`. `backups=k` keeps only the
    first k backup units of each window (in the order the file lists them): the simulator
    uses it to show what cross-training is worth without editing the branch file.
    """
    unit_of = unit_of_services(branch)
    backup_weight = float(branch.policy.backup_skill_weight)
    out = []
    for counter in branch.counters:
        enabled = {s.code for s in branch.services if getattr(s, "enabled", True)}
        skills: dict[str, float] = {}
        backup_units: list[str] = []
        for skill in counter.services:
            if skill.code not in enabled:
                continue
            unit = unit_of.get(skill.code)
            primary = counter.unit is None or unit == counter.unit
            if not primary and unit not in backup_units:
                backup_units.append(unit)
            if not primary and backups is not None and backup_units.index(unit) >= backups:
                continue
            weight = float(skill.weight)
            skills[skill.code] = backup_weight if not primary and weight >= 1.0 else weight
        out.append(Window(counter.number, skills))
    return out
