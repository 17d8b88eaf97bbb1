"""The branch floor: tickets and counters, changed only through events, by one write path.

Every change is an event appended to the `events` table and applied to the state tables
(server/floor/projection.py) in the same transaction. `write()` is the only way to change the
hub's database — the floor's actions, and also logins and ratings: one process-wide lock
plus `BEGIN IMMEDIATE`, so ticket numbers and calls never race (two kiosks, two clerks at
the same instant). After the commit the events are published with the queue summaries of
the sub-services they touched, and the estimates are told to refresh.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import sqlite_utils
from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.foundation.event_types import Fact
from navbat.server.floor import numbers, projection, requests, summaries
from navbat.server.floor.counter_actions import refusal
from navbat.server.floor.db import Store
from navbat.server.floor.estimates import Estimates
from navbat.server.floor.events import Event, EventBus
from navbat.server.floor.queries import (
    Row,
    counter_row,
    counter_services,
    dict_rows,
    serving,
    ticket_row,
    waiting_tickets,
)
from navbat.server.floor.refusals import Conflict, Invalid, NotFound
from navbat.server.floor.times import Clock, iso
from navbat.server.floor.transitions import HELD

from navbat import queueing

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
OUTCOMES = ("served", "documents_incomplete", "referred", "registered")  # registered: answered later (F3)
log = logging.getLogger(__name__)


@dataclass
class Write:
    """One transaction on the write path: its connection, the time, the events it emitted, and what
    to call once it has committed (`after`: e.g. waking the SMS worker for a message it queued)."""

    db: sqlite_utils.Database
    now: dt.datetime
    events: list[Event] = field(default_factory=list)
    after: list[Callable[[], None]] = field(default_factory=list)

    def emit(self, fact: Fact, actor: str | None = None) -> Event:
        """Appends the fact to the log and folds it into the state tables (server/floor/projection.py)."""
        at_s, data = iso(self.now), fact.data()
        cur = self.db.execute(
            "INSERT INTO events (at, type, actor, ticket_id, counter, data) VALUES (?, ?, ?, ?, ?, ?)",
            [at_s, fact.TYPE, actor, data.get("ticket"), data.get("counter"), json.dumps(data, ensure_ascii=False)])
        event = Event(cur.lastrowid, fact.TYPE, at_s, data)
        projection.apply(self.db, event)
        self.events.append(event)
        return event


class Floor:
    def __init__(self, store: Store, branch: Branch, bus: EventBus, estimates: Estimates, clock: Clock,
                 ignore_hours: bool = False) -> None:
        self.db, self.branch, self.bus, self.estimates = store.writer, branch, bus, estimates
        self.clock, self.ignore_hours = clock, ignore_hours
        self.rules = estimates.rules
        self.derived = estimates.derived
        self._lock = threading.RLock()
        self._tx: Write | None = None  # the transaction in flight (nested writes join it)
        self._expired_up_to: str | None = None  # the branch day whose older open tickets are expired
        self._ensure_counters()

    # ---- the one write path -------------------------------------------------

    @contextmanager
    def write(self) -> Iterator[Write]:
        with self._lock:
            if self._tx is not None:  # a write inside a write (a login seats a clerk): one transaction
                yield self._tx
                return
            self.db.execute("BEGIN IMMEDIATE")
            tx = self._tx = Write(self.db, self.clock())
            try:
                day = self._expire_old_days(tx)
                yield tx
                self.db.execute("COMMIT")
                self._expired_up_to = day
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            finally:
                self._tx = None
            self.bus.publish(self._with_queue(tx.events))  # under the lock, so subscribers see ids in order
            if projection.changes_floor(tx.events):
                self.estimates.changed()
            for call in tx.after:
                call()

    def _with_queue(self, events: list[Event]) -> list[Event]:
        """Each ticket and counter event with the summaries of the sub-services it touched: the
        waiting counts as just committed, the estimates of the latest replay; one that touches none
        (ticket.promised: a slip's range) says that nothing moved (`changes` {}), or every display
        would re-read GET /services after it, as after an event replayed from the log. Derived after
        the commit, so a fault here can cost a display one re-read, never a ticket."""
        touched = summaries.touched(self.branch, events)
        if not touched:
            return [replace(ev, changes={}) for ev in events]
        try:
            return self._summarised(events)
        except Exception:  # noqa: BLE001 - the events are committed; they leave without summaries
            log.exception("queue summaries could not be derived")
            return events

    def _summarised(self, events: list[Event]) -> list[Event]:
        facts = summaries.Facts.read(self.db, self.branch, self.estimates.latest_newcomers(), self.clock(),
                                     not self.ignore_hours, self.derived)
        out = []
        for ev in events:
            codes = summaries.touched(self.branch, [ev])
            out.append(Event(ev.id, ev.type, ev.at, ev.data, summaries.summarise(self.branch, facts, codes))
                       if codes else replace(ev, changes={}))
        return out

    def _expire_old_days(self, tx: Write) -> str:
        """Tickets left open when a branch day ended expire at the first change of the next
        day: numbers restart each day, so yesterday's 101 must not be called beside today's."""
        today = self.branch.branch_day(tx.now).isoformat()
        if today == self._expired_up_to:
            return today  # done at this day's first change: every ticket issued since is of this day
        for row in dict_rows(self.db, "SELECT id, number, service FROM tickets WHERE state IN (?, ?, ?, ?) "
                             "AND branch_day < ?", [*HELD, today]):
            tx.emit(E.TicketCancelled(row["id"], row["number"], row["service"], outcome="expired"), actor="hub")
        return today

    @staticmethod
    def _pass_over(tx: Write, ticket_id: int, counter: int) -> None:
        """A remote turn at the front, not checked in: passed over once, keeping its place; its grace
        time starts (remote_turns.passed_at, set by the fold)."""
        row = tx.db.execute("SELECT t.number, t.service, r.passed_at FROM tickets t JOIN remote_turns r "
                            "ON r.ticket_id=t.id WHERE t.id=?", [ticket_id]).fetchone()
        if row is None or row[2] is not None:
            return  # its grace time already runs
        tx.emit(E.TicketPassedOver(ticket_id, row[0], row[1], counter), actor="hub")

    def rebuild(self) -> int:
        """Rebuild every state table (projection.STATE_TABLES) from the event log; returns events replayed."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for table in projection.STATE_TABLES:
                    self.db.execute(f"DELETE FROM {table}")
                count = 0
                for row in self.db.query("SELECT * FROM events ORDER BY id"):
                    projection.apply(self.db, Event.from_row(row))
                    count += 1
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self._expired_up_to = None  # the log may hold other days' open tickets
            self._ensure_counters()
            self.estimates.changed()
            return count

    def _ensure_counters(self) -> None:
        # Counters in the branch file but never touched are closed; no event needed for that.
        with self._lock:
            for c in self.branch.counters:
                self.db.execute("INSERT OR IGNORE INTO counters (number, state) VALUES (?, 'closed')", [c.number])

    # ---- tickets -------------------------------------------------------------

    def issue_ticket(self, service: str, priority: str | None, idempotency_key: str, device: str
                     ) -> tuple[Row, bool]:
        """Issue a ticket, or return the one this key already made. Returns (ticket row, created)."""
        return self.issue_answered(service, priority, idempotency_key, device, None)

    def issue_answered(self, service: str, priority: str | None, idempotency_key: str, device: str,
                       answer: Callable[[sqlite_utils.Database, Row], Any] | None,
                       promise: Callable[[Any], Fact | None] | None = None) -> tuple[Any, bool]:
        """issue_ticket, with the kiosk's answer made in the same transaction: `answer(db, row)` reads
        the new ticket as it is committed, and `promise(answer)` is the range it shows, logged in the
        same commit (issue 24's ticket.promised; one write per ticket, not two: issue 27). Returns
        (answer, created), or (row, created) without `answer`. A key used before answers as
        issue_ticket does (the caller makes its answer after the commit)."""
        svc = self.branch.service(service) if isinstance(service, str) else None
        if svc is None:
            raise NotFound("unknown_service", f'unknown service "{service}"')
        if priority is not None and self.branch.priority(priority) is None:
            raise Invalid("unknown_priority", f'unknown priority class "{priority}"')
        key = f"{device}:{idempotency_key}"
        with self.write() as tx:
            existing = self.db.execute("SELECT id FROM tickets WHERE idempotency_key=?", [key]).fetchone()
            if existing is not None:
                row = ticket_row(self.db, existing[0])
                if row["first_service"] != service or row["priority"] != priority:
                    raise Conflict("idempotency_conflict", "this Idempotency-Key was already used for a different "
                                   "ticket")
                return row, False
            row = ticket_row(self.db, self.issue(tx, svc.code, priority, key, device))
            if answer is None:
                return row, True
            shown = answer(self.db, row)
            if promise is not None and (fact := promise(shown)) is not None:
                tx.emit(fact, actor=device)
            return shown, True

    def issue(self, tx: Write, service: str, priority: str | None, key: str, device: str,
              channel: str | None = None, due_at: str | None = None) -> int:
        """Issues a ticket inside the caller's write `tx` (a remote turn, an appointment's check-in);
        returns its id. `channel`: remote | appointment; `due_at`: an appointment's slot. Refused
        like a kiosk's ticket (a sub-service nobody serves, the branch closed)."""
        if not serving(self.db, self.branch, self.derived)[service]:
            raise Conflict("service_unavailable", f'no counter serves "{service}" today')
        if not self.ignore_hours and not self.branch.is_open(tx.now):
            opens = self.branch.next_opening(tx.now)
            raise Conflict("branch_closed", "the branch is closed"
                           + (f"; it opens at {opens.isoformat(timespec='minutes')}" if opens else ""))
        day = self.branch.branch_day(tx.now).isoformat()
        last = self.db.execute("SELECT last FROM sequences WHERE service=? AND branch_day=?",
                               [service, day]).fetchone()
        seq = (last[0] if last else 0) + 1
        number = numbers.next_free(self.db, self.branch.service(service).numbering, service, day, seq)[0]
        ticket_id = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
        tx.emit(E.TicketIssued(ticket_id, number, seq, service, priority, self.new_tracking_code(), key, device, day,
                               channel=channel, due_at=due_at), actor=device)
        return ticket_id

    def new_tracking_code(self) -> str:
        while True:
            code = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
            if not self.db.execute("SELECT 1 FROM tickets WHERE tracking_code=?", [code]).fetchone():
                return code

    def cancel(self, ticket_id: int, actor: str | None) -> Row:
        with self.write() as tx:
            t = ticket_row(self.db, ticket_id)
            if t["state"] not in ("waiting", "called", "remote"):
                raise Conflict("invalid_state", f"ticket {t['number']} is {t['state']}")
            tx.emit(E.TicketCancelled(t["id"], t["number"], t["service"]), actor=actor)
            return ticket_row(self.db, ticket_id)

    # ---- counters -------------------------------------------------------------

    def _change_counter(self, tx: Write, row: Row, actor: str | None, **changes: Any) -> None:
        data = {"counter": row["number"], "state": row["state"], "clerk": row["clerk"],
                "services": json.loads(row["services"]) if row["services"] else None}
        data.update(changes)
        tx.emit(E.CounterChanged(**data), actor=actor)

    def set_counter_state(self, number: int, action: str, actor: str | None) -> Row:
        """open | close | pause | resume."""
        with self.write() as tx:
            row = counter_row(self.db, self.branch, number)
            self._may(action, row, tx.now)
            new = {"open": "open", "close": "closed", "pause": "paused", "resume": "open"}[action]
            self._change_counter(tx, row, actor, state=new)
            return counter_row(self.db, self.branch, number)

    def set_clerk(self, number: int | None, clerk: str | None, previous: int | None = None) -> None:
        """Seat a clerk at a counter (login) or free it (logout); one counter per clerk."""
        with self.write() as tx:
            if previous is not None and previous != number:
                old = counter_row(self.db, self.branch, previous)
                if old["clerk"] == clerk:
                    if old["current_ticket"] is not None:  # it would be left with nobody to finish it
                        raise Conflict("ticket_in_progress", f"finish the current ticket at counter {previous} first")
                    self._change_counter(tx, old, clerk, clerk=None, state="closed")
            if number is not None:
                row = counter_row(self.db, self.branch, number)
                if row["clerk"] not in (None, clerk):
                    raise Conflict("counter_taken", f"counter {number} is taken by {row['clerk']}")
                self._change_counter(tx, row, clerk, clerk=clerk)

    def set_services(self, number: int, services: dict[str, float], actor: str | None) -> Row:
        """The branch head moves a counter to other sub-services; used at its next call."""
        for code, weight in services.items():
            if self.branch.service(code) is None:
                raise Invalid("unknown_service", f'unknown service "{code}"')
            if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 1:
                raise Invalid("bad_weight", f"{code}: weight must be in (0, 1]")
        if not services:
            raise Invalid("no_services", "a counter must serve at least one sub-service")
        with self.write() as tx:
            self._change_counter(tx, counter_row(self.db, self.branch, number), actor, services=services)
            return counter_row(self.db, self.branch, number)

    def report_device(self, name: str, kind: str, status: str, detail: str, actor: str | None) -> None:
        """A printer or display reports its state; only a change becomes an event. Every report,
        changed or not, is the device's heartbeat: `device_seen`, beside the log (not a fact of the floor)."""
        with self.write() as tx:
            prev = self.db.execute("SELECT status, detail FROM device_status WHERE name=?", [name]).fetchone()
            if prev is None or tuple(prev) != (status, detail):
                tx.emit(E.DeviceStatus(name, kind, status, detail), actor=actor)
            self.db.execute("INSERT INTO device_seen (name, at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE "
                            "SET at=excluded.at", [name, iso(tx.now)])

    # ---- the clerk's actions --------------------------------------------------

    def call_next(self, number: int, actor: str | None) -> Row | None:
        """Call the visitor the engine chooses (the row says why, in `reason`); None if nobody waits."""
        with self.write() as tx:
            row = counter_row(self.db, self.branch, number)
            self._may("next", row, tx.now)
            services = counter_services(row, self.branch)
            marks = ",".join("?" * len(services))
            # checked-in appointments come with their due time (queries.waiting_tickets)
            waiting = waiting_tickets(self.db, services, ("waiting", "remote"))
            unchecked = {r[0] for r in self.db.execute(
                f"SELECT id FROM tickets WHERE state='remote' AND service IN ({marks})", list(services))}
            # a remote turn not checked in is passed over, keeping its place (its grace: visitors/remote_sweep.py)
            while True:
                choice = queueing.choose_next(queueing.Counter(number, services), waiting, tx.now.timestamp(),
                                              self.rules)
                if choice is None:
                    return None
                if choice.ticket.id not in unchecked:
                    break
                self._pass_over(tx, choice.ticket.id, number)
                waiting.remove(choice.ticket)
            t = ticket_row(self.db, choice.ticket.id)
            tx.emit(E.TicketCalled(t["id"], t["number"], t["service"], number, actor,
                                   [part.as_json() for part in choice.reason]), actor=actor)
            return ticket_row(self.db, t["id"])

    def uncall(self, number: int, actor: str | None) -> Row:
        """Take back a call made by mistake (issue 24), within counter_actions.UNCALL_SECONDS and before the visit
        started: the visitor is back in line in their place, and the walls drop the call."""
        with self.write() as tx:
            t = self._may("uncall", counter_row(self.db, self.branch, number), tx.now)
            tx.emit(E.TicketUncalled(t["id"], t["number"], t["service"], number), actor=actor)
            return ticket_row(self.db, t["id"])

    def _may(self, action: str, row: Row, now: dt.datetime) -> Row | None:
        """The counter's current ticket, if `action` may be done now (server/floor/counter_actions.py: the
        rule the API ships to the console); else its refusal."""
        t = ticket_row(self.db, row["current_ticket"]) if row["current_ticket"] is not None else None
        refused = refusal(action, row["number"], row["state"], t, now)
        if refused is not None:
            raise Conflict(refused.code, refused.message)
        return t

    def act(self, number: int, action: str, actor: str | None, **extra: Any) -> Row:
        """recall | start | done | no-show | transfer on the counter's current ticket."""
        with self.write() as tx:
            t = self._may(action, counter_row(self.db, self.branch, number), tx.now)
            base = (t["id"], t["number"], t["service"], number)
            if action in ("recall", "start", "no-show"):
                fact = {"recall": E.TicketRecalled, "start": E.TicketStarted, "no-show": E.TicketNoShow}[action]
                tx.emit(fact(*base), actor=actor)
            elif action == "done":
                outcome = extra.get("outcome")
                if outcome is not None and outcome not in OUTCOMES:
                    raise Invalid("bad_outcome", "outcome must be served, documents_incomplete, referred or "
                                  "registered")
                tx.emit(E.TicketDone(*base, outcome=outcome or "served"), actor=actor)
                if outcome == "registered":
                    requests.open_request(tx, self.branch, t, actor)
            else:
                to = extra.get("service")
                if not isinstance(to, str):
                    raise Invalid("unknown_service", f'unknown service "{to}"')
                if self.branch.service(to) is None:
                    raise NotFound("unknown_service", f'unknown service "{to}"')
                if to == t["service"]:
                    raise Conflict("same_service", "the ticket is already at that sub-service")
                tx.emit(E.TicketTransferred(t["id"], t["number"], to, number, from_service=t["service"]), actor=actor)
            return ticket_row(self.db, t["id"])

