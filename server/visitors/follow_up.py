"""Requests that leave the counter (F1, F3): opened when a visit ends "registered", answered
later by a back office, overdue after the end of their due day in the branch's time zone.

The due date is counted once, when the request is opened, in the branch's working days
(foundation/workdays.py), and kept in the `request.opened` event: a holidays file corrected
later never moves a promise already made to a visitor. `request.answered` carries what a text
message to the visitor needs (tracking code, number, result).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.foundation.wording import sms_text
from navbat.foundation.workdays import branch_calendar
from navbat.server.floor.queries import Row, dict_rows
from navbat.server.floor.refusals import Conflict, Invalid, NotFound

if TYPE_CHECKING:
    from navbat.server.floor.floor import Floor
    from navbat.server.visitors.sms import Outbox

RESULT_MAX = 500


def answer(floor: Floor, tracking_code: str, result: Any, actor: str | None,
           outbox: Outbox | None = None, page_url: str = "") -> Row:
    """Mark a request answered. A retry with the same result returns the same answer; another result is refused.
    A visitor who gave a mobile number (a remote turn, a booking) is told by SMS, queued in the same write."""
    if not isinstance(result, str) or not result.strip():
        raise Invalid("bad_result", "result must be a short text (1-500 characters)")
    result = " ".join(result.split())
    if len(result) > RESULT_MAX:
        raise Invalid("bad_result", "result must be a short text (1-500 characters)")
    with floor.write() as tx:
        req = request_row(floor.db, tracking_code)
        if req is None:
            raise NotFound("unknown_request", "no request has this tracking code")
        if req["answered_at"] is not None:
            if req["result"] == result:
                return req
            raise Conflict("already_answered", "this request was already answered")
        answered = floor.branch.branch_day(tx.now)
        due = dt.date.fromisoformat(req["due"])
        days = branch_calendar(floor.branch).working_days_between(dt.date.fromisoformat(req["opened_day"]), answered)
        tx.emit(E.RequestAnswered(
            ticket=req["ticket_id"], tracking_code=req["tracking_code"], number=req["number"],
            service=req["service"], unit=req["unit"], clerk=actor, result=result,
            due=req["due"], on_time=answered <= due, days_taken=max(days, 0),
        ), actor=actor)
        phone = visitor_phone(tx.db, req["ticket_id"])
        if outbox is not None and phone:
            link = f"{page_url.rstrip('/')}/t/{req['tracking_code']}"
            outbox.queue(tx, phone, sms_text("Your request {number} is answered: {result} Details: {link}",
                                         number=req["number"], result=result, link=link), "answered")
        return request_row(floor.db, tracking_code)  # type: ignore[return-value]


def visitor_phone(db: sqlite_utils.Database, ticket_id: int) -> str | None:
    """The mobile number a visitor gave for this visit: a remote turn's or a booking's (walk-ins give none)."""
    row = db.execute("SELECT phone FROM remote_phones WHERE ticket_id=? UNION ALL "
                     "SELECT c.phone FROM appointment_contacts c JOIN appointments a ON a.id = c.appointment_id "
                     "WHERE a.ticket_id=? LIMIT 1", [ticket_id, ticket_id]).fetchone()
    return row[0] if row else None


def request_row(db: sqlite_utils.Database, tracking_code: str) -> Row | None:
    rows = dict_rows(db, "SELECT * FROM requests WHERE tracking_code=?", [tracking_code])
    return rows[0] if rows else None


def state(req: Row, branch: Branch, now: dt.datetime) -> dict[str, Any]:
    """What the visitor and staff see: open | answered | overdue, the due day, working days left
    (0: due today; negative: working days late). Overdue from the first instant after the due
    day ends in the branch's time zone."""
    today, due = branch.branch_day(now), dt.date.fromisoformat(req["due"])
    answered = req["answered_at"] is not None
    left = None if answered else branch_calendar(branch).working_days_between(today, due)
    return {"state": "answered" if answered else ("overdue" if today > due else "open"), "due": req["due"],
            "answered_at": req["answered_at"], "result": req["result"], "days_left": left,
            "opened_day": req["opened_day"], "working_days": req["working_days"], "on_time":
            None if req["on_time"] is None else bool(req["on_time"])}


def for_ticket(db: sqlite_utils.Database, branch: Branch, ticket: Row, now: dt.datetime) -> dict[str, Any] | None:
    req = request_row(db, ticket["tracking_code"])
    return state(req, branch, now) if req is not None else None


def unanswered(db: sqlite_utils.Database, branch: Branch, now: dt.datetime) -> dict[str, Any]:
    """For the branch head: every open and overdue request, oldest first, and the counts per
    sub-service and unit (`open` includes the overdue ones)."""
    items, services, units = [], {}, {}
    for req in db.query("SELECT * FROM requests WHERE answered_at IS NULL ORDER BY opened_at, ticket_id"):
        view = {"tracking_code": req["tracking_code"], "number": req["number"], "service": req["service"],
                "unit": req["unit"], "opened_at": req["opened_at"], **state(req, branch, now)}
        items.append(view)
        for key, table in ((req["service"], services), (req["unit"], units)):
            counts = table.setdefault(key, {"open": 0, "overdue": 0})
            counts["open"] += 1
            counts["overdue"] += view["state"] == "overdue"
    return {"requests": items, "services": [{"code": k, **v} for k, v in services.items()],
            "units": [{"code": k, **v} for k, v in units.items()]}

