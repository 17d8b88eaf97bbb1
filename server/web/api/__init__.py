"""API v1 of the hub, one blueprint per area; other devices are built against it."""

from __future__ import annotations

from flask import Flask
from navbat.server.web.api import appointments as bookings  # noqa: I001  (issue 18 B)
from navbat.server.web.api import (  # noqa: E501
    auth,
    calls,
    counters,
    devices,
    events,
    head,
    leases,
    meta,
    ratings,
    reports,
    requests,
    services,
    tickets,
)
from navbat.server.web.api import remote as remote_turns  # issue 18 A

BLUEPRINTS = (meta.bp, auth.bp, services.bp, tickets.bp, counters.bp, calls.bp, events.bp, devices.bp, head.bp,
              ratings.bp, reports.bp, requests.bp, remote_turns.bp, bookings.bp,
              leases.bp)


def init_app(app: Flask) -> None:
    for bp in BLUEPRINTS:
        app.register_blueprint(bp, url_prefix="/api/v1")
