"""Satisfaction ratings (F2, V4): a counter's tablet asks whom to rate and rates them, with
its own device token (role tablet, bound to that counter); a visitor rates with the tracking
code, no login."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from navbat.server.floor.refusals import Forbidden, Invalid, Unauthorized
from navbat.server.hub import current
from navbat.server.visitors import ratings
from navbat.server.web.api.common import caller, json_body, require
from navbat.server.web.auth import Principal

bp = Blueprint("ratings_api", __name__)


def _own_counter(who: Principal, counter: object) -> int:
    """The tablet's counter; naming another one is refused."""
    if counter is not None and counter != who.counter:
        raise Forbidden("wrong_counter", f"this tablet rates at counter {who.counter}, not {counter}")
    return who.counter


@bp.get("/ratings/pending")
@require("tablet")
def pending() -> Response:
    raw = request.args.get("counter")
    counter = request.args.get("counter", type=int)
    if raw is not None and counter is None:
        raise Invalid("bad_counter", "counter must be a counter number")
    hub = current()
    with hub.read() as db:
        found = ratings.pending_at_counter(db, hub.branch, hub.clock, _own_counter(g.who, counter))
    return jsonify(found) if found else Response(status=204)


@bp.post("/ratings")
def rate() -> tuple[Response, int]:
    body = json_body(("score",))
    if body.get("tracking_code") is None and (body.get("counter") is not None or body.get("ticket") is not None):
        # At the counter: only that counter's own tablet may rate the visitor it just finished.
        who = caller(strict=True)
        if who is None:
            raise Unauthorized("unauthorized", "a counter's tablet rates with its token (Authorization: Bearer "
                               "...); a visitor with the ticket's tracking code")
        if who.role != "tablet":
            raise Forbidden("forbidden", f"a {who.role} may not rate a visit; the counter's tablet may")
        body = {**body, "counter": _own_counter(who, body.get("counter"))}
    hub = current()
    return jsonify(ratings.rate(hub.floor, hub.branch, hub.clock, body)), 201
