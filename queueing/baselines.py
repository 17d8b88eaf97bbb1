"""The call rules Navbat is compared with in `navbat simulate` (same signature as choose_next)."""

from __future__ import annotations

from collections.abc import Sequence

from queueing.lines import group_heads
from queueing.model import Choice, Rules, WaitingTicket, Window


def oldest_first(window: Window, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """What FQM does: the longest-waiting ticket among the window's sub-services, no priority."""
    heads = [t for t in group_heads(waiting, window.skills) if window.serves(t.service)]
    if not heads:
        return None
    t = min(heads, key=lambda t: (t.arrived_at, t.id))
    return Choice(t, (now - t.arrived_at) / 60.0, "longest waiting")


def strict_priority(window: Window, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """Highest priority class first (however long others wait), then the longest waiting."""
    heads = [t for t in group_heads(waiting, window.skills) if window.serves(t.service)]
    if not heads:
        return None
    t = min(heads, key=lambda t: (-rules.weight(t.priority), t.arrived_at, t.id))
    return Choice(t, rules.weight(t.priority), "highest priority class, then longest waiting")


def own_line(window: Window, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """One line per window (a branch without a system): the first visitor standing in this window's line."""
    mine = [t for t in group_heads(waiting) if t.line == window.number]
    if not mine:
        return None
    t = min(mine, key=lambda t: (t.arrived_at, t.id))
    return Choice(t, (now - t.arrived_at) / 60.0, "first in this window's line")
