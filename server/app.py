"""The hub's application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from navbat.server import api, errors, guards, metrics, remote, sms
from navbat.server.hub import EXTENSION, open_hub
from navbat.server.pages import book as booking_page  # issue 18 B
from navbat.server.pages import common, counter, display, head, join, tracking
from navbat.server.settings import Settings
from navbat.server.times import utcnow

PAGES = (common.bp, tracking.bp, display.bp, counter.bp, head.bp, metrics.bp, join.bp, booking_page.bp)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """config keys: SETTINGS (server/settings.py), or the keys it is made from: BRANCH (a Branch) or
    CONFIG_PATH, DB_PATH, IGNORE_HOURS, SMS_LOG (server/sms.py); and CLOCK (tests), REPORTS_IN_PROCESS
    (build reports in the hub's own process: tests that look inside one)."""
    app = Flask(__name__)
    app.config.update(DB_PATH="var/navbat.sqlite", CONFIG_PATH=None, IGNORE_HOURS=False, CLOCK=utcnow,
                      REPORTS_IN_PROCESS=False, JSON_SORT_KEYS=False)
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    settings = Settings.from_app_config(app.config)  # the one settings object (server/settings.py)
    app.extensions[EXTENSION] = open_hub(settings, app.config["CLOCK"])
    sms.init_app(app)  # issue 18: the SMS outbox and its worker, the remote turns' sweeper
    remote.init_app(app)
    errors.init_app(app)
    guards.init_app(app)  # before the blueprints: their <int:...> routes take its bounded converter
    api.init_app(app)
    for bp in PAGES:
        app.register_blueprint(bp)
    return app
