"""Issuing tickets (kiosks) and looking them up by tracking code (F1)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request

from server.api.common import floor, json_body, require
from server.floor import FloorError

bp = Blueprint("tickets", __name__)


@bp.post("/tickets")
@require("kiosk", "head")
def issue():  # noqa: ANN201
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        raise FloorError(400, "idempotency_key_required", "send an Idempotency-Key header (1-100 characters)")
    body = json_body(("service",))
    service, priority = body["service"], body.get("priority")
    if not isinstance(service, str) or (priority is not None and not isinstance(priority, str)):
        raise FloorError(400, "bad_field", "service and priority must be strings")
    ticket, created = floor().issue_ticket(service, priority, key, g.who.name)
    return jsonify(ticket), 201 if created else 200


@bp.get("/tickets/<code>")
def lookup(code: str):  # noqa: ANN201
    return jsonify(floor().ticket(code.strip().upper()))


@bp.post("/tickets/<int:ticket_id>/cancel")
@require("head")
def cancel(ticket_id: int):  # noqa: ANN201
    return jsonify(floor().cancel(ticket_id, g.who.name))
