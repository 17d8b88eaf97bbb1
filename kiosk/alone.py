"""A ticket issued by the kiosk alone (issue 26): from its lease, in the journal, shaped like the hub's.

The view-model calls `issue` when the hub does not answer within `ALONE_AFTER` (or at once while it
knows it is alone). The ticket is written to the journal before anything is shown or printed, and
carries the names the slip prints from the last branch data the hub sent: the sub-service, its
unit, documents and steps. It has no place in line and no estimate: the hub has not seen it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from navbat.foundation.hub_client import HubUnreachable
from navbat.kiosk import text
from navbat.kiosk.journal import Journal, NoNumber

# (connect, read) seconds the hub has to answer a ticket before a kiosk with a lease issues alone: the
# visitor waits at most their sum longer than usual, once (issue 26: at most 3 s).
ALONE_AFTER = (1.0, 2.0)
NO_LEASE = "no_lease"  # HubUnreachable's message when no lease of the sub-service has a number left


def branch_day(branch: dict[str, Any] | None) -> str:
    """The branch's day now, in its time zone: a lease is good for that day only."""
    zone = ZoneInfo((branch or {}).get("timezone") or "Asia/Tehran")
    return dt.datetime.now(zone).date().isoformat()


def banner(lang: str) -> str:
    """The line every screen shows while the kiosk works alone."""
    return text.translator(lang)("Working alone: the ticket system is not answering. Tickets are still given; "
                                 "the estimate will be on the wall when the system is back.")


def issue(journal: Journal, job: tuple[str, str | None, str], branch: dict[str, Any] | None,
          services: list[dict[str, Any]], unanswered: bool = False) -> dict[str, Any] | HubUnreachable:
    """The visit's ticket from the lease (any thread), or HubUnreachable(NO_LEASE).

    Its key is the visit's with ".alone". `unanswered`: the hub was asked under the visit's key and did
    not answer; if it did act, it holds a ticket the visitor never got. The journal keeps that key and
    sends it with the ticket (`unanswered_key`) so the hub can withdraw that one."""
    service, priority, key = job
    try:
        row = journal.issue(f"{key}.alone", service, priority, branch_day(branch),
                            unanswered_key=key if unanswered else None)
    except NoNumber:
        return HubUnreachable(NO_LEASE)
    return ticket(row, branch or {}, next(s for s in services if s["code"] == service))


def ticket(row: dict[str, Any], branch: dict[str, Any], svc: dict[str, Any]) -> dict[str, Any]:
    """A journal's ticket in the shape of the hub's answer, with `offline` set and no tracking code."""
    pclass = next((p for p in branch.get("priority_classes", []) if p["code"] == row["priority"]), None)
    return {"offline": True, "id": None, "idempotency_key": row["idempotency_key"], "lease": row["lease"],
            "number": row["number"], "service": row["service"], "priority": row["priority"],
            "priority_name": pclass["name"] if pclass else None, "issued_at": row["issued_at"],
            "branch_name": branch.get("name"), "service_name": svc["name"], "unit_name": svc["unit_name"],
            "documents": svc["documents"], "steps": svc["steps"], "timezone": branch.get("timezone"),
            "tracking_code": "", "people_ahead": None, "estimated_wait": None}
