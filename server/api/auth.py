"""Clerks and branch heads log in with a PIN; clerks name their counter."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from navbat.server import auth
from navbat.server.api.common import json_body, require
from navbat.server.hub import current
from navbat.server.refusals import Invalid

bp = Blueprint("auth", __name__)


@bp.post("/login")
def login() -> Response:
    body = json_body(("username", "pin"))
    counter = body.get("counter")
    if counter is not None and (not isinstance(counter, int) or isinstance(counter, bool)):
        raise Invalid("bad_counter", "counter must be a counter number")
    if not isinstance(body["username"], str) or not isinstance(body["pin"], str | int):
        raise Invalid("bad_credentials_format", "username and pin must be strings")
    hub = current()
    try:
        with hub.read() as db:
            # The address is the TCP peer (uvicorn trusts no proxy header): the hub is reached directly on the LAN, not
            # through a proxy (behind one, every login would share the proxy's address).
            token = auth.login(hub.floor, db, body["username"], str(body["pin"]), counter,
                               request.remote_addr or "unknown")
    except auth.TooManyAttempts as exc:
        response = jsonify({"error": exc.code, "message": exc.message})
        response.status_code = 429
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return jsonify({"token": token, "counter": counter})


@bp.post("/logout")
@require("clerk", "head")
def logout() -> Response:
    auth.logout(current().floor, g.who)
    return jsonify({"status": "logged_out"})


@bp.get("/me")
@require("clerk", "head", "kiosk", "display", "tablet")
def me() -> Response:
    return jsonify({"name": g.who.name, "role": g.who.role, "counter": g.who.counter})
