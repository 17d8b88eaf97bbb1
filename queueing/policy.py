"""Which waiting visitor a window calls next: accumulating priority (V1, V2, D3).

Every waiting ticket's score grows linearly with its wait:

    score = (minutes waited / target wait of its sub-service)   # urgency
            × priority class weight                              # elderly 3, veteran 2, else 1
            × the window's skill weight for that sub-service     # primary 1, backup 0.5

The window calls the highest score among the sub-services it serves, all of a
sub-service's visitors forming one pooled line across windows. An elderly visitor
(weight 3) goes ahead of a regular one who has waited less than three times as long, but
never further: a regular visitor's score keeps growing, so nobody is starved, unlike
strict priority. A backup window takes its own unit's visitors first unless another
unit's have waited (relative to target) twice as long.
"""

from __future__ import annotations

from collections.abc import Sequence

from queueing.lines import group_heads
from queueing.model import Choice, Rules, WaitingTicket, Window


def score(ticket: WaitingTicket, skill: float, now: float, rules: Rules) -> float:
    waited = max(0.0, now - ticket.arrived_at) / 60.0
    return waited / rules.target(ticket.service) * rules.weight(ticket.priority) * skill


def choose_next(window: Window, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """The ticket `window` should call now, with the reason shown to the clerk; None if nobody waits.

    Ties (e.g. visitors who arrived this second) go to the faster-growing score, then the
    earlier arrival, then the lower id, so the choice is deterministic.
    """
    skills = window.skills
    best: WaitingTicket | None = None
    best_key: tuple[float, float, float, int] | None = None
    for t in group_heads(waiting, skills):
        skill = skills.get(t.service, 0.0)
        if skill <= 0:
            continue
        rate = rules.weight(t.priority) * skill / rules.target(t.service)
        key = (max(0.0, now - t.arrived_at) / 60.0 * rate, rate, -t.arrived_at, -t.id)
        if best_key is None or key > best_key:
            best, best_key = t, key
    if best is None or best_key is None:
        return None
    return Choice(best, best_key[0], explain(best, skills[best.service], now, rules))


def explain(ticket: WaitingTicket, skill: float, now: float, rules: Rules) -> str:
    """E.g. "waited 23 min of 20 target; elderly ×3; primary skill"."""
    waited = max(0.0, now - ticket.arrived_at) / 60.0
    parts = [f"waited {waited:.0f} min of {rules.target(ticket.service):g} target"]
    if ticket.priority:
        parts.append(f"{ticket.priority} ×{rules.weight(ticket.priority):g}")
    parts.append("primary skill" if skill >= 1.0 else f"backup skill ×{skill:g}")
    return "; ".join(parts)
