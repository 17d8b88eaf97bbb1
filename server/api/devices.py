"""Kiosks report their printers' state; the branch head sees it."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify

from server.api.common import json_body, require
from server.hub import current
from server.queries import device_statuses
from server.refusals import Invalid

bp = Blueprint("devices", __name__)
STATUSES = ("ok", "offline", "paper_out", "paper_near_end", "error")


@bp.post("/devices/status")
@require("kiosk", "display")
def report() -> Response:
    body = json_body(("status",))
    name = body.get("printer") or g.who.name
    if body["status"] not in STATUSES or not isinstance(name, str):
        raise Invalid("bad_status", f"status must be one of {', '.join(STATUSES)}")
    kind = "printer" if body.get("printer") else g.who.role
    current().floor.report_device(name, kind, body["status"], str(body.get("detail") or "")[:200], g.who.name)
    return jsonify({"name": name, "status": body["status"]})


@bp.get("/devices/status")
def status() -> Response:
    with current().read() as db:
        return jsonify({"devices": device_statuses(db)})
