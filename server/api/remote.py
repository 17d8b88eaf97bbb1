"""Remote turns (issue 18 A): a phone's one-time code, joining the queue from afar, checking in."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from navbat.server import sms, verify
from navbat.server.api.common import json_body, require
from navbat.server.hub import current

bp = Blueprint("remote", __name__)


@bp.app_errorhandler(verify.TooMany)
def _too_many(exc: verify.TooMany) -> Response:
    response = jsonify({"error": exc.code, "message": exc.message})
    response.status_code = 429
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.post("/remote/verify")
def send_code() -> tuple[Response, int]:
    body = json_body(("phone",))
    # The address is the TCP peer, as for logins (server/api/auth.py): no proxy header is trusted.
    verify.send_code(current().floor, sms.outbox(), body["phone"], request.remote_addr or "unknown")
    return jsonify({"status": "sent", "expires_in_seconds": int(verify.CODE_TTL.total_seconds())}), 202


@bp.get("/remote/sms-status")
@require("head")
def sms_status() -> Response:
    """SMS sent, being retried and given up on, with the latest error (the head console)."""
    with current().read() as db:
        return jsonify(sms.outbox().status(db))
