"""Helpers the API blueprints share: the caller, the roles they need, the JSON body."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request
from navbat.server.floor.refusals import Forbidden, Invalid, Unauthorized
from navbat.server.hub import current
from navbat.server.web import guards
from navbat.server.web.auth import Principal, SessionExpired, identify


def bearer() -> str | None:
    """The token of the Authorization: Bearer header, if any."""
    header = request.headers.get("Authorization", "")
    return header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None


def caller(strict: bool = False, token: str | None = None) -> Principal | None:
    """Who sent this request (the header's token, or `token`), or None. A session that has ended is
    nobody here (a public read answers as to anyone); `strict` raises its 401 session_expired
    instead (`require`)."""
    token = token or bearer()
    if not token:
        return None
    try:
        return identify(current(), token)
    except SessionExpired:
        if strict:
            raise
        return None


def require(*roles: str) -> Callable:
    """Only callers with one of these roles; the principal is put in g.who."""
    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            who = caller(strict=True)
            if who is None:
                raise Unauthorized("unauthorized", "log in or send a device token (Authorization: Bearer ...)")
            if who.role not in roles:
                raise Forbidden("forbidden", f"a {who.role} may not do this")
            g.who = who
            return view(*args, **kwargs)
        return inner
    return wrap


def may_act_on_counter(number: int) -> None:
    """A clerk acts only at the counter they are logged in at; a branch head anywhere."""
    who: Principal = g.who
    if who.role == "clerk" and who.counter != number:
        raise Forbidden("wrong_counter", f"you are logged in at counter {who.counter}, not {number}")


def json_body(required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The body as a JSON object, already checked by server.guards (size, depth, text, numbers);
    a body that is no object is malformed here, not an empty one with "missing fields"."""
    data = guards.body()
    if not isinstance(data, dict):
        raise Invalid("malformed_json", "the body must be a JSON object")
    missing = [f for f in required if f not in data]
    if missing:
        raise Invalid("missing_field", f"missing field: {', '.join(missing)}")
    return data
