"""Appointments (issue 18 B): a day's free slots, booking with a phone's code, cancel, check in."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from navbat.server.floor import promises
from navbat.server.hub import current
from navbat.server.visitors import appointment_shares, appointments, verify
from navbat.server.web import views
from navbat.server.web.api.common import json_body, require

bp = Blueprint("appointments", __name__)


@bp.get("/appointments/slots")
def slots() -> Response:
    hub = current()
    service, day = request.args.get("service"), request.args.get("date")
    return jsonify({"service": service, "date": day,
                    "slots": appointments.slots(hub.read, hub.branch, hub.estimates.rules, hub.clock, service, day)})


@bp.post("/appointments")
def book() -> tuple[Response, int]:
    body = json_body(("service", "date", "start", "phone", "code"))
    hub = current()
    # the slot is checked before the code, so a full slot does not cost the visitor a try
    appointments.slots(hub.read, hub.branch, hub.estimates.rules, hub.clock, body["service"], body["date"])
    phone = verify.check_code(hub.floor, body["phone"], body["code"])
    row = appointments.book(hub.floor, hub.branch, hub.estimates.rules, body["service"], body["date"], body["start"],
                            phone, prove=lambda tx: verify.use_code(tx, phone),
                            address=request.remote_addr or "unknown")
    return jsonify(appointments.public(row)), 201


@bp.get("/appointments/<code>")
def lookup(code: str) -> Response:
    with current().read() as db:
        return jsonify(appointments.public(appointments.appointment_row(db, code)))


@bp.post("/appointments/<code>/cancel")
def cancel(code: str) -> Response:
    # the booking's code is its key (8 letters of 32, sent to its phone): whoever holds it may cancel
    return jsonify(appointments.public(appointments.cancel(current().floor, code)))


@bp.post("/appointments/<code>/check-in")
@require("kiosk", "clerk", "head")
def check_in(code: str) -> tuple[Response, int]:
    hub = current()
    row, created = appointments.check_in(hub.floor, hub.branch, code, g.who.name)
    shown = views.visitor_ticket(hub, row)
    promises.keep(hub.floor, shown, g.who.name)  # the range on its check-in slip (issue 24), kept once
    return jsonify(shown), 201 if created else 200


@bp.get("/appointments/today")
@require("head")
def today() -> Response:
    """Today's bookings per slot and the appointments' no-show rate (the head console)."""
    hub = current()
    return jsonify(appointments.today_view(hub.read, hub.branch, hub.clock))


@bp.get("/appointments/shares")
@require("head")
def shares() -> Response:
    """The share of each sub-service's plan kept for appointments (the head console)."""
    hub = current()
    with hub.read() as db:
        return jsonify(appointment_shares.view(db, hub.branch))


@bp.put("/appointments/shares")
@require("head")
def set_shares() -> Response:
    hub = current()
    return jsonify(appointment_shares.set_shares(hub.floor, hub.branch, json_body()))
