"""Satisfaction ratings (F2, V4): a counter's tablet asks who to rate; anyone may rate with the key."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from server import ratings
from server.api.common import json_body
from server.hub import current
from server.refusals import Invalid

bp = Blueprint("ratings_api", __name__)


@bp.get("/ratings/pending")
def pending() -> Response:
    counter = request.args.get("counter", type=int)
    if counter is None:
        raise Invalid("missing_field", "send ?counter=<counter number>")
    hub = current()
    with hub.read() as db:
        found = ratings.pending_at_counter(hub, db, counter)
    return jsonify(found) if found else Response(status=204)


@bp.post("/ratings")
def rate() -> tuple[Response, int]:
    return jsonify(ratings.rate(current(), json_body(("score",)))), 201
