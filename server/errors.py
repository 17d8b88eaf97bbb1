"""Every error leaves the hub as JSON {"error": code, "message": text}."""

from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from server.floor import FloorError


def error(status: int, code: str, message: str):  # noqa: ANN201 - a Flask response tuple
    return jsonify({"error": code, "message": message}), status


def init_app(app: Flask) -> None:
    @app.errorhandler(FloorError)
    def _floor(exc: FloorError):  # noqa: ANN202
        return error(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):  # noqa: ANN202
        code = (exc.name or "error").lower().replace(" ", "_")
        return error(exc.code or 500, code, exc.description or exc.name)
