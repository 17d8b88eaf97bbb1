"""Number leases and the tickets kiosks issued alone (issue 26; the contract is docs/leases.md).

Only a kiosk's device token: a lease is set aside for the kiosk that holds it, and a journal merges
only that kiosk's own leases. What an outsider can make the hub spend is bounded in
server/floor/leases.py: leases per device per hour, live leases per sub-service, tickets per merge,
merge requests per device per minute."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify
from navbat.server.floor import leases
from navbat.server.floor.refusals import Invalid, TooMany
from navbat.server.hub import current
from navbat.server.visitors import budgets
from navbat.server.web.api.common import json_body, require

bp = Blueprint("leases", __name__)


@bp.post("/leases")
@require("kiosk")
def take() -> tuple[Response, int]:
    service = json_body(("service",))["service"]
    if not isinstance(service, str):
        raise Invalid("bad_field", "service must be a string")
    return jsonify(leases.grant(current().floor, g.who.name, service)), 201


@bp.post("/leases/<int:lease>/return")
@require("kiosk")
def give_back(lease: int) -> Response:
    return jsonify({"returned": leases.give_back(current().floor, g.who.name, lease)})


@bp.post("/offline-tickets")
@require("kiosk")
def merge() -> Response:
    sent_at, tickets = leases.check_batch(json_body(("sent_at", "tickets")))
    hub = current()
    buckets = current_app.extensions.setdefault("navbat.merge_buckets", budgets.TokenBuckets())
    wait = buckets.take(g.who.name, leases.MERGES_PER_MINUTE, leases.MERGES_PER_MINUTE, hub.clock().timestamp())
    if wait > 0:  # a resent journal costs a look-up per ticket: a runaway kiosk may not keep the writer busy
        raise TooMany("too_many_merges", f"a kiosk may send {leases.MERGES_PER_MINUTE} journals a minute", wait)
    return jsonify({"results": leases.merge(hub.floor, g.who.name, sent_at, tickets)})
