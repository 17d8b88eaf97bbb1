"""The one count of people ahead of a waiting ticket (issue 24): the tracking page, the kiosk's
answer, the check-in, the slip and every SMS read it here, so they never disagree.

People ahead are those the counters serving the ticket will call first, priority and every
counter considered: the replays' median (`queueing.Estimate.people_ahead`). A ticket newer than
the last replay is told what a newcomer was told, plus the tickets that joined after that replay
and stand before it; with no replay at all, or for a ticket merged from a kiosk's journal that arrived
before some the replay counted (issue 26), those waiting before it for its sub-service.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from navbat.server.floor.estimates import Waits

IN_LINE = ("waiting", "remote")  # a remote turn holds its place from joining (issue 18)


@dataclass(frozen=True)
class Ahead:
    count: int
    low: int | None = None  # the range over the replays, when the ticket was replayed
    high: int | None = None

    def as_range(self) -> dict[str, int] | None:
        return None if self.low is None or self.high is None else {"low": self.low, "high": self.high}


def _before_the_replayed(db: Any, ticket: dict[str, Any], per_ticket: dict[int, Any]) -> bool:
    """Whether some ticket the replay counted arrived after this one: a ticket a kiosk issued alone and
    merged later (issue 26) stands by its issue time, not at the back where a newcomer would."""
    if not per_ticket:
        return False
    later = db.execute(
        f"SELECT id FROM tickets WHERE state IN ({','.join('?' * len(IN_LINE))}) AND service=? "  # noqa: S608
        "AND (arrived_at, id) > (?, ?)", [*IN_LINE, ticket["service"], ticket["arrived_at"], ticket["id"]])
    return any(r[0] in per_ticket for r in later)


def people_ahead(waits: Waits | None, db: Any, ticket: dict[str, Any]) -> Ahead:
    """People ahead of `ticket` (a row of `tickets` waiting or remote) given the replays `waits`
    (`Estimates.latest()`, `settled()` or None before the first)."""
    per_ticket, newcomers = waits if waits is not None else ({}, {})
    mine = per_ticket.get(ticket["id"])
    if mine is not None:
        return Ahead(round(mine.people_ahead), round(mine.ahead_low), round(mine.ahead_high))
    before = [r[0] for r in db.execute(
        f"SELECT id FROM tickets WHERE state IN ({','.join('?' * len(IN_LINE))}) AND service=? "  # noqa: S608
        "AND (arrived_at, id) < (?, ?)", [*IN_LINE, ticket["service"], ticket["arrived_at"], ticket["id"]])]
    newcomer = newcomers.get(ticket["service"])
    if newcomer is None or _before_the_replayed(db, ticket, per_ticket):
        return Ahead(len(before))
    joined = sum(1 for i in before if i not in per_ticket)
    # those the replay counted for its sub-service who have left the line since (called, cancelled,
    # yesterday's expired at the day's first change) stand before nobody now
    replayed = list(per_ticket)
    left = db.execute(
        f"SELECT count(*) FROM tickets WHERE service=? AND state NOT IN ({','.join('?' * len(IN_LINE))}) "  # noqa: S608
        f"AND id IN (SELECT value FROM json_each(?))", [ticket["service"], *IN_LINE, json.dumps(replayed)]
    ).fetchone()[0] if replayed else 0
    return Ahead(max(round(newcomer.people_ahead) - left, 0) + joined)
