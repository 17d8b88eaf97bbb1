"""The branch and its sub-services with their live summaries (D6)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from navbat.foundation.wall import wall_settings
from navbat.server.hub import current
from navbat.server.web import views

bp = Blueprint("services", __name__)


@bp.get("/services")
def services() -> Response:
    return jsonify(views.services(current()))


@bp.get("/branch")
def branch() -> Response:
    """What a kiosk or display needs to draw itself: names, units, priority classes, hours, and each
    wall's directions to the counters (none given, no arrows)."""
    hub = current()
    b, now = hub.branch, hub.clock()
    opens = b.next_opening(now)
    return jsonify({
        "id": b.branch.id, "name": b.branch.name.model_dump(), "timezone": b.branch.timezone,
        "open_now": hub.ignore_hours or b.is_open(now),
        "next_opening": opens.isoformat() if opens else None,
        "opening_hours": b.branch.opening_hours,
        "units": [{"code": u.code, "name": u.name.model_dump(), "icon": u.icon,
                   "services": [s.code for s in u.services]} for u in b.units],
        "priority_classes": [{"code": p.code, "name": p.name.model_dump()} for p in b.priority_classes],
        "displays": [{"name": d.name, "directions": {str(n): way for n, way in d.directions.items()}}
                     for d in b.displays if d.kind == "wall"],
        "wall": wall_settings(),  # how many earlier calls a wall lists, how old a call it still speaks
    })
