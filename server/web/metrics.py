"""`GET /metrics`: the running branch in Prometheus' text format (prometheus_client).

Read at scrape time from what the hub already derives (the summaries the kiosks show, the state
tables, the stream counters), so a figure here is the figure on the screens.

Who may read it: a scraper on the hub PC itself (a loopback peer) with no token, or anyone with
a `monitor` device's token (`navbat device add prometheus --role monitor`, sent as
`Authorization: Bearer`) or a head's session. Not the whole LAN: the figures are not personal,
but they list the devices and the counters' states to whoever sits on a guest Wi-Fi, and every
scrape costs a few queries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator

from flask import Blueprint, Response, current_app, request
from navbat.foundation import event_types as E
from navbat.foundation.workers import STATES, Health
from navbat.server.hqlink.shipping import backlog
from navbat.server.hub import Hub, current
from navbat.server.web import views
from navbat.server.web.api.common import require
from navbat.server.web.api.events import streams
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

bp = Blueprint("metrics", __name__)
READERS = ("monitor", "head")


class HubCollector:
    """A prometheus_client collector over one hub; the Flask app holds one registry with it."""

    def __init__(self, hub: Hub, app: object) -> None:
        self.hub, self.app = hub, app

    def collect(self) -> Iterator[Metric]:
        hub = self.hub
        shown = views.services(hub)["services"]  # what the kiosks show, through the same function
        with hub.read() as db:
            issued = db.execute("SELECT first_service, count(*) FROM tickets GROUP BY first_service").fetchall()
            calls = db.execute("SELECT counter, type, count(*) FROM events WHERE type IN (?, ?) "
                               "GROUP BY counter, type", [E.TICKET_CALLED, E.TICKET_RECALLED]).fetchall()
            counters = db.execute("SELECT number, state FROM counters ORDER BY number").fetchall()
            devices = db.execute("SELECT name, kind, status FROM device_status ORDER BY name").fetchall()

        m = CounterMetricFamily("navbat_tickets_issued", "Tickets issued, by first sub-service", labels=["service"])
        for service, n in issued:
            m.add_metric([service], n)
        yield m
        waiting = GaugeMetricFamily("navbat_waiting", "Visitors waiting, by sub-service", labels=["service", "unit"])
        estimate = GaugeMetricFamily("navbat_wait_estimate_minutes", "A newcomer's estimated wait (median and the "
                                     "range shown), by sub-service; absent when no honest number",
                                     labels=["service", "bound"])
        for s in shown:
            waiting.add_metric([s["code"], s["unit"]], s["waiting"])
            if s["estimated_wait"]:
                for bound, key in (("median", "minutes"), ("low", "low"), ("high", "high")):
                    estimate.add_metric([s["code"], bound], s["estimated_wait"][key])
        yield waiting
        yield estimate
        m = CounterMetricFamily("navbat_calls", "Calls of a visitor to a counter (first calls and recalls)",
                                labels=["counter", "kind"])
        for counter, kind, n in calls:
            m.add_metric([str(counter), kind.removeprefix("ticket.")], n)
        yield m
        m = GaugeMetricFamily("navbat_counter_state", "1 for each counter's current state", labels=["counter", "state"])
        for number, state in counters:
            m.add_metric([str(number), state], 1)
        yield m
        m = GaugeMetricFamily("navbat_device_up", "1 when a device (printer, display, kiosk) last said it is ok",
                              labels=["device", "kind", "status"])
        for name, kind, status in devices:
            m.add_metric([name, kind, status], 1 if status == "ok" else 0)
        yield m
        s = streams(self.app)
        m = GaugeMetricFamily("navbat_event_stream_subscribers", "Open live event streams", labels=["kind"])
        m.add_metric(["registered"], s.total - s.anonymous)
        m.add_metric(["anonymous"], s.anonymous)
        yield m
        yield from workers(hub.workers.health())
        yield from _hq_link(hub)


def workers(health: Iterable[Health]) -> Iterator[Metric]:
    """Each background worker's state (1 for the state it is in), restarts, and last beat: a worker
    that died shows "restarting" with its restarts counted, one that gave up "failed"."""
    health = list(health)
    state = GaugeMetricFamily("navbat_worker_state", "1 for the state each background worker is in",
                              labels=["worker", "state"])
    restarts = CounterMetricFamily("navbat_worker_restarts", "Times a background worker was run again after dying",
                                   labels=["worker"])
    beat = GaugeMetricFamily("navbat_worker_last_beat_seconds", "Unix time a background worker last finished a step",
                             labels=["worker"])
    for h in health:
        for s in STATES:
            state.add_metric([h.name, s], 1 if h.state == s else 0)
        restarts.add_metric([h.name], h.restarts)
        if h.last_beat is not None:
            beat.add_metric([h.name], h.last_beat)
    yield from (state, restarts, beat)


def _hq_link(hub: Hub) -> Iterator[Metric]:
    """The outbox to headquarters, from shipping.backlog (what /head shows); absent when the hub ships
    nowhere (`navbat hub` without --hq), so an alert on it never fires for a branch with no link."""
    with hub.read() as db:
        link = backlog(db)
    if not link["configured"]:
        return
    m = GaugeMetricFamily("navbat_hq_backlog", "Events and ratings headquarters has not acknowledged yet",
                          labels=["kind"])
    m.add_metric(["events"], link["events"])
    m.add_metric(["ratings"], link["ratings"])
    yield m
    if link["seconds_since_ack"] is not None:  # absent until HQ first answered
        yield GaugeMetricFamily("navbat_hq_seconds_since_ack", "Seconds since headquarters last acknowledged a batch",
                                value=link["seconds_since_ack"])


def _loopback() -> bool:
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics")
def metrics() -> Response:
    return _metrics() if _loopback() else require(*READERS)(_metrics)()


def _metrics() -> Response:
    registry = current_app.extensions.get("navbat.metrics")
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(HubCollector(current(), current_app))
        current_app.extensions["navbat.metrics"] = registry
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
