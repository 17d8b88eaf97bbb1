"""The running hub's parts, made once per app and reached through `current()`.

`Store` (the SQLite file), `Floor` (the one write path and the actions), `EventBus` (live
events), `Estimates` (the engine, off the request path), the SMS `outbox`, the `link` to HQ, and
`workers`: every background thread and process of the hub (foundation/workers.py), started together
by the app factory and stopped together, within a bound, by `stop()` (SIGTERM, a test's end).
Views, reports and the head's tools read through `hub.read()`, a snapshot on a connection of their
own; they change nothing except through `hub.floor`.

This is the composition root: `open_hub` builds each part and hands it the parts it uses. Only the
web (server/web/) reaches the hub, from its app (`current()`); the rooms below it (floor, visitors,
hqlink, reports) never import this module and take what they use as arguments, so the web passes
the hub's parts down (tests/test_architecture.py holds it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlite_utils
from flask import current_app
from navbat.foundation.config import Branch
from navbat.foundation.worker_process import ProcessWorker
from navbat.foundation.workers import STOP_WITHIN_S, Workers
from navbat.server.floor import leases, summaries
from navbat.server.floor.db import Store, checkpointer
from navbat.server.floor.estimates import Estimates, Waits
from navbat.server.floor.events import Event, EventBus
from navbat.server.floor.floor import Floor
from navbat.server.floor.queries import events_after, last_event_id
from navbat.server.floor.times import Clock
from navbat.server.hqlink.shipping import Shipper
from navbat.server.reports.worker import reports_worker
from navbat.server.settings import Settings
from navbat.server.visitors import remote_sweep, sms

EXTENSION = "navbat.hub"
log = logging.getLogger(__name__)


@dataclass
class Hub:
    branch: Branch
    clock: Clock
    ignore_hours: bool
    store: Store
    bus: EventBus
    estimates: Estimates
    floor: Floor
    settings: Settings  # what it runs by: branch file, secrets, flags, the head's overrides (server/settings.py)
    workers: Workers
    reports: ProcessWorker  # the report process (server/reports/worker.py)
    outbox: sms.Outbox  # every SMS leaves through it (server/visitors/sms.py)
    link: Shipper | None = None  # to headquarters, if this hub ships there (server/hqlink/shipping.py)
    _published: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def read(self) -> Iterator[sqlite_utils.Database]:
        with self.store.read() as db:
            yield db

    def events_since(self, last_id: int) -> list[Event]:
        """From the log, for a subscriber that fell behind what the bus keeps in memory."""
        with self.read() as db:
            return [Event.from_row(r) for r in events_after(db, last_id)]

    def _estimates_refreshed(self, waits: Waits) -> None:
        """After each replay: if any summary moved, displays get the new ones (queue.changed)."""
        try:
            with self.read() as db:
                facts = summaries.Facts.read(db, self.branch, waits[1], self.clock(), not self.ignore_hours,
                                             self.floor.derived)
                queue = summaries.summarise(self.branch, facts)
        except Exception:  # noqa: BLE001 - displays keep what they have; the next replay tries again
            log.exception("queue summaries could not be derived")
            return
        if queue != self._published:
            self._published = queue
            self.bus.publish_queue(queue)

    def attach(self, shipper: Shipper) -> Shipper:
        """Makes `shipper` the hub's link to HQ and one of its workers (started now if the hub runs)."""
        self.link = shipper
        self.workers.add(shipper.worker)
        return shipper

    def start(self) -> None:
        self.workers.start()

    def stop(self, within: float = STOP_WITHIN_S) -> list[str]:
        """Stops every worker, waiting for them within `within` seconds in all, then closes the hub's
        database (a stopped hub holds no open files); the names of any workers still running after
        it (a hub may be stopped twice: a test's server, then its app)."""
        left = self.workers.stop(within)
        if not left:  # a worker still running may yet read: its connection stays open
            self.store.close()
        return left


def open_hub(settings: Settings, clock: Clock, *, checkpoints: bool = False,
             sms_backoff_s: tuple[float, ...] = sms.BACKOFF_S, sweep_every_s: float = remote_sweep.SWEEP_EVERY_S
             ) -> Hub:
    """Every part of one hub, each handed the parts it uses; its workers are started by `start()`.
    `checkpoints`: WAL checkpoints by a worker (`navbat hub`); the SMS retries' delays and how often
    remote turns are swept (tests shorten them)."""
    branch, ignore_hours = settings.branch, settings.ignore_hours
    store = Store(settings.db_path)
    estimates = Estimates(store, branch, clock)
    with store.read() as db:
        last = last_event_id(db)
    hub: Hub
    bus = EventBus(lambda since: hub.events_since(since), last, changes=summaries.changes)
    floor = Floor(store, branch, bus, estimates, clock, ignore_hours)
    workers = Workers()
    workers.add(estimates.keeper.worker)
    workers.add(estimates.engine.worker)
    workers.add(leases.expirer(floor, store.read))  # kiosks' leases never returned (issue 26)
    reports = workers.add(reports_worker())
    if checkpoints:
        workers.add(checkpointer(store))
    # issue 18: the SMS outbox and its worker (its first step sends what a previous run left unsent),
    # the remote turns' sweeper
    outbox = sms.Outbox(floor, store.read, clock, sms.backend_for(branch.sms.gateway, settings.sms_log), sms_backoff_s)
    workers.add(outbox.worker)
    workers.add(remote_sweep.Sweeper(floor, store.read, branch, estimates, bus, outbox, sweep_every_s).worker)
    hub = Hub(branch, clock, ignore_hours, store, bus, estimates, floor, settings, workers, reports, outbox)
    if settings.hq:  # issue 17: the link to HQ (its relay, which runs requests on the app, is the app's)
        hub.attach(Shipper(store.path, branch, settings.hq.url, settings.hq.token, clock=clock))
    estimates.on_refresh = hub._estimates_refreshed
    return hub


def current() -> Hub:
    """The hub of the app handling this request."""
    return current_app.extensions[EXTENSION]
