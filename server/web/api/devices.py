"""Kiosks report their printers' state; the branch head sees it."""

from __future__ import annotations

import re

from flask import Blueprint, Response, g, jsonify
from navbat.server.floor.queries import device_statuses
from navbat.server.floor.refusals import Invalid
from navbat.server.hub import current
from navbat.server.web.api.common import json_body, require

bp = Blueprint("devices", __name__)
STATUSES = ("ok", "offline", "paper_out", "paper_near_end", "error")
PRINTER_NAME = re.compile(r"^[A-Za-z0-9_-]{1,16}$")  # a printer's name in the branch file (config.Code)
MAX_DETAIL = 200


@bp.post("/devices/status")
@require("kiosk", "display")
def report() -> Response:
    body = json_body(("status",))
    printer, detail = body.get("printer"), body.get("detail")
    if body["status"] not in STATUSES:
        raise Invalid("bad_status", f"status must be one of {', '.join(STATUSES)}")
    if printer is not None and (not isinstance(printer, str) or not PRINTER_NAME.match(printer)):
        raise Invalid("bad_printer", "printer must be a printer's name from the branch file (1-16 of A-Z a-z 0-9 _ -)")
    if detail is not None and not isinstance(detail, str):
        raise Invalid("bad_field", "detail must be text")
    name = printer or g.who.name
    kind = "printer" if printer else g.who.role
    # Every device status is public (GET below) and in the event log for good: a short detail only.
    current().floor.report_device(name, kind, body["status"], (detail or "").strip()[:MAX_DETAIL], g.who.name)
    return jsonify({"name": name, "status": body["status"]})


@bp.get("/devices/status")
def status() -> Response:
    with current().read() as db:
        return jsonify({"devices": device_statuses(db)})
