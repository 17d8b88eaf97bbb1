"""Every error leaves the hub as JSON {"error": code, "message": text} (with "field" when one
field of the body is at fault); the one place that maps a domain refusal (server.refusals) to
its HTTP status. A message quotes at most a short excerpt of what the caller sent."""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, jsonify
from navbat.server.refusals import Conflict, Forbidden, Invalid, NotFound, Refused, TooMany, Unauthorized
from werkzeug.exceptions import HTTPException

STATUS: dict[type[Refused], int] = {Invalid: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409,
                                    TooMany: 429}
EXCERPT = 60  # characters of the caller's input an error may quote
MAX_MESSAGE = 200
_QUOTED = re.compile(r'"([^"]*)"')  # refusals quote what was sent: 'unknown service "P9"'
_LONG_WORD = re.compile(rf"\S{{{EXCERPT + 1},}}")
# Input the guards (server.guards) keep from every handler; should one get through, the caller
# still gets a 400, and the log a traceback to mend the gap.
SAFETY_NET: dict[type[Exception], tuple[str, str]] = {
    RecursionError: ("too_deep", "the request is nested too deeply"),
    UnicodeError: ("bad_text", "the request holds text that is not valid Unicode"),
    OverflowError: ("out_of_range", "a number in the request is out of range"),
}


class Rejected(Exception):
    """A request refused before any handler saw it (server.guards); its status is part of it."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def excerpt(text: str, limit: int = EXCERPT) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _short(message: str) -> str:
    message = _QUOTED.sub(lambda m: f'"{excerpt(m[1])}"', message)
    return excerpt(_LONG_WORD.sub(lambda m: excerpt(m[0]), message), MAX_MESSAGE)


def error(status: int, code: str, message: str, field: str | None = None) -> tuple[Response, int]:
    body = {"error": code, "message": _short(message)}
    if field is not None:
        body["field"] = excerpt(field, 2 * EXCERPT)
    return jsonify(body), status


def status_of(exc: Refused) -> int:
    return next((status for kind, status in STATUS.items() if isinstance(exc, kind)), 400)


def init_app(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(exc: Refused) -> tuple[Response, int]:
        resp, status = error(status_of(exc), exc.code, exc.message)
        if isinstance(exc, TooMany):
            resp.headers["Retry-After"] = str(exc.retry_after)
        return resp, status

    @app.errorhandler(Rejected)
    def _rejected(exc: Rejected) -> tuple[Response, int]:
        return error(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        resp, status = error(exc.code or 500, code, exc.description or exc.name)
        for name, value in exc.get_headers():  # Allow on a 405, Location on a redirect, Retry-After
            if name.lower() != "content-type":
                resp.headers[name] = value
        return resp, status

    for kind, (code, message) in SAFETY_NET.items():
        app.register_error_handler(kind, _net(code, message))


def _net(code: str, message: str):  # noqa: ANN202 - an error handler
    def handler(exc: Exception) -> tuple[Response, int]:
        current_app.logger.error("a request got past the guards: %r", exc, exc_info=exc)
        return error(400, code, message)
    return handler
