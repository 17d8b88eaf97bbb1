"""Every error leaves the hub as JSON {"error": code, "message": text}; the one place that
maps a domain refusal (server.refusals) to its HTTP status."""

from __future__ import annotations

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from server.refusals import Conflict, Forbidden, Invalid, NotFound, Refused, Unauthorized

STATUS: dict[type[Refused], int] = {Invalid: 400, Unauthorized: 401, Forbidden: 403, NotFound: 404, Conflict: 409}


def error(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message}), status


def status_of(exc: Refused) -> int:
    return next((status for kind, status in STATUS.items() if isinstance(exc, kind)), 400)


def init_app(app: Flask) -> None:
    @app.errorhandler(Refused)
    def _refused(exc: Refused) -> tuple[Response, int]:
        return error(status_of(exc), exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[Response, int]:
        code = (exc.name or "error").lower().replace(" ", "_")
        return error(exc.code or 500, code, exc.description or exc.name)
