"""Number leases (issue 26, docs/leases.md): numbers set aside for one kiosk so that it can issue on its
own while the hub or the LAN is down, and the tickets it issued merged back exactly once.

Every fact is an event (lease.granted, lease.returned, lease.expired, lease.merged, and each merged
ticket's ticket.issued with its real issue time), folded into `leases`, `lease_numbers` and
`lease_merges` (server/floor/projection.py). While a lease is live its unused numbers are held
(server/floor/numbers.py): neither the hub nor another lease gives them. A lease never returned
expires `LEASE_HOURS` after it was granted (the `leases` worker), and its unused numbers are free again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from navbat.foundation import event_types as E
from navbat.foundation.workers import Loop
from navbat.server.floor import numbers
from navbat.server.floor.queries import serving
from navbat.server.floor.refusals import Conflict, Invalid, NotFound, TooMany
from navbat.server.floor.times import iso, parse_iso

if TYPE_CHECKING:
    from navbat.server.floor.floor import Floor, Write

LEASE_HOURS = 4  # a kiosk alone covers about an hour; the rest is room for a long outage
SIZE_FLOOR, SIZE_CEILING = 10, 60  # numbers in one lease
BLOCK_SHARE = 4  # a lease takes at most a quarter of the block, and at most half of what is free
LEASES_PER_HOUR = 30  # per device: what a runaway or stolen kiosk token can set aside
LIVE_PER_SERVICE = 4  # live leases one device may hold for one sub-service
MAX_TICKETS = 500  # per merge request
MERGES_PER_MINUTE = 30  # merge requests per device (a token bucket, server/web/api/leases.py)
SKEW_BOUND_S = 5.0  # a kiosk clock within this of the hub's is taken as it is
EXPIRE_EVERY_S = 30.0
KEY_PREFIX = "offline"  # a journal's keys are their own namespace: never the key of an online attempt
HOUR = dt.timedelta(hours=1)


def size_for(db: Any, floor: Floor, service: str, now: dt.datetime, free: int) -> int:
    """The sub-service's tickets of the last hour (every channel: one kiosk alone must cover the hall),
    within [SIZE_FLOOR, SIZE_CEILING], at most a quarter of the block and half of its free numbers."""
    recent = db.execute("SELECT count(*) FROM tickets WHERE first_service=? AND issued_at >= ?",
                        [service, iso(now - HOUR)]).fetchone()[0]
    block = floor.branch.service(service).numbering.size
    return min(max(recent, SIZE_FLOOR), SIZE_CEILING, max(block // BLOCK_SHARE, 1), free // 2)


def grant(floor: Floor, device: str, service: str) -> dict[str, Any]:
    """A new lease for `device`'s tickets of `service`: the answer of POST /leases."""
    svc = floor.branch.service(service)
    if svc is None:
        raise NotFound("unknown_service", f'unknown service "{service}"')
    with floor.write() as tx:
        db, now = tx.db, tx.now
        if not serving(db, floor.branch, floor.derived)[service]:
            raise Conflict("service_unavailable", f'no counter serves "{service}" today')
        if not floor.ignore_hours and not floor.branch.is_open(now):
            raise Conflict("branch_closed", "the branch is closed")
        _within_budget(db, device, service, now)
        day = floor.branch.branch_day(now).isoformat()
        size = size_for(db, floor, service, now, numbers.free_count(db, svc.numbering, service, day))
        if size < 1:
            raise Conflict("numbers_exhausted", f"too few numbers of {service} are free to set any aside")
        last = db.execute("SELECT last FROM sequences WHERE service=? AND branch_day=?", [service, day]).fetchone()
        first = (last[0] if last else 0) + 1
        given = numbers.next_free(db, svc.numbering, service, day, first, size)
        lease = db.execute("SELECT coalesce(max(id), 0) + 1 FROM leases").fetchone()[0]
        expires = iso(now + dt.timedelta(hours=LEASE_HOURS))
        pairs = [[first + i, n] for i, n in enumerate(given)]
        tx.emit(E.LeaseGranted(lease, device, service, day, pairs, expires), actor=device)
    return {"lease": lease, "service": service, "branch_day": day,
            "numbers": [{"seq": s, "number": n} for s, n in pairs], "granted_at": iso(now), "expires_at": expires}


def _within_budget(db: Any, device: str, service: str, now: dt.datetime) -> None:
    hour = [r[0] for r in db.execute("SELECT granted_at FROM leases WHERE device=? AND granted_at >= ? "
                                     "ORDER BY granted_at", [device, iso(now - HOUR)])]
    if len(hour) >= LEASES_PER_HOUR:
        wait = (parse_iso(hour[len(hour) - LEASES_PER_HOUR]) + HOUR - now).total_seconds()
        raise TooMany("too_many_leases", f"a kiosk may take {LEASES_PER_HOUR} leases an hour", wait)
    live = db.execute("SELECT count(*) FROM leases WHERE device=? AND service=? AND state='live'",
                      [device, service]).fetchone()[0]
    if live >= LIVE_PER_SERVICE:
        raise Conflict("lease_limit", f"this kiosk already holds {live} live leases of {service}; return one first")


def give_back(floor: Floor, device: str, lease: int) -> list[int]:
    """The kiosk is done with `lease` (its journal merged): the seqs it did not use, freed."""
    with floor.write() as tx:
        row = _lease(tx.db, device, lease)
        unused = _unused(tx.db, lease)
        if row["state"] == "live":
            tx.emit(E.LeaseReturned(lease, device, row["service"], unused), actor=device)
    return unused


def expire(floor: Floor) -> int:
    """Leases past their time, never returned (a kiosk that died): their unused numbers come back."""
    with floor.write() as tx:
        rows = list(tx.db.query("SELECT id, device, service FROM leases WHERE state='live' AND expires_at <= ?",
                                [iso(tx.now)]))
        for r in rows:
            tx.emit(E.LeaseExpired(r["id"], r["device"], r["service"], _unused(tx.db, r["id"])), actor="hub")
    return len(rows)


def expirer(floor: Floor, read: Callable[[], AbstractContextManager[Any]], every: float = EXPIRE_EVERY_S) -> Loop:
    """The `leases` worker: expires leases as their time comes (a read first: nothing due, no write)."""
    def step() -> float:
        with read() as db:
            due = db.execute("SELECT 1 FROM leases WHERE state='live' AND expires_at <= ? LIMIT 1",
                             [iso(floor.clock())]).fetchone()
        if due:
            expire(floor)
        return every

    return Loop("leases", step, every=every)


def _lease(db: Any, device: str, lease: int) -> dict[str, Any]:
    row = db.execute("SELECT id, device, service, branch_day, granted_at, state FROM leases WHERE id=?",
                     [lease]).fetchone()
    if row is None or row[1] != device:
        raise NotFound("not_your_lease", f"this kiosk holds no lease {lease}")
    return dict(zip(("id", "device", "service", "branch_day", "granted_at", "state"), row, strict=True))


def _unused(db: Any, lease: int) -> list[int]:
    return [r[0] for r in db.execute("SELECT seq FROM lease_numbers WHERE lease_id=? AND ticket_id IS NULL "
                                     "ORDER BY seq", [lease])]


# ---- merging a kiosk's journal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """The clock rule (docs/leases.md): skew = hub's time when the request arrived - kiosk's sent_at;
    past SKEW_BOUND_S every issue time is moved by it; then each is clamped into [lease granted, hub now]."""

    now: dt.datetime
    skew: dt.timedelta

    def issued(self, kiosk_time: dt.datetime, granted: dt.datetime) -> dt.datetime:
        when = kiosk_time if abs(self.skew.total_seconds()) <= SKEW_BOUND_S else kiosk_time + self.skew
        return min(max(when, granted), self.now)


def parse_time(text: Any) -> dt.datetime | None:
    """An ISO time with its offset, or None."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def check_batch(body: dict[str, Any]) -> tuple[dt.datetime, list[Any]]:
    """The request's shape (400 if not): its sent_at and its list of tickets (each checked on its own)."""
    sent_at, tickets = parse_time(body.get("sent_at")), body.get("tickets")
    if sent_at is None:
        raise Invalid("bad_sent_at", "sent_at must be the kiosk's time as ISO 8601 with its offset")
    if not isinstance(tickets, list):
        raise Invalid("bad_tickets", "tickets must be a list")
    if len(tickets) > MAX_TICKETS:
        raise Invalid("batch_too_big", f"send at most {MAX_TICKETS} tickets a request")
    return sent_at, tickets


def merge(floor: Floor, device: str, sent_at: dt.datetime, tickets: list[Any]) -> list[dict[str, Any]]:
    """The kiosk's journal in one write: one result per ticket, in the order sent."""
    results = []
    # The skew is read as the request arrives: the time it then waits for the writer (a hub just restarted,
    # every kiosk merging at once) is not the kiosk's clock being off, and must not move its tickets later.
    arrived = floor.clock()
    with floor.write() as tx:
        clock = Clock(tx.now, arrived - sent_at)
        merged: list[str] = []
        for t in tickets:
            result = _merge_one(floor, tx, device, clock, t)
            results.append(result)
            if result["status"] == "merged":
                merged.append(result.pop("issued_at"))
        if merged:
            tx.emit(E.LeaseMerged(device, len(merged), min(merged), max(merged)), actor=device)
    return results


def _merge_one(floor: Floor, tx: Write, device: str, clock: Clock, t: Any) -> dict[str, Any]:
    key = t.get("idempotency_key") if isinstance(t, dict) else None
    out: dict[str, Any] = {"idempotency_key": key, "status": "refused", "ticket": None, "error": None}
    fields = _fields(t)
    if fields is None:
        return out | {"error": "bad_ticket"}
    lease_id, seq, number, service, priority, kiosk_time = fields
    db = tx.db
    stored = f"{device}:{KEY_PREFIX}:{key}"
    existing = db.execute("SELECT id FROM tickets WHERE idempotency_key=?", [stored]).fetchone()
    if existing is not None:
        return out | {"status": "already", "ticket": existing[0]}
    lease = db.execute("SELECT device, service, branch_day, granted_at, state FROM leases WHERE id=?",
                       [lease_id]).fetchone()
    if lease is None or lease[0] != device:
        return out | {"error": "not_your_lease"}
    _, lease_service, day, granted, state = lease
    held = db.execute("SELECT number, ticket_id FROM lease_numbers WHERE lease_id=? AND seq=?",
                      [lease_id, seq]).fetchone()
    if held is None or held[0] != number or service != lease_service:
        return out | {"error": "not_in_lease"}
    if held[1] is not None:
        return out | {"error": "seq_used"}
    if priority is not None and floor.branch.priority(priority) is None:
        return out | {"error": "unknown_priority"}
    if state != "live" and number in numbers.held(db, service, day):
        return out | {"error": "number_taken"}
    issued = iso(clock.issued(kiosk_time, parse_iso(granted)))
    ticket = db.execute("SELECT coalesce(max(id), 0) + 1 FROM tickets").fetchone()[0]
    tx.emit(E.TicketIssued(ticket, number, seq, service, priority, floor.new_tracking_code(), stored, device, day,
                           lease=lease_id, issued_at=issued), actor=device)
    if day < floor.branch.branch_day(tx.now).isoformat():  # merged after its day: it ends as that day's others did
        tx.emit(E.TicketCancelled(ticket, number, service, outcome="expired"), actor="hub")
    _withdraw_unanswered(tx, device, t.get("unanswered_key"))
    return out | {"status": "merged", "ticket": ticket, "issued_at": issued}


def _withdraw_unanswered(tx: Write, device: str, key: Any) -> None:
    """The kiosk asked the hub for this visitor's ticket under `key`, heard nothing and printed one
    from its lease. If the hub did issue that ticket (it died, or the answer was lost, after its
    commit), nobody holds it: it is cancelled while still waiting, so no clerk calls an empty hall.
    One already called is left as the floor has it (a clerk has seen it)."""
    if not isinstance(key, str) or not 0 < len(key) <= 100:
        return
    row = tx.db.execute("SELECT id, number, service FROM tickets WHERE idempotency_key=? AND state='waiting'",
                        [f"{device}:{key}"]).fetchone()
    if row is not None:
        tx.emit(E.TicketCancelled(row[0], row[1], row[2], outcome=E.SUPERSEDED), actor="hub")


def _fields(t: Any) -> tuple[int, int, str, str, str | None, dt.datetime] | None:
    """A journal entry's fields, or None if one is missing or of the wrong type."""
    if not isinstance(t, dict):
        return None
    key, lease, seq, number = t.get("idempotency_key"), t.get("lease"), t.get("seq"), t.get("number")
    service, priority, when = t.get("service"), t.get("priority"), parse_time(t.get("issued_at"))
    if (not isinstance(key, str) or not 0 < len(key) <= 100 or not _whole(lease) or not _whole(seq)
            or not isinstance(number, str) or not isinstance(service, str)
            or not (priority is None or isinstance(priority, str)) or when is None):
        return None
    return lease, seq, number, service, priority, when


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**62


# ---- what the head sees ---------------------------------------------------------------------------------


def merges_since(db: Any, since: str) -> list[dict[str, Any]]:
    """Merges since `since` (UTC ISO), oldest first: when, how many tickets, from which kiosk."""
    return [{"merged_at": r[0], "tickets": r[1], "device": r[2]} for r in db.execute(
        "SELECT merged_at, tickets, device FROM lease_merges WHERE merged_at >= ? ORDER BY event_id", [since])]


def minutes_of(merged_at: str, tz: Any) -> str:
    """HH:MM of a merge on the branch's clock."""
    return parse_iso(merged_at).astimezone(tz).strftime("%H:%M")

