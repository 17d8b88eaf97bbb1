"""The branch floor: tickets and windows, changed only through events.

Every change is an event appended to the `events` table; `_apply` turns an event
into rows of `tickets`, `sequences` and `counters`. The same function replays the
whole log in `rebuild()`, so the state tables can always be rebuilt from it.

All writes go through `_write()`: one process-wide lock plus `BEGIN IMMEDIATE`,
so ticket numbers and calls never race (two kiosks, two clerks at the same instant).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlite_utils

import queueing
from foundation.config import Branch, Service
from server.events import Event, EventBus
from server.waits import WaitKeeper

TRACKING_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone
ACTIVE = ("called", "serving")
Clock = Callable[[], dt.datetime]


class FloorError(Exception):
    """A request the floor refuses; carries the HTTP status and a stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


class Floor:
    def __init__(self, db: sqlite_utils.Database, branch: Branch, clock: Clock = utcnow,
                 ignore_hours: bool = False) -> None:
        self.db, self.branch, self.clock, self.ignore_hours = db, branch, clock, ignore_hours
        self.lock = getattr(db, "lock", None) or threading.RLock()  # the db's own lock (server/db.py)
        self.rules = queueing.rules_from_branch(branch)
        self.bus = EventBus(self.events_since)
        self.bus.last_id = db.execute("SELECT coalesce(max(id), 0) FROM events").fetchone()[0]
        # Estimates for those waiting and for a newcomer per sub-service, kept fresh off the request path.
        self.waits: WaitKeeper[tuple[dict[int, queueing.Estimate], dict[str, queueing.Estimate]]] = \
            WaitKeeper(self._replay)
        self._learned: tuple[float, tuple[dict[str, float], float]] | None = None
        self._ensure_counters()

    # ---- the one write path -------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[list[Event]]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            pending: list[Event] = []
            try:
                self._expire_old_days(pending)
                yield pending
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.bus.publish(pending)  # under the lock, so subscribers see ids in order
            self.waits.changed()

    def _expire_old_days(self, pending: list[Event]) -> None:
        """Tickets left open when a branch day ended expire at the first change of the next
        day: numbers restart each day, so yesterday's 101 must not be called beside today's."""
        today = self.branch.branch_day(self.clock()).isoformat()
        for row in self.db.query("SELECT id, number, service FROM tickets WHERE state IN ('waiting', 'called', "
                                 "'serving') AND branch_day < ?", [today]):
            self._emit(pending, "ticket.cancelled", {"ticket": row["id"], "number": row["number"],
                                                     "service": row["service"], "outcome": "expired"}, actor="hub")

    def _emit(self, pending: list[Event], type_: str, data: dict[str, Any], actor: str | None = None,
              at: dt.datetime | None = None) -> Event:
        at_s = iso(at or self.clock())
        cur = self.db.execute(
            "INSERT INTO events (at, type, actor, ticket_id, counter, data) VALUES (?, ?, ?, ?, ?, ?)",
            [at_s, type_, actor, data.get("ticket"), data.get("counter"), json.dumps(data, ensure_ascii=False)],
        )
        event = Event(cur.lastrowid, type_, at_s, data)
        self._apply(event)
        pending.append(event)
        return event

    def _apply(self, ev: Event) -> None:
        d, at, x = ev.data, ev.at, self.db.execute
        match ev.type:
            case "ticket.issued":
                x("""INSERT INTO tickets (id, branch_day, service, first_service, seq, number, priority, state,
                        tracking_code, idempotency_key, device, issued_at, arrived_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, 'waiting', ?, ?, ?, ?, ?)""",
                  [d["ticket"], d["branch_day"], d["service"], d["service"], d["seq"], d["number"], d["priority"],
                   d["tracking_code"], d["idempotency_key"], d["device"], at, at])
                x("""INSERT INTO sequences (service, branch_day, last) VALUES (?, ?, ?)
                     ON CONFLICT (service, branch_day) DO UPDATE SET last = max(last, excluded.last)""",
                  [d["service"], d["branch_day"], d["seq"]])
            case "ticket.called":
                x("""UPDATE tickets SET state='called', counter=?, clerk=?, called_at=?, started_at=NULL, reason=?
                     WHERE id=?""", [d["counter"], d.get("clerk"), at, d.get("reason"), d["ticket"]])
                x("UPDATE counters SET current_ticket=?, changed_at=? WHERE number=?", [d["ticket"], at, d["counter"]])
            case "ticket.recalled":
                x("UPDATE tickets SET recalls=recalls+1 WHERE id=?", [d["ticket"]])
            case "ticket.started":
                x("UPDATE tickets SET state='serving', started_at=? WHERE id=?", [at, d["ticket"]])
            case "ticket.done" | "ticket.no_show" | "ticket.cancelled":
                state = ev.type.removeprefix("ticket.")
                x("UPDATE tickets SET state=?, finished_at=?, outcome=? WHERE id=?",
                  [state, at, d.get("outcome"), d["ticket"]])
                x("UPDATE counters SET current_ticket=NULL, changed_at=? WHERE current_ticket=?", [at, d["ticket"]])
            case "ticket.transferred":
                x("""UPDATE tickets SET state='waiting', service=?, counter=NULL, called_at=NULL, started_at=NULL,
                        transfers=transfers+1 WHERE id=?""", [d["service"], d["ticket"]])
                x("UPDATE counters SET current_ticket=NULL, changed_at=? WHERE current_ticket=?", [at, d["ticket"]])
            case "device.status":
                x("""INSERT INTO device_status (name, kind, status, detail, at) VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT (name) DO UPDATE SET kind=excluded.kind, status=excluded.status,
                        detail=excluded.detail, at=excluded.at""",
                  [d["name"], d["kind"], d["status"], d.get("detail"), at])
            case "counter.changed":
                skills = d.get("skills")
                x("""INSERT INTO counters (number, state, clerk, skills, changed_at) VALUES (?, ?, ?, ?, ?)
                     ON CONFLICT (number) DO UPDATE SET state=excluded.state, clerk=excluded.clerk,
                        skills=excluded.skills, changed_at=excluded.changed_at""",
                  [d["counter"], d["state"], d.get("clerk"), json.dumps(skills) if skills else None, at])

    def rebuild(self) -> int:
        """Rebuild tickets, sequences and counters from the event log; returns events replayed."""
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                for table in ("tickets", "sequences", "counters"):
                    self.db.execute(f"DELETE FROM {table}")
                count = 0
                for row in self.db.query("SELECT * FROM events ORDER BY id"):
                    self._apply(Event.from_row(row))
                    count += 1
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.waits.changed()
            self._ensure_counters()
            return count

    def events_since(self, last_id: int, limit: int = 10000) -> list[Event]:
        rows = self.db.query("SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?", [last_id, limit])
        return [Event.from_row(r) for r in rows]

    def _ensure_counters(self) -> None:
        # Windows in the config but never touched are closed; no event needed for that.
        with self.lock:
            for c in self.branch.counters:
                self.db.execute("INSERT OR IGNORE INTO counters (number, state) VALUES (?, 'closed')", [c.number])

    # ---- tickets -------------------------------------------------------------

    def issue_ticket(self, service: str, priority: str | None, idempotency_key: str, device: str
                     ) -> tuple[dict[str, Any], bool]:
        """Issue a ticket, or return the one this key already made. Returns (ticket, created)."""
        svc = self.branch.service(service) if isinstance(service, str) else None
        if svc is None:
            raise FloorError(404, "unknown_service", f'unknown service "{service}"')
        if priority is not None and self.branch.priority(priority) is None:
            raise FloorError(400, "unknown_priority", f'unknown priority class "{priority}"')
        key = f"{device}:{idempotency_key}"
        with self._write() as pending:
            existing = self.db.execute("SELECT * FROM tickets WHERE idempotency_key=?", [key]).fetchone()
            if existing is not None:
                row = self._ticket_row(id_=existing[0])
                if row["first_service"] != service or row["priority"] != priority:
                    raise FloorError(409, "idempotency_conflict",
                                     "this Idempotency-Key was already used for a different ticket")
                ticket_id, created = row["id"], False
            else:
                ticket_id, created = self._issue(pending, svc, priority, key, device), True
        # The view (with its estimate) is built outside the write lock: replays are slow.
        return self.ticket_view(self._ticket_row(id_=ticket_id)), created

    def _issue(self, pending: list[Event], svc: Service, priority: str | None, key: str, device: str) -> int:
        service = svc.code
        now = self.clock()
        if not self.serving()[service]:
            raise FloorError(409, "service_unavailable", f'no window serves "{service}" today')
        if not self.ignore_hours and not self.branch.is_open(now):
            opens = self.branch.next_opening(now)
            raise FloorError(409, "branch_closed", "the branch is closed"
                             + (f"; it opens at {opens.isoformat(timespec='minutes')}" if opens else ""))
        day = self.branch.branch_day(now).isoformat()
        last = self.db.execute("SELECT last FROM sequences WHERE service=? AND branch_day=?",
                               [service, day]).fetchone()
        seq = (last[0] if last else 0) + 1
        ticket_id = self.db.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
        self._emit(pending, "ticket.issued", {
            "ticket": ticket_id, "number": svc.numbering.format(seq), "seq": seq, "service": service,
            "priority": priority, "tracking_code": self._new_tracking_code(), "idempotency_key": key,
            "device": device, "branch_day": day,
        }, actor=device, at=now)
        return ticket_id

    def _new_tracking_code(self) -> str:
        while True:
            code = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
            if not self.db.execute("SELECT 1 FROM tickets WHERE tracking_code=?", [code]).fetchone():
                return code

    def _ticket_row(self, id_: int | None = None, tracking_code: str | None = None) -> dict[str, Any]:
        where, arg = ("id=?", id_) if id_ is not None else ("tracking_code=?", tracking_code)
        rows = list(self.db.query(f"SELECT * FROM tickets WHERE {where}", [arg]))
        if not rows:
            raise FloorError(404, "unknown_ticket", "no such ticket")
        return rows[0]

    def ticket(self, tracking_code: str) -> dict[str, Any]:
        """A visitor looking up their ticket (F1) may wait a moment for the latest estimate."""
        return self.ticket_view(self._ticket_row(tracking_code=tracking_code), settle=True)

    def ticket_by_id(self, ticket_id: int) -> dict[str, Any]:
        return self.ticket_view(self._ticket_row(id_=ticket_id))

    def ticket_view(self, row: dict[str, Any], settle: bool = False) -> dict[str, Any]:
        """The API's ticket: state, position and estimate while waiting, window when called (F1)."""
        out = {k: row[k] for k in ("id", "number", "service", "priority", "state", "tracking_code", "issued_at",
                                   "counter", "called_at", "recalls", "transfers", "outcome", "reason")}
        out["unit"] = (u.code if (u := self.branch.unit_of(row["service"])) else None)
        out["position"] = out["people_ahead"] = None
        out["estimated_wait_minutes"] = out["estimated_wait"] = None
        if row["state"] == "waiting":
            ahead = self.db.execute(
                "SELECT count(*) FROM tickets WHERE state='waiting' AND service=? AND (arrived_at, id) < (?, ?)",
                [row["service"], row["arrived_at"], row["id"]]).fetchone()[0]
            out["people_ahead"], out["position"] = ahead, ahead + 1
            # A ticket newer than the last replay is told what a newcomer was told a moment ago.
            waiting, newcomers = self.waits.settle_now(1.0) if settle else self.waits.get()
            est = waiting.get(row["id"]) or newcomers.get(row["service"])
            if est is not None:
                out["estimated_wait_minutes"] = round(est.minutes)
                out["estimated_wait"] = _range(est)
        return out

    # ---- windows --------------------------------------------------------------

    def counter_row(self, number: int) -> dict[str, Any]:
        if self.branch.counter(number) is None:
            raise FloorError(404, "unknown_counter", f"no window {number}")
        return next(self.db.query("SELECT * FROM counters WHERE number=?", [number]))

    def skills(self, row: dict[str, Any]) -> dict[str, float]:
        """Which sub-services a window serves now (the branch head may have changed them)."""
        if row.get("skills"):
            return json.loads(row["skills"])
        cfg = self.branch.counter(row["number"])
        return {s.code: s.weight for s in cfg.services} if cfg else {}

    def serving(self) -> dict[str, list[dict[str, Any]]]:
        """Per sub-service, the windows (counter rows) that serve it today, open or not yet
        open (D4); empty for a sub-service closed in the config."""
        rows = list(self.db.query("SELECT * FROM counters"))
        return {s.code: [r for r in rows if self.skills(r).get(s.code, 0) > 0] if s.enabled else []
                for s in self.branch.services}

    def _change_counter(self, pending: list[Event], row: dict[str, Any], actor: str | None, **changes: Any) -> None:
        data = {"counter": row["number"], "state": row["state"], "clerk": row["clerk"],
                "skills": json.loads(row["skills"]) if row["skills"] else None}
        data.update(changes)
        self._emit(pending, "counter.changed", data, actor=actor)

    def set_counter_state(self, number: int, action: str, actor: str | None) -> dict[str, Any]:
        with self._write() as pending:
            row = self.counter_row(number)
            state, busy = row["state"], row["current_ticket"] is not None
            if action in ("close", "pause") and busy:
                raise FloorError(409, "ticket_in_progress", "finish the current ticket first")
            allowed = {"open": ("closed", "paused"), "close": ("open", "paused"),
                       "pause": ("open",), "resume": ("paused",)}[action]
            if state not in allowed:
                raise FloorError(409, "invalid_state", f"window {number} is {state}; cannot {action}")
            new = {"open": "open", "close": "closed", "pause": "paused", "resume": "open"}[action]
            self._change_counter(pending, row, actor, state=new)
        return self.counter_view(number)

    def set_clerk(self, number: int | None, clerk: str | None, previous: int | None = None) -> None:
        """Seat a clerk at a window (login) or free it (logout); one window per clerk."""
        with self._write() as pending:
            if previous is not None and previous != number:
                old = self.counter_row(previous)
                if old["clerk"] == clerk:
                    if old["current_ticket"] is not None:  # it would be left with nobody to finish it
                        raise FloorError(409, "ticket_in_progress",
                                         f"finish the current ticket at window {previous} first")
                    self._change_counter(pending, old, clerk, clerk=None, state="closed")
            if number is not None:
                row = self.counter_row(number)
                if row["clerk"] not in (None, clerk):
                    raise FloorError(409, "counter_taken", f"window {number} is taken by {row['clerk']}")
                self._change_counter(pending, row, clerk, clerk=clerk)

    def set_skills(self, number: int, skills: dict[str, float], actor: str | None) -> dict[str, Any]:
        """The branch head moves a window to other sub-services; used at its next call."""
        for code, weight in skills.items():
            if self.branch.service(code) is None:
                raise FloorError(400, "unknown_service", f'unknown service "{code}"')
            if not isinstance(weight, int | float) or not 0 < weight <= 1:
                raise FloorError(400, "bad_weight", f"{code}: weight must be in (0, 1]")
        if not skills:
            raise FloorError(400, "no_services", "a window must serve at least one sub-service")
        with self._write() as pending:
            self._change_counter(pending, self.counter_row(number), actor, skills=skills)
        return self.counter_view(number)

    def counter_view(self, number: int) -> dict[str, Any]:
        row = self.counter_row(number)
        cfg = self.branch.counter(number)
        current = self.ticket_by_id(row["current_ticket"]) if row["current_ticket"] else None
        if current:
            current.pop("tracking_code", None)
        return {"number": number, "name": cfg.name.model_dump(), "unit": cfg.unit,
                "services": [{"code": c, "weight": w} for c, w in self.skills(row).items()],
                "state": row["state"], "clerk": row["clerk"], "current_ticket": current}

    def counters(self) -> list[dict[str, Any]]:
        return [self.counter_view(c.number) for c in self.branch.counters]

    def report_device(self, name: str, kind: str, status: str, detail: str, actor: str | None) -> None:
        """A printer or display reports its state; only a change becomes an event."""
        with self._write() as pending:
            prev = self.db.execute("SELECT status, detail FROM device_status WHERE name=?", [name]).fetchone()
            if prev is None or tuple(prev) != (status, detail):
                self._emit(pending, "device.status", {"name": name, "kind": kind, "status": status,
                                                      "detail": detail}, actor=actor)
            else:
                self.db.execute("UPDATE device_status SET at=? WHERE name=?", [iso(self.clock()), name])

    # ---- the clerk's actions --------------------------------------------------

    def call_next(self, number: int, actor: str | None) -> dict[str, Any] | None:
        with self._write() as pending:
            row = self.counter_row(number)
            self._must_be_open(row)
            if row["current_ticket"] is not None:
                raise FloorError(409, "ticket_in_progress",
                                 "finish, transfer or mark a no-show for the current ticket first")
            skills = self.skills(row)
            window = queueing.Window(number, skills)
            marks = ",".join("?" * len(skills))
            waiting = [queueing.WaitingTicket(r[0], r[1], parse_iso(r[2]).timestamp(), r[3]) for r in self.db.execute(
                f"SELECT id, service, arrived_at, priority FROM tickets WHERE state='waiting' AND service IN ({marks})",
                list(skills))]
            choice = queueing.choose_next(window, waiting, self.clock().timestamp(), self.rules)
            if choice is None:
                return None
            t = self._ticket_row(id_=choice.ticket.id)
            self._emit(pending, "ticket.called", {"ticket": t["id"], "number": t["number"], "service": t["service"],
                                                  "counter": number, "clerk": actor, "reason": choice.reason},
                       actor=actor)
        return self.ticket_by_id(t["id"])

    def _must_be_open(self, row: dict[str, Any]) -> None:
        if row["state"] != "open":
            raise FloorError(409, f"counter_{row['state']}", f"window {row['number']} is {row['state']}")

    def _current(self, number: int, states: tuple[str, ...]) -> dict[str, Any]:
        row = self.counter_row(number)
        if row["current_ticket"] is None:
            raise FloorError(409, "no_current_ticket", f"window {number} has no current ticket")
        t = self._ticket_row(id_=row["current_ticket"])
        if t["state"] not in states:
            raise FloorError(409, "invalid_state", f"ticket {t['number']} is {t['state']}")
        return t

    def act(self, number: int, action: str, actor: str | None, **extra: Any) -> dict[str, Any]:
        """recall | start | done | no-show | transfer on the window's current ticket."""
        with self._write() as pending:
            states = {"recall": ("called",), "start": ("called",), "done": ACTIVE, "no-show": ("called",),
                      "transfer": ACTIVE}[action]
            t = self._current(number, states)
            base = {"ticket": t["id"], "number": t["number"], "service": t["service"], "counter": number}
            if action == "recall":
                self._emit(pending, "ticket.recalled", base, actor=actor)
            elif action == "start":
                self._emit(pending, "ticket.started", base, actor=actor)
            elif action == "done":
                outcome = extra.get("outcome")
                if outcome not in (None, "served", "documents_incomplete", "referred"):
                    raise FloorError(400, "bad_outcome", "outcome must be served, documents_incomplete or referred")
                self._emit(pending, "ticket.done", {**base, "outcome": outcome or "served"}, actor=actor)
            elif action == "no-show":
                self._emit(pending, "ticket.no_show", base, actor=actor)
            else:
                to = extra.get("service")
                if not isinstance(to, str) or self.branch.service(to) is None:
                    raise FloorError(400 if not isinstance(to, str) else 404, "unknown_service",
                                     f'unknown service "{to}"')
                if to == t["service"]:
                    raise FloorError(409, "same_service", "the ticket is already at that sub-service")
                self._emit(pending, "ticket.transferred", {**base, "from_service": t["service"], "service": to},
                           actor=actor)
        return self.ticket_by_id(t["id"])

    def cancel(self, ticket_id: int, actor: str | None) -> dict[str, Any]:
        with self._write() as pending:
            t = self._ticket_row(id_=ticket_id)
            if t["state"] not in ("waiting", "called"):
                raise FloorError(409, "invalid_state", f"ticket {t['number']} is {t['state']}")
            self._emit(pending, "ticket.cancelled", {"ticket": t["id"], "number": t["number"],
                                                     "service": t["service"]}, actor=actor)
        return self.ticket_by_id(ticket_id)

    # ---- estimates (queueing engine) -----------------------------------------

    def queue_state(self) -> queueing.QueueState:
        """The live floor as the engine sees it, with what history says about arrivals."""
        now = self.clock()
        waiting = [queueing.WaitingTicket(r[0], r[1], parse_iso(r[2]).timestamp(), r[3]) for r in self.db.execute(
            "SELECT id, service, arrived_at, priority FROM tickets WHERE state='waiting'")]
        windows = []
        for r in self.db.query("""SELECT c.*, t.service AS busy_service, t.called_at FROM counters c
                                  LEFT JOIN tickets t ON t.id = c.current_ticket"""):
            busy_since = parse_iso(r["called_at"]).timestamp() if r["called_at"] else None
            windows.append(queueing.Window(r["number"], self.skills(r), r["state"], busy_since, r["busy_service"]))
        since = iso(now - dt.timedelta(minutes=self.rules.rate_window_min))
        recent = [queueing.WaitingTicket(r[0], r[1], parse_iso(r[2]).timestamp(), r[3]) for r in self.db.execute(
            "SELECT id, first_service, issued_at, priority FROM tickets WHERE issued_at >= ?", [since])]
        span = self.branch.opening_span(self.branch.branch_day(now))
        if span is not None and not span[0] <= now < span[1]:
            span = None  # before opening or after closing (hours ignored): no day to scale by
        return queueing.QueueState(
            waiting, windows, now.timestamp(), self.service_minutes(), recent_arrivals=recent,
            no_show_share=self._history()[1],
            opened_at=span[0].timestamp() if span else None, closes_at=span[1].timestamp() if span else None)

    def service_minutes(self) -> dict[str, float]:
        return self._history()[0]

    def _history(self) -> tuple[dict[str, float], float]:
        """Service minutes learned from the last 30 days (called -> finished) and the share of
        calls that were no-shows; cached for a minute."""
        now = time.monotonic()
        if self._learned and now - self._learned[0] < 60:
            return self._learned[1]
        since = iso(self.clock() - dt.timedelta(days=30))
        samples: dict[str, list[float]] = {}
        for r in self.db.query("""SELECT service, called_at, finished_at FROM tickets
                                  WHERE state='done' AND called_at IS NOT NULL AND finished_at >= ?""", [since]):
            minutes = (parse_iso(r["finished_at"]) - parse_iso(r["called_at"])).total_seconds() / 60
            samples.setdefault(r["service"], []).append(minutes)
        no_shows, finished = self.db.execute(
            """SELECT sum(state='no_show'), count(*) FROM tickets
               WHERE state IN ('done', 'no_show') AND finished_at >= ?""", [since]).fetchone()
        learned = (queueing.learn_service_minutes(samples, self.rules), (no_shows or 0) / finished if finished else 0.0)
        self._learned = (now, learned)
        return learned

    def estimates(self) -> dict[int, queueing.Estimate]:
        """Every waiting ticket's estimate, as of the last replay (a moment after the last change)."""
        return self.waits.get()[0]

    def _replay(self) -> tuple[dict[int, queueing.Estimate], dict[str, queueing.Estimate]]:
        state = self.queue_state()
        served = [code for code, windows in self.serving().items() if windows]
        newcomers = queueing.estimate_newcomers(state, self.rules, served) if served else {}
        return queueing.estimate_waits(state, self.rules), newcomers

    def services(self) -> list[dict[str, Any]]:
        """Every sub-service with its live waiting count and a newcomer's estimate."""
        counts = dict(self.db.execute("SELECT service, count(*) FROM tickets WHERE state='waiting' GROUP BY service"))
        serving = self.serving()
        estimates = self.waits.settle_now(1.0)[1]  # kiosks poll this: a fresh answer beats a fast one
        out = []
        for unit in self.branch.units:
            for s in unit.services:
                est = estimates.get(s.code)
                out.append({
                    "code": s.code, "name": s.name.model_dump(), "unit": unit.code, "unit_name": unit.name.model_dump(),
                    "documents": [d.model_dump() for d in s.documents], "steps": [d.model_dump() for d in s.steps],
                    "responsible": s.responsible.model_dump() if s.responsible else None,
                    "expected_minutes": s.expected_minutes, "target_wait_minutes": s.target_wait_minutes,
                    "waiting": counts.get(s.code, 0),
                    "available": bool(serving[s.code]),
                    "open_windows": sum(1 for r in serving[s.code] if r["state"] == "open"),
                    "windows": [r["number"] for r in serving[s.code]],
                    "estimated_wait_minutes": round(est.minutes) if est else None,
                    "estimated_wait": _range(est) if est else None,
                })
        return out


def _range(est: queueing.Estimate) -> dict[str, int]:
    return {"minutes": round(est.minutes), "low": round(est.low), "high": round(est.high)}
