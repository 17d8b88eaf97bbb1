"""Windows: open/close/pause/resume, and the clerk's actions on the current ticket."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify

from server.api.common import caller, floor, json_body, may_act_on_counter, require
from server.floor import FloorError

bp = Blueprint("counters", __name__)


STAFF_ONLY = ("priority", "reason")  # the current visitor's class ("disability") is not for the wall display


def _for_caller(view: dict[str, Any]) -> dict[str, Any]:
    """Window views are public (displays read them without a login); clerks and heads see the whole ticket."""
    who = caller()
    if view["current_ticket"] is not None and (who is None or who.role not in ("clerk", "head")):
        view["current_ticket"] = {k: v for k, v in view["current_ticket"].items() if k not in STAFF_ONLY}
    return view


@bp.get("/counters")
def counters():  # noqa: ANN201
    return jsonify({"counters": [_for_caller(v) for v in floor().counters()]})


@bp.get("/counters/<int:number>")
def counter(number: int):  # noqa: ANN201
    return jsonify(_for_caller(floor().counter_view(number)))


@bp.post("/counters/<int:number>/<any(open, close, pause, resume):action>")
@require("clerk", "head")
def change_state(number: int, action: str):  # noqa: ANN201
    may_act_on_counter(number)
    return jsonify(floor().set_counter_state(number, action, g.who.name))


@bp.post("/counters/<int:number>/next")
@require("clerk", "head")
def call_next(number: int):  # noqa: ANN201
    may_act_on_counter(number)
    ticket = floor().call_next(number, g.who.name)
    return jsonify(ticket) if ticket else Response(status=204)


@bp.post("/counters/<int:number>/<any(recall, start, done, 'no-show', transfer):action>")
@require("clerk", "head")
def act(number: int, action: str):  # noqa: ANN201
    may_act_on_counter(number)
    body = json_body(("service",) if action == "transfer" else ())
    return jsonify(floor().act(number, action, g.who.name, service=body.get("service"),
                               outcome=body.get("outcome")))


@bp.put("/counters/<int:number>/services")
@require("head")
def set_services(number: int):  # noqa: ANN201
    body = json_body(("services",))
    services = body["services"]
    if isinstance(services, list):
        services = {s: 1.0 for s in services} if all(isinstance(s, str) for s in services) else None
    if not isinstance(services, dict):
        raise FloorError(400, "bad_services", 'services must be a list of codes or {"code": weight}')
    return jsonify(floor().set_skills(number, services, g.who.name))
