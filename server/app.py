"""The hub's application factory."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from flask import Flask

from foundation.config import Branch, load_config
from server import api, errors
from server.db import open_db
from server.floor import Floor, utcnow

PAGES = ("tracking", "display", "counter", "head")  # optional page blueprints: server/pages/<name>.py


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """config keys: BRANCH (a Branch) or CONFIG_PATH, DB_PATH, IGNORE_HOURS, CLOCK (tests)."""
    app = Flask(__name__)
    app.config.update(DB_PATH="var/navbat.sqlite", CONFIG_PATH=None, IGNORE_HOURS=False, CLOCK=utcnow,
                      JSON_SORT_KEYS=False)
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    branch: Branch = app.config.get("BRANCH") or load_config(app.config["CONFIG_PATH"])
    db = open_db(Path(app.config["DB_PATH"]))
    app.extensions["navbat.floor"] = Floor(db, branch, clock=app.config["CLOCK"],
                                           ignore_hours=app.config["IGNORE_HOURS"])
    errors.init_app(app)
    api.init_app(app)
    for name in PAGES:
        try:
            module = importlib.import_module(f"server.pages.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"server.pages.{name}":
                raise
            continue
        app.register_blueprint(module.bp)
    return app
