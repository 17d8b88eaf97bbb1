"""The API's JSON views of tickets, counters and sub-services, read from a snapshot."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import sqlite_utils
from navbat.foundation.wording import worded_wait
from navbat.server.floor import counter_actions, reasons, summaries
from navbat.server.floor.ahead import people_ahead as ahead_of
from navbat.server.floor.estimates import Waits
from navbat.server.floor.queries import Row, counter_row, counter_services, ticket_row
from navbat.server.floor.times import parse_iso
from navbat.server.hub import Hub
from navbat.server.visitors import follow_up, remote_sweep
from navbat.server.web import auth

TICKET_FIELDS = ("id", "number", "service", "priority", "state", "tracking_code", "issued_at", "counter", "called_at",
                 "recalls", "transfers", "outcome", "reason")


def ticket(hub: Hub, row: Row, settle: bool = False, db: sqlite_utils.Database | None = None) -> dict[str, Any]:
    """A ticket: state, position and estimate while waiting, counter when called (F1). `db`: a
    snapshot the caller holds (one for the whole view: each snapshot is a BEGIN and a COMMIT)."""
    if db is None:
        waits = (hub.estimates.settled(1.0) if settle else hub.estimates.latest()) if row["state"] in WAITS else None
        with hub.read() as db:
            return _ticket(hub, row, db, waits)
    return _ticket(hub, row, db, None, settle)


WAITS = ("waiting", "remote")  # a remote turn (issue 18) waits away from the branch


def _ticket(hub: Hub, row: Row, db: sqlite_utils.Database, waits: Waits | None, settle: bool = False,
            ) -> dict[str, Any]:
    out = {k: row[k] for k in TICKET_FIELDS}
    # why it was called: the engine's codes, and the words each console shows (server/floor/reasons.py)
    out["reason"] = reasons.stored(row["reason"])
    out["reason_text"] = reasons.reason_text(out["reason"], hub.branch)
    out["unit"] = (u.code if (u := hub.branch.unit_of(row["service"])) else None)
    out["appointment"] = appointment_of(hub, row["id"], db)  # issue 18: the counter marks appointments
    out["remote"] = remote_sweep.info(db, hub.branch, row)  # a turn taken from a phone (issue 18); else None
    out["position"] = out["people_ahead"] = out["people_ahead_range"] = None
    out["estimated_wait_minutes"] = out["estimated_wait"] = out["wait_note"] = out["opens_at"] = None
    if row["state"] in WAITS:
        # A ticket newer than the last replay is told what a newcomer was told a moment ago.
        if waits is None:
            waits = hub.estimates.settled(1.0) if settle else hub.estimates.latest()
        waiting, newcomers = waits
        mine = waiting.get(row["id"])
        told = ahead_of(waits, db, row)  # the one count: SMS, kiosk and page agree (issue 24)
        facts = summaries.Facts.read(db, hub.branch, newcomers, hub.clock(), not hub.ignore_hours, hub.floor.derived)
        ahead, out["people_ahead_range"] = told.count, told.as_range()
        out["people_ahead"], out["position"] = ahead, ahead + 1
        est = mine or newcomers.get(row["service"])
        shown, out["wait_note"], out["opens_at"] = summaries.honest_wait(row["service"], facts, est, ahead)
        if shown is not None:
            out["estimated_wait"], out["estimated_wait_minutes"] = shown, shown["minutes"]
    # the wait in words, as every screen says it; None once the visitor no longer waits
    out["wait_text"] = worded_wait(out) if row["state"] in ("waiting", "remote") else None
    out["waited_minutes"] = (max(0, round((parse_iso(row["called_at"]) - parse_iso(row["issued_at"])).total_seconds()
                                          / 60)) if row["called_at"] else None)  # until called, for the clerk
    return out


def appointment_of(hub: Hub, ticket_id: int, db: sqlite_utils.Database | None = None) -> dict[str, Any] | None:
    """The booked slot a ticket was checked in for, if any: {"code", "date", "start"}."""
    if db is None:
        with hub.read() as db:
            return appointment_of(hub, ticket_id, db)
    row = db.execute("SELECT code, day, start FROM appointments WHERE ticket_id=?", [ticket_id]).fetchone()
    return {"code": row[0], "date": row[1], "start": row[2]} if row else None


def visitor_ticket(hub: Hub, row: Row, settle: bool = False, db: sqlite_utils.Database | None = None,
                   ) -> dict[str, Any]:
    """The ticket as its holder gets it (the kiosk's answer, the tracking code's lookup): with
    the names a printed slip shows, so every copy of the slip says what the hub says. `db`: read
    there (the issuing transaction: Floor.issue_answered); else from a snapshot of its own."""
    waits = (hub.estimates.settled(1.0) if settle else hub.estimates.latest()) if row["state"] in WAITS else None
    with hub.read() if db is None else nullcontext(db) as snapshot:  # one snapshot for the whole answer
        out = _ticket(hub, row, snapshot, waits)
        out["request"] = follow_up.for_ticket(snapshot, hub.branch, row, hub.clock())  # a visit that ended "registered"
    b = hub.branch
    service, unit = b.service(row["first_service"]) or b.service(row["service"]), b.unit_of(row["first_service"])
    pclass = b.priority(row["priority"]) if row["priority"] else None
    out.update(branch_name=b.branch.name.model_dump(), service_name=service.name.model_dump() if service else None,
               unit_name=unit.name.model_dump() if unit else None,
               priority_name=pclass.name.model_dump() if pclass else None,
               documents=[d.model_dump() for d in service.documents] if service else [],
               timezone=b.branch.timezone)
    return out


def ticket_by_code(hub: Hub, tracking_code: str) -> dict[str, Any]:
    """A visitor looking up their ticket (F1) may wait a moment for the latest estimate."""
    with hub.read() as db:
        row = ticket_row(db, tracking_code=tracking_code)
    return visitor_ticket(hub, row, settle=True)


def ticket_by_id(hub: Hub, ticket_id: int) -> dict[str, Any]:
    with hub.read() as db:
        return ticket(hub, ticket_row(db, ticket_id), db=db)


def counter(hub: Hub, number: int) -> dict[str, Any]:
    """A counter: its clerk's username for staff (the API strips it for anyone else) and the
    display name the branch gave the clerk, for everyone."""
    with hub.read() as db:
        row = counter_row(db, hub.branch, number)
        current_row = ticket_row(db, row["current_ticket"]) if row["current_ticket"] else None
        current = ticket(hub, current_row) if current_row else None
        clerk_name = auth.display_name(db, row["clerk"])
    # what the clerk may do now, from the floor's own rule: the console draws its buttons from it
    may = counter_actions.actions(number, row["state"], current_row, hub.clock())
    if current:
        current.pop("tracking_code", None)
    cfg = hub.branch.counter(number)
    return {"number": number, "name": cfg.name.model_dump(), "unit": cfg.unit,
            "services": [{"code": c, "weight": w} for c, w in counter_services(row, hub.branch).items()],
            "state": row["state"], "clerk": row["clerk"], "clerk_name": clerk_name, "current_ticket": current,
            "actions": may}


def counters(hub: Hub) -> list[dict[str, Any]]:
    with hub.read():  # one snapshot for the whole list
        return [counter(hub, c.number) for c in hub.branch.counters]


def services(hub: Hub) -> dict[str, Any]:
    """Every sub-service's catalogue entry (D6) with its live summary, and every unit's summary."""
    newcomers = hub.estimates.settled(1.0)[1]  # kiosks poll this: a fresh answer beats a fast one
    with hub.read() as db:
        facts = summaries.Facts.read(db, hub.branch, newcomers, hub.clock(), not hub.ignore_hours,
                                        hub.floor.derived)
    queue = summaries.summarise(hub.branch, facts)
    live = {s["code"]: s for s in queue["services"]}
    items = []
    for unit in hub.branch.units:
        for s in unit.services:
            items.append({
                "code": s.code, "name": s.name.model_dump(), "unit": unit.code, "unit_name": unit.name.model_dump(),
                "documents": [d.model_dump() for d in s.documents], "steps": [d.model_dump() for d in s.steps],
                "responsible": s.responsible.model_dump() if s.responsible else None,
                "expected_minutes": s.expected_minutes, "target_wait_minutes": s.target_wait_minutes,
                "counters": [r["number"] for r in facts.serving[s.code]], **live[s.code]})
    return {"services": items, "units": queue["units"]}
