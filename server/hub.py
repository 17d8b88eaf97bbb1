"""The running hub's parts, made once per app and reached through `current()`.

`Store` (the SQLite file), `Floor` (the one write path and the actions), `EventBus` (live
events), `Estimates` (the engine, off the request path). Views, reports and the head's
tools read through `hub.read()`, a snapshot on a connection of their own; they change
nothing except through `hub.floor`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils
from flask import current_app
from navbat.foundation.config import Branch
from navbat.server import summaries
from navbat.server.db import Store
from navbat.server.estimates import Estimates, Waits
from navbat.server.events import Event, EventBus
from navbat.server.floor import Floor
from navbat.server.queries import events_after, last_event_id
from navbat.server.times import Clock

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
    _published: dict[str, Any] = field(default_factory=dict)
    on_stop: list[Callable[[], None]] = field(default_factory=list)  # workers of other parts (server/sms.py)

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

    def stop(self) -> None:
        self.estimates.stop()
        for stop in self.on_stop:
            stop()


def open_hub(branch: Branch, db_path: str | Path, clock: Clock, ignore_hours: bool = False) -> Hub:
    store = Store(db_path)
    estimates = Estimates(store, branch, clock)
    with store.read() as db:
        last = last_event_id(db)
    hub: Hub
    bus = EventBus(lambda since: hub.events_since(since), last, changes=summaries.changes)
    floor = Floor(store, branch, bus, estimates, clock, ignore_hours)
    hub = Hub(branch, clock, ignore_hours, store, bus, estimates, floor)
    estimates.on_refresh = hub._estimates_refreshed
    return hub


def current() -> Hub:
    """The hub of the app handling this request."""
    return current_app.extensions[EXTENSION]
