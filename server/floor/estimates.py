"""The hub's adapter to the queueing engine: the live floor as the engine sees it, service
times learned from history, and every wait estimate, kept fresh off the request path.

Replays read through their own connection (a reader's snapshot), never under the write lock.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

import sqlite_utils
from navbat.foundation.config import Branch
from navbat.server.floor.db import Store
from navbat.server.floor.engine_worker import EngineWorker
from navbat.server.floor.queries import Derived, counter_services, serving, waiting_tickets
from navbat.server.floor.times import Clock, iso, parse_iso
from navbat.server.floor.waits import WaitKeeper

from navbat import queueing

Waits = tuple[dict[int, queueing.Estimate], dict[str, queueing.Estimate]]  # (per waiting ticket, per newcomer)
HISTORY_CACHE_S = 60
REFRESH_SHARE = 0.1  # of a core, at most, for refreshing estimates after changes (server/floor/waits.py)


class Estimates:
    def __init__(self, store: Store, branch: Branch, clock: Clock) -> None:
        self.store, self.branch, self.clock = store, branch, clock
        self.rules = queueing.rules_from_branch(branch)
        self.engine = EngineWorker()  # a big hall's replays, off the hub's interpreter lock (a hub's worker)
        self.derived = Derived(store.writer)  # the floor's counts and counters, once per change (issue 27)
        self._learned: tuple[float, tuple[dict[str, float], float]] | None = None
        self.keeper: WaitKeeper[Waits] = WaitKeeper(self._replay, on_value=self._on_value,
                                                        share=REFRESH_SHARE)  # its thread: a hub's worker
        self.on_refresh: Callable[[Waits], None] | None = None  # the hub publishes new summaries

    # ---- what requests read ------------------------------------------------------

    def latest(self) -> Waits:
        """As of the last replay (a moment after the last change); never waits for one."""
        return self.keeper.get()

    def latest_newcomers(self) -> dict[str, queueing.Estimate]:
        """For the write path: what the last replay said, or nothing yet (never replays here)."""
        value = self.keeper.peek()
        return value[1] if value else {}

    def settled(self, timeout: float = 1.0) -> Waits:
        """Waits up to `timeout` for a replay that reflects every change so far: a visitor
        looking up their ticket, a kiosk's list, prefer a fresh answer to a fast one."""
        return self.keeper.settle_now(timeout)

    def changed(self) -> None:
        self.keeper.changed()

    def _on_value(self, waits: Waits) -> None:
        if self.on_refresh is not None:
            self.on_refresh(waits)

    # ---- the engine's view of the floor ---------------------------------------------

    def queue_state(self, db: sqlite_utils.Database) -> queueing.QueueState:
        """The live floor as the engine sees it, with what history says about arrivals."""
        now = self.clock()
        # a remote turn (issue 18) holds its place from joining: those behind it count it; a checked-in
        # appointment comes with its due time
        waiting = waiting_tickets(db, states=("waiting", "remote"))
        counters = []
        for r in db.query("""SELECT c.*, t.service AS busy_service, t.called_at FROM counters c
                             LEFT JOIN tickets t ON t.id = c.current_ticket"""):
            busy_since = parse_iso(r["called_at"]).timestamp() if r["called_at"] else None
            counters.append(queueing.Counter(r["number"], counter_services(r, self.branch), r["state"], busy_since,
                                             r["busy_service"]))
        since = iso(now - dt.timedelta(minutes=self.rules.rate_window_min))
        recent = [queueing.WaitingTicket(r[0], r[1], parse_iso(r[2]).timestamp(), r[3]) for r in db.execute(
            "SELECT id, first_service, issued_at, priority FROM tickets WHERE issued_at >= ?", [since])]
        span = self.branch.opening_span(self.branch.branch_day(now))
        if span is not None and not span[0] <= now < span[1]:
            span = None  # before opening or after closing (hours ignored): no day to scale by
        service_min, no_show_share = self.history(db)
        return queueing.QueueState(
            waiting, counters, now.timestamp(), service_min, recent_arrivals=recent, no_show_share=no_show_share,
            opened_at=span[0].timestamp() if span else None, closes_at=span[1].timestamp() if span else None)

    def history(self, db: sqlite_utils.Database) -> tuple[dict[str, float], float]:
        """Service minutes learned from the last 30 days (called -> finished) and the share of
        calls that were no-shows; cached for a minute."""
        now = time.monotonic()
        if self._learned and now - self._learned[0] < HISTORY_CACHE_S:
            return self._learned[1]
        since = iso(self.clock() - dt.timedelta(days=30))
        samples: dict[str, list[float]] = {}
        for r in db.query("""SELECT service, called_at, finished_at FROM tickets
                             WHERE state='done' AND called_at IS NOT NULL AND finished_at >= ?""", [since]):
            minutes = (parse_iso(r["finished_at"]) - parse_iso(r["called_at"])).total_seconds() / 60
            samples.setdefault(r["service"], []).append(minutes)
        no_shows, finished = db.execute(
            """SELECT sum(state='no_show'), count(*) FROM tickets
               WHERE state IN ('done', 'no_show') AND finished_at >= ?""", [since]).fetchone()
        learned = (queueing.learn_service_minutes(samples, self.rules), (no_shows or 0) / finished if finished else 0.0)
        self._learned = (now, learned)
        return learned

    def service_minutes(self, db: sqlite_utils.Database) -> dict[str, float]:
        return self.history(db)[0]

    def _replay(self) -> Waits:
        with self.store.read() as db:
            state = self.queue_state(db)
            served = [code for code, rows in serving(db, self.branch, self.derived).items() if rows]
        # one set of replays for everyone waiting and a newcomer per sub-service (the engine's
        # calibrated ranges and people ahead): the head's what-if makes the same call
        return self.engine.estimate_floor(state, self.rules, served)
