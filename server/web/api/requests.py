"""Requests answered later (F1, F3): staff mark one answered; the branch head lists the open ones."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from navbat.server.hub import current
from navbat.server.visitors import follow_up
from navbat.server.web.api.common import json_body, require

bp = Blueprint("requests_api", __name__)


@bp.post("/requests/<code>/answer")
@require("clerk", "head")
def answer(code: str) -> Response:
    body = json_body(("result",))
    hub = current()
    req = follow_up.answer(hub.floor, code.strip().upper()[:32], body["result"], g.who.name,
                           hub.outbox, request.host_url)
    return jsonify({"tracking_code": req["tracking_code"], "number": req["number"], "service": req["service"],
                    **follow_up.state(req, hub.branch, hub.clock())})


@bp.get("/requests")
@require("head")
def unanswered() -> Response:
    hub = current()
    with hub.read() as db:
        return jsonify(follow_up.unanswered(db, hub.branch, hub.clock()))
