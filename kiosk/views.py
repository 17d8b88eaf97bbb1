"""What each kiosk screen shows, as plain data worded from the hub's answers (no state, no Kivy).

The hub derives every figure: GET /services gives each unit's and each sub-service's
waiting count, estimate and note (UnitSummary, ServiceSummary), and a ticket carries its
own estimate. Nothing is computed here; waits are worded by foundation.wording.wait_text,
the same words as the wall display's.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from navbat.foundation.persian import digits
from navbat.foundation.wording import wait_of
from navbat.kiosk import text


@dataclasses.dataclass(frozen=True)
class UnitCard:
    code: str
    title: str
    icon: str | None
    waiting: str
    estimate: str
    enabled: bool


@dataclasses.dataclass(frozen=True)
class ServiceRow:
    code: str
    title: str
    waiting: str
    estimate: str
    available: bool
    reason: str  # why it is unavailable; "" when available


@dataclasses.dataclass(frozen=True)
class PriorityOption:
    code: str | None  # None: no priority
    label: str
    selected: bool


@dataclasses.dataclass(frozen=True)
class ServiceView:
    title: str
    unit: str
    documents: list[str]
    steps: list[str]
    expected: str
    estimate: str
    priorities: list[PriorityOption]


@dataclasses.dataclass(frozen=True)
class TicketView:
    number: str
    service: str
    ahead: str
    estimate: str
    print_note: str
    print_ok: bool | None  # None while printing


def unit_card(unit: dict[str, Any], icon: str | None, lang: str) -> UnitCard:
    """A home-screen card from the hub's UnitSummary."""
    return UnitCard(unit["code"], unit["name"][lang], icon, text.waiting_count(unit["waiting"], lang),
                    wait_of(unit, lang), bool(unit["available"]))


def service_row(service: dict[str, Any], lang: str) -> ServiceRow:
    """A unit-screen row from the hub's ServiceSummary; a sub-service no counter gives today says so."""
    _ = text.translator(lang)
    available = bool(service["available"])
    return ServiceRow(service["code"], service["name"][lang], text.waiting_count(service["waiting"], lang),
                      wait_of(service, lang), available,
                      "" if available else _("No counter gives this service today"))


def service_view(service: dict[str, Any], priority_classes: list[dict[str, Any]], chosen: str | None,
                 lang: str) -> ServiceView:
    """The confirm screen: documents, steps, expected time (D6, D7), the wait and the priority choice."""
    _ = text.translator(lang)
    options = [PriorityOption(None, _("No priority"), chosen is None)]
    options += [PriorityOption(p["code"], p["name"][lang], chosen == p["code"]) for p in priority_classes]
    expected = _("Service takes about {minutes} minutes at the counter").format(
        minutes=digits(round(service["expected_minutes"]), lang))
    return ServiceView(service["name"][lang], service["unit_name"][lang],
                       [d[lang] for d in service["documents"]], [d[lang] for d in service["steps"]],
                       expected, wait_of(service, lang), options)


def ticket_view(ticket: dict[str, Any], printed: bool | None, lang: str) -> TicketView:
    """The ticket screen: the ticket's own number, place and estimate; `printed` None while printing."""
    _ = text.translator(lang)
    if printed is None:
        note = _("Printing your ticket…")
    elif printed:
        note = _("Please take your printed ticket.")
    else:
        note = _("The printer is not working. Please note your number or ask at the information desk.")
    name = ticket.get("service_name") or {}
    if ticket.get("offline"):  # issued alone: the hub has not placed it in line yet, so no figure is shown
        return TicketView(number=digits(ticket.get("number", ""), lang), service=name.get(lang) or ticket["service"],
                          ahead=_("Issued while the ticket system was not answering."),
                          estimate=_("The estimate will be on the wall when the system is back."),
                          print_note=note, print_ok=printed)
    return TicketView(
        number=digits(ticket.get("number", ""), lang),
        service=name.get(lang) or ticket.get("service", ""),
        ahead=text.people_ahead(ticket.get("people_ahead") or 0, lang),
        estimate=_("Estimated wait: {range}").format(range=wait_of(ticket, lang)),
        print_note=note, print_ok=printed)
