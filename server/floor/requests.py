"""A request opened at the counter (F3): the clerk's "done" with an answer to follow opens it, with
its due date in the branch's working days, as a `request.opened` event in the same write. Answering
it, and telling the visitor by SMS, is the visitors' side (server/visitors/follow_up.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.foundation.workdays import branch_calendar
from navbat.server.floor.queries import Row

if TYPE_CHECKING:
    from navbat.server.floor.floor import Write

DEFAULT_WORKING_DAYS = 10  # F3: never more than 10 working days, for a sub-service with no deadline of its own


def open_request(tx: Write, branch: Branch, ticket: Row, actor: str | None) -> None:
    """Inside the clerk's "done": the request with its due date, in the same transaction."""
    service = branch.service(ticket["service"])
    days = (service.answer_working_days if service else None) or DEFAULT_WORKING_DAYS
    unit = branch.unit_of(ticket["service"])
    opened = branch.branch_day(tx.now)
    due = branch_calendar(branch).add_working_days(opened, days)
    tx.emit(E.RequestOpened(
        ticket=ticket["id"], tracking_code=ticket["tracking_code"], number=ticket["number"],
        service=ticket["service"], unit=unit.code if unit else None, clerk=actor,
        opened_day=opened.isoformat(), due=due.isoformat(), working_days=days,
    ), actor=actor)
