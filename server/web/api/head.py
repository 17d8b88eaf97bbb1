"""The branch head's live floor, staffing advice and what-if (D8, D3)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from navbat.foundation.i18n import LANGUAGES
from navbat.server.floor.refusals import Invalid
from navbat.server.hub import current
from navbat.server.web import live_floor, staffing
from navbat.server.web.api.common import json_body, require

bp = Blueprint("head_api", __name__)


@bp.get("/head/floor")
@require("head")
def floor() -> Response:
    lang = request.cookies.get("navbat_lang")  # the language the head chose on the page
    return jsonify(live_floor.floor_view(current(), lang if lang in LANGUAGES else "fa"))


@bp.get("/head/staffing")
@require("head")
def advice() -> Response:
    raw = request.args.get("share")
    try:
        share = staffing.TARGET_SHARE if raw is None else float(raw)
    except ValueError:
        raise Invalid("bad_share", "share must be a number between 0.5 and 0.99") from None
    if not 0.5 <= share < 1:
        raise Invalid("bad_share", "share must be between 0.5 and 0.99")
    return jsonify(staffing.advice(current(), share))


@bp.post("/head/what-if")
@require("head")
def what_if() -> Response:
    body = json_body()
    changes = body.get("changes")
    if changes is None and "counter" in body:  # one change: {"counter": 4, "services": [...]}
        changes = [body]
    return jsonify(staffing.what_if(current(), changes))


@bp.get("/head/hq-link")
@require("head")
def hq_link() -> Response:
    """How far headquarters is behind this branch (server.shipping): the backlog, the last answer."""
    from navbat.server.hqlink.shipping import backlog

    with current().read() as db:
        return jsonify(backlog(db))


@bp.post("/head/monthly-submission")
@require("head")
def monthly_submission() -> Response:
    """The branch head submits a finished Jalali month's report to headquarters, with a note (D9)."""
    import requests
    from flask import g
    from navbat.server.floor.refusals import Conflict
    from navbat.server.hqlink import shipping

    body = json_body()
    month, note = body.get("month"), body.get("note")
    if not isinstance(month, str) or (note is not None and not isinstance(note, str)):
        raise Invalid("bad_field", 'send {"month": "1404-07", "note": "..."}')
    try:
        return jsonify(shipping.submit_month(current().link, month, note, g.who.name))
    except shipping.NotLinked as exc:
        raise Conflict("no_headquarters", str(exc)) from None
    except ValueError as exc:
        raise Invalid("bad_month", str(exc)) from None
    except (requests.RequestException, shipping.HQRefused):
        raise Conflict("headquarters_unreachable", "headquarters did not answer; submit again later") from None
