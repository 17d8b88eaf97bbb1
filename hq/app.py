"""The HQ app: Flask, its own blueprints, a psycopg pool on the app.

`app.extensions[WORKERS]` is HQ's one list of background workers (foundation/workers.py): the pool's
threads here, and in `navbat hq` the request threads too (hq/asgi.py), which stops them all within
a bound when uvicorn shuts down (SIGTERM)."""

from __future__ import annotations

from typing import Any

import psycopg
from flask import Flask, Response, request
from navbat.foundation.workers import Held, Workers
from navbat.hq import asking, safety
from navbat.hq.store import open_pool
from navbat.server.web import errors
from psycopg_pool import PoolTimeout
from werkzeug.exceptions import HTTPException

WORKERS = "navbat.hq.workers"
# On SIGTERM uvicorn gives open requests (a branch's relay poll is held up to 30 s) this long, then the
# workers get the rest of foundation.workers.STOP_WITHIN_S (hq/asgi.py's lifespan).
GRACEFUL_S = 2.0


def create_app(config: dict[str, Any]) -> Flask:
    """config["DATABASE"]: postgresql://... (migrated on start)."""
    from navbat.hq import api, metrics, pages

    app = Flask(__name__, static_folder=None)  # the pages blueprint serves hq/static
    app.config.update(MAX_CONTENT_LENGTH=16 * 1024 * 1024, JSON_AS_ASCII=False)
    app.config.update(config)
    app.json.ensure_ascii = False
    pool = app.extensions["navbat.hq"] = open_pool(config["DATABASE"], config.get("POOL", 8))
    workers = app.extensions[WORKERS] = Workers()
    workers.add(Held("db-pool", lambda within: pool.close(timeout=within)))
    workers.start()
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    app.register_blueprint(metrics.bp)

    errors.init_too_many(app)  # a rate limit: the one 429, as at a hub

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:  # JSON, not HTML, for every refusal
        return asking.error(exc.code or 500, (exc.name or "error").lower().replace(" ", "_"), exc.description or "")

    @app.errorhandler(PoolTimeout)
    @app.errorhandler(psycopg.OperationalError)
    def _database_down(exc: Exception) -> Any:  # PostgreSQL down or saturated: a bounded wait, then a clear 503
        return asking.error(503, "unavailable", "HQ's database is not answering; try again in a minute")

    @app.after_request
    def _safety(response: Response) -> Response:  # HQ's own answers; the relay's get the same (relay_asgi)
        for name, value in safety.HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/api/"):  # tokens, a manager's figures: never kept by a cache
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    from navbat.hq import relay_pages  # the branches' public pages, relayed to their hubs (issue 18)

    relay_pages.init_app(app)
    return app
