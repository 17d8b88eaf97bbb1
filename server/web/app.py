"""The hub's application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from navbat.server.floor.times import utcnow
from navbat.server.hqlink.relay import RelayClient
from navbat.server.hub import EXTENSION, open_hub
from navbat.server.settings import Settings
from navbat.server.visitors import remote_sweep, sms
from navbat.server.web import api, errors, guards, loginpace, metrics
from navbat.server.web.pages import book as booking_page  # issue 18 B
from navbat.server.web.pages import common, counter, display, head, join, tracking

PAGES = (common.bp, tracking.bp, display.bp, counter.bp, head.bp, metrics.bp, join.bp, booking_page.bp)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """config keys: SETTINGS (server/settings.py), or the keys it is made from: BRANCH (a Branch) or
    CONFIG_PATH, DB_PATH, IGNORE_HOURS, SMS_LOG (server/visitors/sms.py), HQ_URL and HQ_TOKEN
    (server/hqlink/shipping.py); and HQ_RELAY (server/hqlink/relay.py), CHECKPOINTS (`navbat hub`: WAL
    checkpoints by a worker, server/floor/db.py), SMS_BACKOFF_S and REMOTE_SWEEP_S (tests: the SMS
    retries' delays, how often remote turns are swept), CLOCK (tests), REPORTS_IN_PROCESS (build reports
    in the hub's own process: tests that look inside one).
    The hub's workers are running when it returns; `app.extensions[EXTENSION].stop()` stops them."""
    app = Flask(__name__)
    app.config.update(DB_PATH="var/navbat.sqlite", CONFIG_PATH=None, IGNORE_HOURS=False, CLOCK=utcnow,
                      REPORTS_IN_PROCESS=False, JSON_SORT_KEYS=False)
    app.config.update(config or {})
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    settings = Settings.from_app_config(app.config)  # the one settings object (server/settings.py)
    hub = app.extensions[EXTENSION] = open_hub(
        settings, app.config["CLOCK"], checkpoints=bool(app.config.get("CHECKPOINTS")),
        sms_backoff_s=tuple(app.config.get("SMS_BACKOFF_S") or sms.BACKOFF_S),
        sweep_every_s=app.config.get("REMOTE_SWEEP_S", remote_sweep.SWEEP_EVERY_S))
    app.extensions[loginpace.EXTENSION] = loginpace.AddressLocks()  # refused on the loop (server.serve)
    if app.config.get("HQ_RELAY") and settings.hq:  # issue 18: HQ's visitors reach this hub's own app
        for worker in RelayClient(app, settings.hq.url, settings.hq.token).workers:
            hub.workers.add(worker)
    errors.init_app(app)
    guards.init_app(app)  # before the blueprints: their <int:...> routes take its bounded converter
    api.init_app(app)
    for bp in PAGES:
        app.register_blueprint(bp)
    hub.start()  # every background worker, from the hub's one list
    return app
