"""Tickets printed without a hub: `navbat printer test/preview`, the kiosk printer's warm-up, docs, benchmarks.

They go through the one slip path (printer.slip.slip_from_ticket) like every real ticket:
`hub_ticket` writes, from the branch file, the ticket JSON the hub would have returned.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from navbat.foundation.config import Branch
from navbat.printer.slip import TicketSlip, slip_from_ticket

DEMO_HUB = "http://127.0.0.1:8080"


def hub_ticket(branch: Branch, service: str, priority: str | None = None, **fields: Any) -> dict[str, Any]:
    """A ticket shaped like the hub's POST /api/v1/tickets answer, its names taken from `branch`.

    `fields` replaces the figures (number, people_ahead, estimated_wait, tracking_code, issued_at, ...).
    """
    svc, unit = branch.service(service), branch.unit_of(service)
    if svc is None or unit is None:
        raise ValueError(f'no sub-service "{service}" in the branch file')
    pclass = branch.priority(priority) if priority else None
    if priority and pclass is None:
        raise ValueError(f'no priority class "{priority}" in the branch file')
    return {
        "id": 0, "number": svc.numbering.format(1), "service": svc.code, "unit": unit.code, "priority": priority,
        "state": "waiting", "tracking_code": "TEST0001",
        "issued_at": dt.datetime.now(dt.UTC).isoformat().replace("+00:00", "Z"),
        "people_ahead": 0, "estimated_wait_minutes": None, "estimated_wait": None,
        "branch_name": branch.branch.name.model_dump(), "service_name": svc.name.model_dump(),
        "unit_name": unit.name.model_dump(), "priority_name": pclass.name.model_dump() if pclass else None,
        "documents": [d.model_dump() for d in svc.documents], "timezone": branch.branch.timezone,
        **fields,
    }


def demo_ticket(branch: Branch, when: dt.datetime | None = None) -> dict[str, Any]:
    """The branch's first sub-service with its first priority class, four people ahead, an estimate."""
    service = branch.services[0]
    when = when or dt.datetime.now(dt.UTC)
    return hub_ticket(
        branch, service.code, branch.priority_classes[0].code if branch.priority_classes else None,
        number=service.numbering.format(12), people_ahead=4, estimated_wait_minutes=12.0,
        estimated_wait={"minutes": 12.0, "low": 7.2, "high": 18.0}, tracking_code="TEST0012",
        issued_at=when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"))


def demo_slip(
    branch: Branch, when: dt.datetime | None = None, hub_url: str = DEMO_HUB, lang: str = "fa", specimen: bool = False
) -> TicketSlip:
    """The demo ticket; `specimen` adds the "printer test: not a valid ticket" line."""
    slip = slip_from_ticket(demo_ticket(branch, when), hub_url, lang)
    return dataclasses.replace(slip, specimen=True) if specimen else slip
