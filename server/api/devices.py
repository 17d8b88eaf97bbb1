"""Kiosks report their printers' state; the branch head sees it."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from server.api.common import floor, json_body, require
from server.floor import FloorError

bp = Blueprint("devices", __name__)
STATUSES = ("ok", "offline", "paper_out", "paper_near_end", "error")


@bp.post("/devices/status")
@require("kiosk", "display")
def report():  # noqa: ANN201
    body = json_body(("status",))
    name = body.get("printer") or g.who.name
    if body["status"] not in STATUSES or not isinstance(name, str):
        raise FloorError(400, "bad_status", f"status must be one of {', '.join(STATUSES)}")
    kind = "printer" if body.get("printer") else g.who.role
    floor().report_device(name, kind, body["status"], str(body.get("detail") or "")[:200], g.who.name)
    return jsonify({"name": name, "status": body["status"]})


@bp.get("/devices/status")
def status():  # noqa: ANN201
    return jsonify({"devices": list(floor().db.query("SELECT * FROM device_status ORDER BY name"))})
