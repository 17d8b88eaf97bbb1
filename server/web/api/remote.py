"""Remote turns (issue 18 A): a phone's one-time code, joining the queue from afar, checking in,
and the head's settings."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, g, jsonify, request
from navbat.server.floor import promises
from navbat.server.floor.refusals import Invalid
from navbat.server.floor.times import iso
from navbat.server.hub import current
from navbat.server.visitors import budgets, remote, remote_settings, verify
from navbat.server.web import views
from navbat.server.web.api.common import json_body, require

bp = Blueprint("remote", __name__)


@bp.post("/remote/verify")
def send_code() -> tuple[Response, int]:
    body = json_body(("phone",))
    # The address is the TCP peer, as for logins (server/web/api/auth.py): no proxy header is trusted.
    hub = current()
    verify.send_code(hub.floor, hub.outbox, body["phone"], request.remote_addr or "unknown")
    return jsonify({"status": "sent", "expires_in_seconds": int(verify.CODE_TTL.total_seconds())}), 202


@bp.post("/remote/tickets")
def join() -> tuple[Response, int]:
    body = json_body(("service", "phone", "code"))
    key = request.headers.get("Idempotency-Key", "").strip() or None
    if key is not None and len(key) > 100:
        raise Invalid("bad_idempotency_key", "an Idempotency-Key has 1-100 characters")
    hub = current()
    row, created = remote.join(hub.floor, hub.read, hub.branch, hub.estimates, hub.outbox, hub.link, hub.ignore_hours,
                               body["service"], body["phone"], body["code"], request.url_root, key)
    # as the kiosk's POST /tickets: the estimate of the latest replay, never waiting for one
    return jsonify(views.visitor_ticket(hub, row)), 201 if created else 200


@bp.post("/tickets/<code>/check-in")
@require("kiosk", "clerk", "head")
def check_in(code: str) -> Response:
    hub = current()
    row, _ = remote.check_in(hub.floor, code.strip().upper(), g.who.name)
    shown = views.visitor_ticket(hub, row)
    promises.keep(hub.floor, shown, g.who.name)  # the range on its check-in slip (issue 24), kept once
    return jsonify(shown)


@bp.get("/remote/settings")
@require("head")
def get_settings() -> Response:
    hub = current()
    with hub.read() as db:
        settings, spend = hub.settings.remote(db), hub.settings.budgets(db)
    since = iso(dt.datetime.combine(hub.branch.branch_day(hub.clock()) - dt.timedelta(days=29), dt.time(),
                                    tzinfo=hub.branch.tz))
    return jsonify({"settings": settings.model_dump(), "budgets": spend.model_dump(),
                    "turns_30_days": remote.no_show_rate(hub.read, since)})


@bp.put("/remote/settings")
@require("head")
def put_settings() -> Response:
    hub, body = current(), json_body()
    if not request.get_data() or not body:
        raise Invalid("no_settings", "send the settings to change as a JSON object")
    settings = remote_settings.save(hub.floor, hub.branch, body)
    with hub.read() as db:
        spend = hub.settings.budgets(db)
    return jsonify({"settings": settings.model_dump(), "budgets": spend.model_dump()})


@bp.get("/remote/sms-status")
@require("head")
def sms_status() -> Response:
    """SMS sent, being retried and given up on, with the latest error, and the SMS budget's use
    (the head console's alarm)."""
    hub = current()
    with hub.read() as db:
        use = budgets.sms_use(db, hub.branch, hub.settings.budgets(db), hub.clock())
        return jsonify({**hub.outbox.status(db), "budget": use})
