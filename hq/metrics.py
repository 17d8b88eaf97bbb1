"""`GET /metrics` on HQ, in Prometheus' text format (prometheus_client).

Two kinds of figure. What HQ does (events ingested, batches, errors, the dashboard's query times)
is counted where it happens, in the process that did it: `navbat hq --workers N` runs N processes,
so `navbat hq` points prometheus_client's multiprocess mode at a fresh folder of its own
(PROMETHEUS_MULTIPROC_DIR) and a scrape adds every worker's files up. What the branches are
(how many, each one's lag and backlog) is read from PostgreSQL at scrape time through
figures.branches, the function the dashboard's link column uses: the same numbers on both.

Who may read it: a scraper on the HQ machine itself (a loopback peer), or one sending
`Authorization: Bearer` with the token in $NAVBAT_HQ_METRICS_TOKEN (/etc/navbat/hq.env), or a
national user's session. Not a province manager (the figures name every province's branches)
nor a branch token (a branch sees no other branch), and not the open internet HQ faces: every
scrape costs a query, and the per-branch lag tells an outsider which branches are offline.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Blueprint, Response, current_app, request
from navbat.hq.asking import error, user
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

bp = Blueprint("hq_metrics", __name__)
TOKEN_ENV = "NAVBAT_HQ_METRICS_TOKEN"

EVENTS = Counter("navbat_hq_events_ingested", "Branch events stored (a batch sent again adds none)", ["branch"])
RATINGS = Counter("navbat_hq_ratings_ingested", "Branch ratings stored or replaced", ["branch"])
BATCHES = Counter("navbat_hq_batches", "Batches a branch posted that HQ stored (empty ones included)", ["branch"])
ERRORS = Counter("navbat_hq_errors", "Requests from the branches HQ refused or failed, by endpoint and kind",
                 ["endpoint", "kind"])
QUERIES = Histogram("navbat_hq_dashboard_query_seconds", "Time to answer the dashboard's figures, by query",
                    ["query"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
OWN = (EVENTS, RATINGS, BATCHES, ERRORS, QUERIES)


@contextmanager
def timed(query: str) -> Iterator[None]:
    """Times one dashboard query (the API call's database work, as the dashboard waits for it)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        QUERIES.labels(query).observe(time.perf_counter() - start)


class BranchCollector:
    """The branches' link state, read from PostgreSQL at scrape time."""

    def __init__(self, app: object) -> None:
        self.app = app

    def collect(self) -> Iterator[Metric]:
        from navbat.hq.figures import branches

        with self.app.extensions["navbat.hq"].connection() as conn:
            rows = branches(conn)
            ages = {r["id"]: r["age"] for r in conn.execute(
                "SELECT id, extract(epoch FROM now() - last_event_at::timestamptz) AS age FROM branches")}
        yield GaugeMetricFamily("navbat_hq_branches", "Branches registered", value=len(rows))
        lag = GaugeMetricFamily("navbat_hq_branch_lag_seconds", "Seconds since the branch's last batch (absent: "
                                "it never sent one)", labels=["branch", "province"])
        newest = GaugeMetricFamily("navbat_hq_branch_newest_event_age_seconds", "Seconds since the newest event HQ "
                                   "has from the branch happened", labels=["branch", "province"])
        behind = GaugeMetricFamily("navbat_hq_branch_backlog_events", "Events the branch said it had and HQ "
                                   "has not stored yet", labels=["branch", "province"])
        for r in rows:
            labels = [r["branch"], r["province"]]
            if r["lag_s"] is not None:
                lag.add_metric(labels, r["lag_s"])
            if ages.get(r["branch"]) is not None:
                newest.add_metric(labels, float(ages[r["branch"]]))
            behind.add_metric(labels, r["backlog"])
        yield lag
        yield newest
        yield behind


def _allowed() -> bool:
    try:
        if ipaddress.ip_address(request.remote_addr or "").is_loopback:
            return True
    except ValueError:
        pass
    head = request.headers.get("Authorization", "")
    token = head[7:].strip() if head.startswith("Bearer ") else ""
    if not token:
        return False
    expected = os.environ.get(TOKEN_ENV, "")
    if expected and hmac.compare_digest(token.encode(), expected.encode()):
        return True
    who = user()
    return who is not None and who.role == "national"


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        status, code = (403, "forbidden") if request.headers.get("Authorization") else (401, "unauthorized")
        return error(status, code, f"from the HQ machine itself, or with the token in ${TOKEN_ENV} or a national "
                     "user's")
    registry = current_app.extensions.get("navbat.hq.metrics")
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # navbat hq: every worker's counts, added up
            multiprocess.MultiProcessCollector(registry)
        else:  # in one process (tests, a WSGI server of one's own)
            for metric in OWN:
                registry.register(metric)
        registry.register(BranchCollector(current_app))
        current_app.extensions["navbat.hq.metrics"] = registry
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
