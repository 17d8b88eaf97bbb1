"""Who is asking HQ, and how HQ refuses: the request's bearer token, the national or province user it
belongs to (once per request), the database pool, and the JSON error every HQ answer uses. Shared by
the API and /metrics (which lets a national user in), so neither imports the other."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g, jsonify, request
from navbat.hq import accounts
from psycopg_pool import ConnectionPool


def pool() -> ConnectionPool:
    return current_app.extensions["navbat.hq"]


def error(status: int, code: str, message: str, **extra: Any) -> tuple[Response, int]:
    return jsonify({"error": code, "message": message, **extra}), status


def bearer() -> str | None:
    head = request.headers.get("Authorization", "")
    return head[7:].strip() if head.startswith("Bearer ") else None


def user() -> accounts.User | None:
    """The HQ user the bearer token is a session of (None: no token, or not a session)."""
    if "hq_user" not in g:
        token = bearer()
        with pool().connection() as conn:
            g.hq_user = accounts.user_of(conn, token) if token else None
    return g.hq_user
