"""Clerks and branch heads log in with a PIN (in any digits); clerks name their counter. A good login
sets the user's device cookie (navbat.foundation.pin_logins): the next login from this browser is
a known device's. The head lifts lock-outs (POST /lockouts/unlock)."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, jsonify, request
from navbat.foundation import pin_logins
from navbat.server.floor.refusals import Invalid
from navbat.server.hub import current
from navbat.server.web import auth, loginpace
from navbat.server.web.api.common import json_body, require

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
    # A lock-out or a crowd raises auth.TooManyAttempts: the one rate-limit answer (server.errors.too_many).
    if not request.cookies.get(pin_logins.device_cookie(body["username"])):
        auth.refuse_if_busy(hub.clock())  # a crowd: refused before any read
    with hub.read() as db:
        # The address is the TCP peer (uvicorn trusts no proxy header): the hub is reached directly on the LAN, not
        # through a proxy (behind one, every login would share the proxy's address).
        username = body["username"]
        try:
            token, device = auth.login(hub.floor, db, username, str(body["pin"]), counter,
                                       request.remote_addr or "unknown",
                                       request.cookies.get(pin_logins.device_cookie(username)))
        except auth.TooManyAttempts as locked:
            if locked.address_until is not None and request.remote_addr:  # the next ones refused on the loop
                current_app.extensions[loginpace.EXTENSION].lock(request.remote_addr, locked.address_until)
            raise
    response = jsonify({"token": token, "counter": counter})
    response.set_cookie(pin_logins.device_cookie(username), device, max_age=int(pin_logins.DEVICE_LIFE.total_seconds()),
                        path=request.path, httponly=True, samesite="Strict")
    return response


@bp.post("/lockouts/unlock")
@require("head")
def unlock() -> Response:
    """{"username": name} lifts the locks on a user (from every address); {"address": ip} on an address."""
    body = json_body()
    if len(body) != 1 or not isinstance(value := next(iter(body.values())), str) or not value \
            or next(iter(body)) not in ("username", "address"):
        raise Invalid("bad_unlock", 'send {"username": name} or {"address": ip}')
    forgotten = auth.unlock(current().floor, body.get("username"), body.get("address"))
    if body.get("address"):
        current_app.extensions[loginpace.EXTENSION].forget(body["address"])
    return jsonify({"status": "unlocked", "forgotten": forgotten})


@bp.post("/logout")
@require("clerk", "head")
def logout() -> Response:
    auth.logout(current().floor, g.who)
    return jsonify({"status": "logged_out"})


@bp.get("/me")
@require("clerk", "head", "kiosk", "display", "tablet")
def me() -> Response:
    with current().read() as db:  # the name the branch gave a person (none for a device)
        shown = auth.display_name(db, g.who.name) if g.who.role in ("clerk", "head") else None
    return jsonify({"name": g.who.name, "display_name": shown, "role": g.who.role, "counter": g.who.counter})
