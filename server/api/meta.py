"""Health and the OpenAPI description."""

from __future__ import annotations

from flask import Blueprint, jsonify

from server.openapi import SPEC

bp = Blueprint("meta", __name__)


@bp.get("/health")
def health():  # noqa: ANN201
    return jsonify({"status": "ok"})


@bp.get("/openapi.json")
def openapi():  # noqa: ANN201
    return jsonify(SPEC)
