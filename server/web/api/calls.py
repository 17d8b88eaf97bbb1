"""The day's recent calls, newest first: a wall display reloaded or restarted mid-day shows
the previous calls again instead of an empty list (read from the event log, like everything)."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, jsonify, request
from navbat.server.floor.queries import recent_calls
from navbat.server.floor.refusals import Invalid
from navbat.server.floor.times import iso
from navbat.server.hub import current

bp = Blueprint("calls", __name__)
MAX_CALLS = 20


@bp.get("/calls")
def calls() -> Response:
    raw = request.args.get("limit", "8")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_CALLS:
        raise Invalid("bad_limit", f"limit must be 1 to {MAX_CALLS}")
    hub = current()
    day = hub.branch.branch_day(hub.clock())
    since = iso(dt.datetime.combine(day, dt.time(), tzinfo=hub.branch.tz))
    with hub.read() as db:
        return jsonify({"calls": recent_calls(db, since, int(raw))})
