"""Counters: open/close/pause/resume, and the clerk's actions on the current ticket."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify
from navbat.server.floor.refusals import Invalid
from navbat.server.hub import current
from navbat.server.web import views
from navbat.server.web.api.common import caller, json_body, may_act_on_counter, require

bp = Blueprint("counters", __name__)

# the current visitor's class ("disability"), and the call's reason that names it, are not for the wall display
STAFF_ONLY = ("priority", "reason", "reason_text")


def _for_caller(view: dict[str, Any]) -> dict[str, Any]:
    """Counter views are public (displays read them without a login): the clerk by display name
    only, the visitor without their class. Clerks and heads see the username and the whole ticket."""
    if "counters_caller" not in g:  # once per request, not once per counter of the list
        g.counters_caller = caller()
    who = g.counters_caller
    if who is not None and who.role in ("clerk", "head"):
        return view
    view.pop("clerk", None)  # a username is half a login
    if view["current_ticket"] is not None:
        view["current_ticket"] = {k: v for k, v in view["current_ticket"].items() if k not in STAFF_ONLY}
    return view


@bp.get("/counters")
def counters() -> Response:
    return jsonify({"counters": [_for_caller(v) for v in views.counters(current())]})


@bp.get("/counters/<int:number>")
def counter(number: int) -> Response:
    return jsonify(_for_caller(views.counter(current(), number)))


@bp.post("/counters/<int:number>/<any(open, close, pause, resume):action>")
@require("clerk", "head")
def change_state(number: int, action: str) -> Response:
    may_act_on_counter(number)
    hub = current()
    hub.floor.set_counter_state(number, action, g.who.name)
    return jsonify(views.counter(hub, number))


@bp.post("/counters/<int:number>/next")
@require("clerk", "head")
def call_next(number: int) -> Response:
    may_act_on_counter(number)
    hub = current()
    called = hub.floor.call_next(number, g.who.name)
    return jsonify(views.ticket(hub, called)) if called else Response(status=204)


@bp.post("/counters/<int:number>/uncall")
@require("clerk", "head")
def uncall(number: int) -> Response:
    """A call made by mistake, taken back within a few seconds (issue 24): the visitor keeps their place."""
    may_act_on_counter(number)
    hub = current()
    return jsonify(views.ticket(hub, hub.floor.uncall(number, g.who.name)))


@bp.post("/counters/<int:number>/<any(recall, start, done, 'no-show', transfer):action>")
@require("clerk", "head")
def act(number: int, action: str) -> Response:
    may_act_on_counter(number)
    body = json_body(("service",) if action == "transfer" else ())
    hub = current()
    row = hub.floor.act(number, action, g.who.name, service=body.get("service"), outcome=body.get("outcome"))
    return jsonify(views.ticket(hub, row))


@bp.put("/counters/<int:number>/services")
@require("head")
def set_services(number: int) -> Response:
    body = json_body(("services",))
    services = body["services"]
    if isinstance(services, list):
        services = {s: 1.0 for s in services} if all(isinstance(s, str) for s in services) else None
    if not isinstance(services, dict):
        raise Invalid("bad_services", 'services must be a list of codes or {"code": weight}')
    hub = current()
    hub.floor.set_services(number, services, g.who.name)
    return jsonify(views.counter(hub, number))
