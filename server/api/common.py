"""Helpers the API blueprints share: the caller, the roles they need, the JSON body."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import g, request

from server.auth import Principal, authenticate
from server.hub import current
from server.refusals import Forbidden, Invalid, Unauthorized


def caller() -> Principal | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    with current().read() as db:
        return authenticate(db, header.removeprefix("Bearer ").strip())


def require(*roles: str) -> Callable:
    """Only callers with one of these roles; the principal is put in g.who."""
    def wrap(view: Callable) -> Callable:
        @functools.wraps(view)
        def inner(*args: Any, **kwargs: Any) -> Any:
            who = caller()
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
    # The raw body, read before Flask parses forms: a form-encoded body is malformed here,
    # not an empty one with "missing fields".
    raw = request.get_data(cache=True)
    data = request.get_json(force=True, silent=True) if raw.strip() else {}
    if not isinstance(data, dict):
        raise Invalid("malformed_json", "the body must be a JSON object")
    missing = [f for f in required if f not in data]
    if missing:
        raise Invalid("missing_field", f"missing field: {', '.join(missing)}")
    return data
