"""A full demo ticket (priority class, documents, QR, barcode) for `navbat printer test`, docs and benchmarks."""

from __future__ import annotations

import dataclasses
import datetime as dt

from foundation.config import Branch
from printer.slip import TicketSlip, slip_from_ticket

DEMO_HUB = "http://127.0.0.1:8080"


def demo_ticket(branch: Branch, when: dt.datetime | None = None) -> dict:
    """A ticket as the hub's POST /api/v1/tickets would return it, for the branch's first sub-service."""
    service = branch.services[0]
    when = when or dt.datetime.now(dt.UTC)
    return {
        "id": 0,
        "number": service.numbering.format(12),
        "service": service.code,
        "priority": branch.priority_classes[0].code if branch.priority_classes else None,
        "people_ahead": 4,
        "estimated_wait_minutes": 12.0,
        "estimated_wait": {"minutes": 12.0, "low": 7.2, "high": 18.0},
        "tracking_code": "TEST0012",
        "issued_at": when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
    }


def demo_slip(
    branch: Branch, when: dt.datetime | None = None, hub_url: str = DEMO_HUB, lang: str = "fa", specimen: bool = False
) -> TicketSlip:
    """The demo ticket; `specimen` adds the "printer test: not a valid ticket" line."""
    slip = slip_from_ticket(demo_ticket(branch, when), branch, hub_url, lang)
    return dataclasses.replace(slip, specimen=True) if specimen else slip
