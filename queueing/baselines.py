"""The call rules Navbat is compared with in `navbat simulate` (same signature as choose_next)."""

from __future__ import annotations

from collections.abc import Sequence

from navbat.queueing.lines import group_heads
from navbat.queueing.model import Choice, Counter, Reason, Rules, WaitingTicket


def oldest_first(counter: Counter, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """What FQM does: the longest-waiting ticket among the counter's sub-services, no priority."""
    heads = [t for t in group_heads(waiting, counter.services) if counter.serves(t.service)]
    if not heads:
        return None
    t = min(heads, key=lambda t: (t.arrived_at, t.id))
    return Choice(t, (now - t.arrived_at) / 60.0, (Reason("longest_waiting"),))


def strict_priority(counter: Counter, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """Highest priority class first (however long others wait), then the longest waiting."""
    heads = [t for t in group_heads(waiting, counter.services) if counter.serves(t.service)]
    if not heads:
        return None
    t = min(heads, key=lambda t: (-rules.weight(t.priority), t.arrived_at, t.id))
    return Choice(t, rules.weight(t.priority), (Reason("highest_priority"),))


def own_line(counter: Counter, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """One line per counter (a branch without a system): the first visitor standing in this counter's line."""
    mine = [t for t in group_heads(waiting) if t.line == counter.number]
    if not mine:
        return None
    t = min(mine, key=lambda t: (t.arrived_at, t.id))
    return Choice(t, (now - t.arrived_at) / 60.0, (Reason("own_line"),))
