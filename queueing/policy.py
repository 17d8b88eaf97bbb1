"""Which waiting visitor a window calls next."""

from __future__ import annotations

from collections.abc import Sequence

from queueing.model import Choice, Rules, WaitingTicket, Window


def choose_next(window: Window, waiting: Sequence[WaitingTicket], now: float, rules: Rules) -> Choice | None:
    """Baseline: the longest-waiting ticket among the window's sub-services."""
    mine = [t for t in waiting if window.serves(t.service)]
    if not mine:
        return None
    oldest = min(mine, key=lambda t: (t.arrived_at, t.id))
    waited = (now - oldest.arrived_at) / 60
    return Choice(oldest, waited, f"longest waiting ({waited:.0f} min) among this window's services")
