"""Issuing tickets (kiosks) and looking them up by tracking code (F1).

A kiosk token issues at most `budgets.kiosk_tickets_per_minute` (a burst of `kiosk_burst`) new
tickets, so that a stolen or runaway token cannot use up a sub-service's numbers for everyone;
a retry with an Idempotency-Key already used costs nothing (issue 23)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request
from navbat.server.floor import promises
from navbat.server.floor.refusals import Invalid
from navbat.server.hub import Hub, current
from navbat.server.visitors import budgets
from navbat.server.web import views
from navbat.server.web.api.common import json_body, require

bp = Blueprint("tickets", __name__)


@bp.post("/tickets")
@require("kiosk", "head")
def issue() -> tuple[Response, int]:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        raise Invalid("idempotency_key_required", "send an Idempotency-Key header (1-100 characters)")
    body = json_body(("service",))
    service, priority = body["service"], body.get("priority")
    if not isinstance(service, str) or (priority is not None and not isinstance(priority, str)):
        raise Invalid("bad_field", "service and priority must be strings")
    hub = current()
    if g.who.role == "kiosk" and not _replay(hub, f"{g.who.name}:{key}"):
        buckets = current_app.extensions.setdefault("navbat.kiosk_buckets", budgets.TokenBuckets())
        budgets.take_kiosk_ticket(buckets, hub.branch.budgets, g.who.name, hub.clock())
    hub.estimates.latest()  # a hub's very first replay, if none was made yet, outside the write lock
    # The answer (with the latest replay's estimate: no replay holds the write lock) is made in the
    # issuing commit, with the range on the slip logged beside the ticket (issue 24): one write.
    shown, created = hub.floor.issue_answered(service, priority, key, g.who.name,
                                              lambda db, row: views.visitor_ticket(hub, row, db=db), promises.fact)
    if not created:  # the ticket this key made before, as it is now
        shown = views.visitor_ticket(hub, shown)
    return jsonify(shown), 201 if created else 200


def _replay(hub: Hub, key: str) -> bool:
    """A ticket this key already made (the floor answers it again, at no cost)."""
    with hub.read() as db:
        return db.execute("SELECT 1 FROM tickets WHERE idempotency_key=?", [key]).fetchone() is not None


@bp.get("/tickets/<code>")
def lookup(code: str) -> Response:
    return jsonify(views.ticket_by_code(current(), code.strip().upper()))


@bp.post("/tickets/<int:ticket_id>/cancel")
@require("head")
def cancel(ticket_id: int) -> Response:
    hub = current()
    return jsonify(views.ticket(hub, hub.floor.cancel(ticket_id, g.who.name)))
