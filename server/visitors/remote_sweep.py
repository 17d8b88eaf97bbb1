"""What happens to a remote turn while it waits away from the branch (issue 18 A).

- `passed_over` (from the floor's `call_next`, in its transaction): the turn reached the front
  without checking in; it is skipped, keeps its place, and its grace time starts (once).
- `sweep`: after each change on the floor and every few seconds (`Sweeper`): a turn passed over
  longer than the grace time expires and the visitor is told; a turn with few enough people (or
  minutes) ahead is told "come now", once; a called one is told its counter, once. Each SMS is
  queued in the same transaction as the mark that it was sent, so none is sent twice.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.foundation.wording import sms_text
from navbat.foundation.workers import Loop
from navbat.server.floor.ahead import people_ahead
from navbat.server.floor.times import iso, parse_iso
from navbat.server.visitors import remote_settings

if TYPE_CHECKING:
    from navbat.server.floor.db import Reader
    from navbat.server.floor.estimates import Estimates, Waits
    from navbat.server.floor.events import EventBus
    from navbat.server.floor.floor import Floor, Write
    from navbat.server.visitors.sms import Outbox

SWEEP_EVERY_S = 10.0


def _open_turns(db: Any) -> list[dict[str, Any]]:
    return list(db.query("""SELECT t.*, p.phone, r.passed_at, r.come_now_at, r.called_sms_at FROM remote_turns r
                            JOIN tickets t ON t.id = r.ticket_id JOIN remote_phones p ON p.ticket_id = r.ticket_id
                            WHERE r.ended IS NULL"""))


def sweep(floor: Floor, read: Reader, branch: Branch, estimates: Estimates, outbox: Outbox) -> int:
    """One pass; returns how many turns it acted on."""
    with read() as db:
        if not db.execute("SELECT 1 FROM remote_turns WHERE ended IS NULL LIMIT 1").fetchone():
            return 0
    waits = estimates.settled(1.0)  # its own thread: a fresh count, the one the page shows
    acted = 0
    with floor.write() as tx:
        s = remote_settings.current(tx.db, branch)
        for t in _open_turns(tx.db):
            acted += _one(tx, t, s, waits, outbox)
    return acted


def _one(tx: Write, t: dict[str, Any], s: Any, waits: Waits, outbox: Outbox) -> int:
    # Each mark is an event, folded into remote_turns (server/floor/projection.py); the turn ends with its ticket.
    number = t["number"]
    if t["state"] in ("done", "no_show", "cancelled"):
        return 0  # ended by its ticket's last event; a database from before that fold is set by m011
    if t["state"] == "remote" and t["passed_at"] and parse_iso(t["passed_at"]) + dt.timedelta(
            minutes=s.grace_minutes) <= tx.now:
        tx.emit(E.TicketCancelled(t["id"], number, t["service"], outcome=E.REMOTE_EXPIRED), actor="hub")
        outbox.queue(tx, t["phone"], sms_text("Turn {number} has ended: you did not check in at the branch in time.",
                                          number=number), "expired")
        return 1
    if t["state"] in ("called", "serving") and t["called_sms_at"] is None:
        tx.emit(E.RemoteCallSent(t["id"], number, t["service"]), actor="hub")
        outbox.queue(tx, t["phone"], sms_text("Turn {number}: please go to counter {counter} now.", number=number,
                                          counter=t["counter"]), "called")
        return 1
    if t["state"] in ("remote", "waiting") and t["come_now_at"] is None and t["called_sms_at"] is None:
        ahead = people_ahead(waits, tx.db, t).count  # what its page says at this moment
        est = waits[0].get(t["id"])
        near = (s.come_now_people is not None and ahead <= s.come_now_people) or (
            s.come_now_minutes is not None and est is not None and est.minutes <= s.come_now_minutes)
        if near or t["passed_at"]:
            tx.emit(E.RemoteComeNow(t["id"], number, t["service"], told=t["state"] == "remote", ahead=ahead),
                    actor="hub")
            if t["state"] == "remote":  # one already in the hall needs no "come now"
                outbox.queue(tx, t["phone"], sms_text(
                    "Turn {number}: {ahead} people ahead. Come to the branch now and check in; your place is kept "
                    "{grace} minutes after your turn.", number=number, ahead=ahead, grace=s.grace_minutes), "come_now")
            return 1
    return 0


class Sweeper:
    """Runs `sweep` after each change on the floor (the event bus wakes it) and every few seconds,
    as the hub's `remote` worker (started and stopped with the hub's others)."""

    def __init__(self, floor: Floor, read: Reader, branch: Branch, estimates: Estimates, bus: EventBus,
                 outbox: Outbox, every: float = SWEEP_EVERY_S) -> None:
        self.floor, self.read, self.branch, self.estimates = floor, read, branch, estimates
        self.bus, self.outbox = bus, outbox
        self._seen = -1
        self.worker = Loop("remote", self._step, every=every)
        bus.listen(self._on_publish)

    def _on_publish(self) -> None:
        if self.bus.last_id != self._seen:  # a write without events (its own SMS marks) wakes nobody
            self.worker.wake()

    def _step(self) -> None:
        self._seen = self.bus.last_id
        sweep(self.floor, self.read, self.branch, self.estimates, self.outbox)


def info(db: Any, branch: Branch, row: dict[str, Any]) -> dict[str, Any] | None:
    """A remote turn's own facts for its holder's page (None for any other ticket): whether it
    has checked in, when its grace time ends if passed over, and whether "come now" was sent."""
    r = db.execute("SELECT checked_in_at, passed_at, come_now_at FROM remote_turns WHERE ticket_id=?",
                   [row["id"]]).fetchone()
    if r is None:
        return None
    grace = remote_settings.current(db, branch).grace_minutes
    ends = iso(parse_iso(r[1]) + dt.timedelta(minutes=grace)) if r[1] and row["state"] == "remote" else None
    return {"checked_in": r[0] is not None, "checked_in_at": r[0], "passed_over_at": r[1],
            "grace_ends_at": ends, "come_now": r[2] is not None}
