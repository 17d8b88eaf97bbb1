"""The branch's sub-services with their live waiting counts and estimates (D6)."""

from __future__ import annotations

from flask import Blueprint, jsonify

from server.api.common import floor

bp = Blueprint("services", __name__)


@bp.get("/services")
def services():  # noqa: ANN201
    return jsonify({"services": floor().services()})


@bp.get("/branch")
def branch():  # noqa: ANN201
    """What a kiosk or display needs to draw itself: names, units, priority classes, hours."""
    f = floor()
    b = f.branch
    now = f.clock()
    opens = b.next_opening(now)
    return jsonify({
        "id": b.branch.id, "name": b.branch.name.model_dump(), "timezone": b.branch.timezone,
        "open_now": f.ignore_hours or b.is_open(now),
        "next_opening": opens.isoformat() if opens else None,
        "opening_hours": b.branch.opening_hours,
        "units": [{"code": u.code, "name": u.name.model_dump(), "icon": u.icon,
                   "services": [s.code for s in u.services]} for u in b.units],
        "priority_classes": [{"code": p.code, "name": p.name.model_dump()} for p in b.priority_classes],
    })
