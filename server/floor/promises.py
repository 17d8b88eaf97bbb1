"""The wait each ticket was promised (issue 24): the range its holder was given when the ticket was
issued or checked in (the kiosk's slip, the screen), kept in the log as `ticket.promised`, once per
ticket, so the reports can say how often the printed range held (server/reports/promises.py).

The range is taken from the very answer the kiosk printed (views.visitor_ticket), not worked out
again, so what is measured is what the visitor read.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from navbat.foundation import event_types as E

if TYPE_CHECKING:
    from navbat.server.floor.floor import Floor


def fact(shown: dict[str, Any]) -> E.TicketPromised | None:
    """The promise in `shown` (a visitor_ticket answer): None when the ticket is not waiting or no
    range was given (no counter open: said in words, no number)."""
    est = shown.get("estimated_wait")
    if shown.get("state") != "waiting" or not isinstance(est, dict) or est.get("low") is None:
        return None
    return E.TicketPromised(shown["id"], shown["service"], est["low"], est["high"], est.get("minutes"),
                            shown.get("wait_note"))


def keep(floor: Floor, shown: dict[str, Any], actor: str) -> bool:
    """Log the range in `shown` for its ticket, unless one is kept already or it holds no promise
    (a check-in's answer; a new kiosk ticket's promise is logged in its own commit: Floor.issue_answered)."""
    promised = fact(shown)
    if promised is None:
        return False
    with floor.write() as tx:
        if tx.db.execute("SELECT 1 FROM events WHERE type=? AND ticket_id=?",
                         [E.TICKET_PROMISED, shown["id"]]).fetchone():
            return False
        tx.emit(promised, actor=actor)
    return True
