"""Clerks and branch heads log in with a PIN; clerks name their window."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from server import auth
from server.api.common import floor, json_body, require
from server.floor import FloorError

bp = Blueprint("auth", __name__)


@bp.post("/login")
def login():  # noqa: ANN201
    body = json_body(("username", "pin"))
    counter = body.get("counter")
    if counter is not None and (not isinstance(counter, int) or isinstance(counter, bool)):
        raise FloorError(400, "bad_counter", "counter must be a window number")
    if not isinstance(body["username"], str) or not isinstance(body["pin"], str | int):
        raise FloorError(400, "bad_credentials_format", "username and pin must be strings")
    token = auth.login(floor(), body["username"], str(body["pin"]), counter)
    return jsonify({"token": token, "counter": counter})


@bp.post("/logout")
@require("clerk", "head")
def logout():  # noqa: ANN201
    auth.logout(floor(), g.who)
    return jsonify({"status": "logged_out"})


@bp.get("/me")
@require("clerk", "head", "kiosk", "display")
def me():  # noqa: ANN201
    return jsonify({"name": g.who.name, "role": g.who.role, "counter": g.who.counter})
