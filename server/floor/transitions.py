"""How a ticket changes with each event: the floor's one set of state transitions.

Pure functions over plain dicts (a `tickets` row). The floor's projection writes their
result to the `tickets` table; the reports fold a month of events through the same
functions, so a report can never count a visit differently from how the floor saw it.
"""

from __future__ import annotations

from typing import Any

from navbat.foundation import event_types as E

ACTIVE = ("called", "serving")  # at a counter
LIVE = ("waiting", *ACTIVE)
HELD = (*LIVE, "remote")  # hold their number: a remote turn (issue 18) waits to check in
FINAL = {E.TICKET_DONE: "done", E.TICKET_NO_SHOW: "no_show", E.TICKET_CANCELLED: "cancelled"}


def issued(data: dict[str, Any], at: str) -> dict[str, Any]:
    """A new ticket's row from its ticket.issued event. A ticket a kiosk issued alone (issue 26) carries
    its real issue time, and takes its place in line by it, not by when it was merged."""
    at = data.get("issued_at") or at
    return {
        "id": data["ticket"], "branch_day": data.get("branch_day"), "service": data["service"],
        "first_service": data["service"], "seq": data.get("seq"), "number": data["number"],
        "priority": data.get("priority"), "tracking_code": data.get("tracking_code"),
        "state": "remote" if data.get("channel") == "remote" else "waiting",
        "idempotency_key": data.get("idempotency_key"), "device": data.get("device"),
        "issued_at": at, "arrived_at": at, "called_at": None, "started_at": None, "finished_at": None,
        "counter": None, "clerk": None, "recalls": 0, "transfers": 0, "outcome": None, "reason": None,
    }


def ticket_after(ticket: dict[str, Any], type_: str, data: dict[str, Any], at: str) -> dict[str, Any]:
    """The ticket after one of its events (other than ticket.issued); the input is not changed."""
    t = dict(ticket)
    if type_ == E.TICKET_CALLED:
        t.update(state="called", counter=data["counter"], clerk=data.get("clerk"), called_at=at, started_at=None,
                 reason=data.get("reason"))
    elif type_ == E.TICKET_RECALLED:
        t["recalls"] += 1
    elif type_ == E.TICKET_CHECKED_IN:  # a remote turn at the branch: callable, in the place it joined at
        t["state"] = "waiting"
    elif type_ == E.TICKET_UNCALLED:
        # a call taken back (issue 24): in line again in the place it had, as if never called
        t.update(state="waiting", counter=None, clerk=None, called_at=None, started_at=None, reason=None)
    elif type_ == E.TICKET_STARTED:
        t.update(state="serving", started_at=at)
    elif type_ in FINAL:
        t.update(state=FINAL[type_], finished_at=at, outcome=data.get("outcome"))
    elif type_ == E.TICKET_TRANSFERRED:
        # back in line for the other sub-service, keeping its place (arrived_at is unchanged)
        t.update(state="waiting", service=data["service"], counter=None, called_at=None, started_at=None,
                 transfers=t["transfers"] + 1)
    return t


def leaves_counter(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The event ended the ticket's stretch at a counter (done, no-show, transfer, cancel, a call taken back)."""
    return before["state"] in ACTIVE and (after["state"] not in ACTIVE)
