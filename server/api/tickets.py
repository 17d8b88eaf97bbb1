"""Issuing tickets (kiosks) and looking them up by tracking code (F1)."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from navbat.server import views
from navbat.server.api.common import json_body, require
from navbat.server.hub import current
from navbat.server.refusals import Invalid

bp = Blueprint("tickets", __name__)


@bp.post("/tickets")
@require("kiosk", "head")
def issue() -> tuple[Response, int]:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        raise Invalid("idempotency_key_required", "send an Idempotency-Key header (1-100 characters)")
    body = json_body(("service",))
    service, priority = body["service"], body.get("priority")
    if not isinstance(service, str) or (priority is not None and not isinstance(priority, str)):
        raise Invalid("bad_field", "service and priority must be strings")
    hub = current()
    row, created = hub.floor.issue_ticket(service, priority, key, g.who.name)
    # The view (with its estimate) is built after the write: replays never hold the write lock.
    return jsonify(views.visitor_ticket(hub, row)), 201 if created else 200


@bp.get("/tickets/<code>")
def lookup(code: str) -> Response:
    return jsonify(views.ticket_by_code(current(), code.strip().upper()))


@bp.post("/tickets/<int:ticket_id>/cancel")
@require("head")
def cancel(ticket_id: int) -> Response:
    hub = current()
    return jsonify(views.ticket(hub, hub.floor.cancel(ticket_id, g.who.name)))
