"""Health and the OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from navbat.foundation.version import VERSION
from navbat.server.web.openapi import SPEC

bp = Blueprint("meta", __name__)


@bp.get("/health")
def health() -> Response:
    return jsonify({"status": "ok", "version": VERSION})


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(SPEC)
