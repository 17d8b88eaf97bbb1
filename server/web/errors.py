"""Every error a handler meets leaves the hub as JSON {"error": code, "message": text} (with "field"
when one field of the body is at fault): the place that maps a domain refusal (server.refusals) to
its HTTP status. A message quotes at most a short excerpt of what the caller sent.

Not every refusal passes here: the guards' (server.guards, `Rejected`) do, but a stream past its
cap (server.streams) and a body too large or too slow (server.bodyfirst) are answered before any
handler runs. A rate limit (`TooMany`) is answered by `too_many`, the same at the hub and at HQ
(hq/app.py registers it): 429, Retry-After and the catalogue's words."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask, Response, current_app, jsonify, make_response, request
from markupsafe import escape
from navbat.foundation.i18n import LANGUAGES, direction
from navbat.server.floor import refusals
from navbat.server.floor.refusals import Conflict, Forbidden, Invalid, NotFound, Refused, TooMany, Unauthorized
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


def asked_lang(api: bool) -> str:
    """The language a request asks for: `?lang=`, else for a page the visitor's earlier choice (its
    cookie) or Persian; for the API its Accept-Language (fa or en), else English."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        return lang
    if not api:
        chosen = request.cookies.get("navbat_lang")
        return chosen if chosen in LANGUAGES else "fa"
    return request.accept_languages.best_match(LANGUAGES[::-1], default="en")


def too_many(exc: TooMany, lang: str | None = None, page: Callable[[str], str] | None = None) -> Response:
    """The one answer to a rate limit, at a hub or at HQ: 429 with Retry-After, and the catalogue's
    words in `lang`: as JSON {"error", "message", "retry_after"} for the API, inside `page(words)`
    for a page that shows them in its own form, or on a page of their own for any other page."""
    api = page is None and request.path.startswith("/api/")
    lang = lang or asked_lang(api)
    words = refusals.too_many_words(exc, lang)
    if page is not None:
        resp = make_response(page(words))
    elif api:
        resp = jsonify({"error": exc.code, "message": words, "retry_after": exc.retry_after})
    else:
        resp = make_response(f'<!doctype html><html lang="{lang}" dir="{direction(lang)}"><meta charset="utf-8">'
                             f'<meta name="viewport" content="width=device-width"><title>429</title>'
                             f'<p role="alert">{escape(words)}</p></html>')
    resp.status_code = 429
    resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def init_too_many(app: Flask) -> None:
    """Answers every `TooMany` a handler raises with `too_many` (the hub's app and HQ's)."""
    app.register_error_handler(TooMany, lambda exc: too_many(exc))


def init_app(app: Flask) -> None:
    init_too_many(app)

    @app.errorhandler(Refused)
    def _refused(exc: Refused) -> tuple[Response, int]:
        return error(status_of(exc), exc.code, exc.message)

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
