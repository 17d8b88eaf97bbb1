"""Appointments (issue 18, V3): book a sub-service at a time slot, cancel, check in.

A slot's capacity is the share of the plan the branch head keeps for appointments
(`appointments:` in the branch file; `queueing.appointments`): the sub-service's own
counters' time in the slot ÷ its expected minutes, times the share, spread over the day.
Booking counts the slot and adds the booking in one transaction of the floor's write path,
so concurrent bookers can never overbook it. Checking in issues the ticket (through the
same path, with an Idempotency-Key made from the booking's code, so a retry gets the same
ticket) and the engine calls it at its slot (`due_at`, queueing/policy.py).

A booking's life is in the event log (appointment.booked, .cancelled, .checked_in), folded into
`appointments` (server/floor/projection.py); the booker's phone and address stay beside the log in
`appointment_contacts`, never in an event.

One address (the TCP peer, or the visitor's as HQ's relay passes it) books at most
`budgets.bookings_per_address_hour` an hour and holds at most `address_day_share` of a
sub-service's places of a day (issue 23): a few addresses cannot take a whole day.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections.abc import Callable
from typing import Any

from navbat.foundation import event_types as E
from navbat.foundation.config import Branch
from navbat.foundation.remote import Budgets
from navbat.queueing.appointments import slot_capacities, visits_per_slot
from navbat.queueing.branch import counters_from_branch
from navbat.queueing.model import Rules
from navbat.server.floor.db import Reader
from navbat.server.floor.floor import TRACKING_ALPHABET, Floor, Write
from navbat.server.floor.queries import Row, ticket_row
from navbat.server.floor.refusals import Conflict, Invalid, NotFound, TooMany
from navbat.server.floor.times import Clock, iso, parse_iso
from navbat.server.visitors import remote_settings
from navbat.server.visitors.appointment_shares import share_of

OPEN = ("booked", "checked_in")  # states that hold a place in a slot


def parse_day(text: object) -> dt.date:
    if not isinstance(text, str):
        raise Invalid("bad_date", "date must be YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid("bad_date", "date must be YYYY-MM-DD") from None


def _service(branch: Branch, code: object, db: Any) -> tuple[str, float]:
    """The sub-service's code and the share of its plan kept for appointments."""
    if not isinstance(code, str) or branch.service(code) is None:
        raise NotFound("unknown_service", f'unknown service "{code}"')
    share = share_of(db, branch, code)
    if share <= 0:
        raise Conflict("no_appointments", "this sub-service takes no appointments; take a turn at the kiosk")
    return code, share


def _hm(when: dt.datetime) -> str:
    return when.strftime("%H:%M")


def _plan(branch: Branch, rules: Rules, service: str, day: dt.date, share: float) -> list[tuple[dt.datetime, int]]:
    """Every slot of that day (start, branch time) with the appointments it can take."""
    span = branch.opening_span(day)
    if span is None:
        return []
    cfg = branch.appointments
    step = dt.timedelta(minutes=cfg.slot_minutes)
    count = int((span[1] - span[0]) / step)
    per_slot = visits_per_slot(counters_from_branch(branch), service, cfg.slot_minutes, rules)
    caps = slot_capacities(per_slot, share, count)
    return [(span[0] + k * step, caps[k]) for k in range(count)]


def _bookable_day(b: Branch, day: dt.date, now: dt.datetime) -> None:
    """Refuses, with a clear message, outside booking hours, a closed day, a past or too far day."""
    cfg = b.appointments
    local = now.astimezone(b.tz)
    opens, closes = cfg.booking_span()
    minute = local.hour * 60 + local.minute
    if not opens <= minute < closes:
        raise Conflict("booking_closed", f"bookings are taken between {cfg.booking_hours.replace('-', ' and ')}")
    today = local.date()
    if day < today:
        raise Conflict("day_past", "that day is past; pick a coming working day")
    if b.opening_span(day) is None:
        raise Conflict("branch_closed", "the branch is closed that day; pick a working day")
    working = [today + dt.timedelta(days=k) for k in range(0, 60) if b.opening_span(today + dt.timedelta(days=k))]
    if day not in working[:cfg.booking_days]:
        raise Conflict("too_far_ahead", f"bookings are taken for the coming {cfg.booking_days} working days")


def _taken(db: Any, service: str, day: dt.date) -> dict[str, int]:
    marks = ",".join("?" * len(OPEN))
    return dict(db.execute(f"SELECT start, count(*) FROM appointments WHERE service=? AND day=? "  # noqa: S608
                           f"AND state IN ({marks}) GROUP BY start", [service, day.isoformat(), *OPEN]).fetchall())


def slots(read: Reader, branch: Branch, rules: Rules, clock: Clock, service: object, day_text: object
          ) -> list[dict[str, Any]]:
    """The day's coming slots with the places left: [{"start": "HH:MM", "free": n}]. `rules`: the
    engine's (expected minutes), from which a slot's places are planned."""
    with read() as db:
        code, share = _service(branch, service, db)
        day, now = parse_day(day_text), clock()
        _bookable_day(branch, day, now)
        taken = _taken(db, code, day)
    return [{"start": _hm(start), "free": max(0, cap - taken.get(_hm(start), 0))}
            for start, cap in _plan(branch, rules, code, day, share) if start > now and cap > 0]


def _new_code(db: Any) -> str:
    while True:
        code = "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))
        if not db.execute("SELECT 1 FROM appointments WHERE code=?", [code]).fetchone():
            return code


def book(floor: Floor, branch: Branch, rules: Rules, service: object, day_text: object, start: object, phone: str,
         prove: Callable[[Write], None] = lambda tx: None, address: str = "unknown") -> Row:
    """Books the slot for `phone` (already checked; `prove` uses its code up in the same write).
    One open booking per phone; a slot never takes more than its capacity; `address` within its
    budgets."""
    day = parse_day(day_text)
    if not isinstance(start, str):
        raise Invalid("bad_start", "start must be HH:MM, one of the day's slots")
    with floor.write() as tx:
        code, share = _service(branch, service, tx.db)
        _bookable_day(branch, day, tx.now)
        plan = {_hm(s): (s, cap) for s, cap in _plan(branch, rules, code, day, share)}
        if start not in plan or plan[start][1] <= 0:
            raise Invalid("bad_start", "start must be HH:MM, one of the day's slots")
        slot_start, cap = plan[start]
        if slot_start <= tx.now:
            raise Conflict("slot_past", "that slot has begun; pick a later one")
        # open: booked and its check-in window not yet over (a missed one no longer holds the phone)
        over = iso(tx.now - dt.timedelta(minutes=branch.appointments.check_in_after_minutes))
        if tx.db.execute("SELECT 1 FROM appointments a JOIN appointment_contacts c ON c.appointment_id = a.id "
                         "WHERE c.phone=? AND a.state='booked' AND a.due_at>=?", [phone, over]).fetchone():
            raise Conflict("booking_exists", "this phone already has a booking here; cancel or move it first")
        if _taken(tx.db, code, day).get(start, 0) >= cap:
            raise Conflict("slot_full", "that slot is full; pick another")
        places = sum(c for _, c in plan.values())
        _refuse_flood(tx.db, remote_settings.budgets(tx.db, branch), address, code, day, places, tx.now)
        prove(tx)
        booking = _new_code(tx.db)
        number = tx.db.execute("SELECT coalesce(max(id), 0) + 1 FROM appointments").fetchone()[0]
        tx.emit(E.AppointmentBooked(number, booking, code, day.isoformat(), start, iso(slot_start)), actor="booking")
        tx.db.execute("INSERT INTO appointment_contacts (appointment_id, phone, address) VALUES (?, ?, ?)",
                      [number, phone, address])
        return appointment_row(tx.db, booking)


def _refuse_flood(db: Any, budgets: Budgets, address: str, service: str, day: dt.date, places: int,
                  now: dt.datetime) -> None:
    """TooMany when `address` has booked its hour's worth (cancelled ones count: churn costs too), or
    holds its share of the day's places of this sub-service (at least one place, whatever the share)."""
    hour = dt.timedelta(hours=1)
    booked = [r[0] for r in db.execute("SELECT a.booked_at FROM appointments a JOIN appointment_contacts c "
                                       "ON c.appointment_id = a.id WHERE c.address=? AND a.booked_at>=? "
                                       "ORDER BY a.booked_at", [address, iso(now - hour)])]
    if len(booked) >= budgets.bookings_per_address_hour:
        wait = (parse_iso(booked[len(booked) - budgets.bookings_per_address_hour]) + hour - now).total_seconds()
        raise TooMany("too_many_bookings", f"{budgets.bookings_per_address_hour} bookings an hour may be made from "
                      "one address", wait)
    allowed = max(1, math.floor(budgets.address_day_share * places))
    marks = ",".join("?" * len(OPEN))
    held = db.execute(f"SELECT count(*) FROM appointments a JOIN appointment_contacts c "  # noqa: S608
                      f"ON c.appointment_id = a.id WHERE c.address=? AND a.service=? AND a.day=? "
                      f"AND a.state IN ({marks})", [address, service, day.isoformat(), *OPEN]).fetchone()[0]
    if held >= allowed:
        raise TooMany("address_share_spent", f"one address may hold {allowed} of the {places} places of that "
                      "day; pick another day", 3600)


def open_booking(read: Reader, branch: Branch, clock: Clock, phone: str) -> str | None:
    """The code of the phone's open booking (the one that refuses a second), if any."""
    over = iso(clock() - dt.timedelta(minutes=branch.appointments.check_in_after_minutes))
    with read() as db:
        row = db.execute("SELECT a.code FROM appointments a JOIN appointment_contacts c ON c.appointment_id = a.id "
                         "WHERE c.phone=? AND a.state='booked' AND a.due_at>=? ORDER BY a.due_at LIMIT 1",
                         [phone, over]).fetchone()
    return row[0] if row else None


def appointment_row(db: Any, code: str) -> Row:
    rows = list(db.query("SELECT a.*, c.phone, c.address FROM appointments a LEFT JOIN appointment_contacts c "
                         "ON c.appointment_id = a.id WHERE a.code=?", [code.strip().upper()]))
    if not rows:
        raise NotFound("unknown_appointment", "no such appointment")
    return rows[0]


def cancel(floor: Floor, code: str) -> Row:
    """Frees the slot; cancelling twice answers the same. A checked-in booking is a ticket now."""
    with floor.write() as tx:
        row = appointment_row(tx.db, code)
        if row["state"] == "checked_in":
            raise Conflict("checked_in", "this appointment has checked in; its ticket is in the queue")
        if row["state"] == "booked":
            tx.emit(E.AppointmentCancelled(row["id"], row["service"], row["day"], row["start"]), actor="booking")
        return appointment_row(tx.db, code)


def check_in(floor: Floor, branch: Branch, code: str, actor: str) -> tuple[Row, bool]:
    """The booking's ticket, issued now with its due time (created), or the one it already has."""
    with floor.write() as tx:
        row = appointment_row(tx.db, code)
        if row["state"] == "checked_in":
            return ticket_row(tx.db, row["ticket_id"]), False
        if row["state"] == "cancelled":
            raise Conflict("appointment_cancelled", "this appointment was cancelled")
        cfg, due = branch.appointments, parse_iso(row["due_at"])
        opens = due - dt.timedelta(minutes=cfg.check_in_before_minutes)
        closes = due + dt.timedelta(minutes=cfg.check_in_after_minutes)
        if not opens <= tx.now <= closes:
            tz = branch.tz
            raise Conflict("outside_check_in_window", f"check in between {_hm(opens.astimezone(tz))} and "
                           f"{_hm(closes.astimezone(tz))} on {row['day']}")
        ticket_id = floor.issue(tx, row["service"], None, f"appointment:{row['code']}", actor,
                                    channel="appointment", due_at=row["due_at"])
        tx.emit(E.AppointmentCheckedIn(row["id"], ticket_id, row["service"]), actor=actor)
        return ticket_row(tx.db, ticket_id), True


def public(row: Row) -> dict[str, Any]:
    """What the booker sees (never the phone in full)."""
    return {"code": row["code"], "service": row["service"], "date": row["day"], "start": row["start"],
            "state": row["state"], "phone": "•" * 7 + row["phone"][-4:]}


NO_SHOW_DAYS = 28


def today_view(read: Reader, branch: Branch, clock: Clock) -> dict[str, Any]:
    """For the head: today's bookings per slot (booked, checked in, cancelled, no-shows so far)
    and the no-show rate of the last four weeks' appointments whose check-in window has closed."""
    now, cfg = clock(), branch.appointments
    today = branch.branch_day(now)
    closed_before = iso(now - dt.timedelta(minutes=cfg.check_in_after_minutes))  # window over: came or not
    since = (today - dt.timedelta(days=NO_SHOW_DAYS)).isoformat()
    with read() as db:
        rows = db.execute("SELECT start, state, due_at < ? FROM appointments WHERE day=? ORDER BY start",
                          [closed_before, today.isoformat()]).fetchall()
        came, missed = db.execute(
            "SELECT sum(state='checked_in'), sum(state='booked') FROM appointments WHERE day>=? AND due_at<? "
            "AND state IN ('checked_in', 'booked')", [since, closed_before]).fetchone()
    slots: dict[str, dict[str, int]] = {}
    for start, state, over in rows:
        s = slots.setdefault(start, {"booked": 0, "checked_in": 0, "cancelled": 0, "no_show": 0})
        s["no_show" if state == "booked" and over else state] += 1
    came, missed = came or 0, missed or 0
    return {"date": today.isoformat(), "slots": [{"start": k, **v} for k, v in slots.items()],
            "no_show": {"days": NO_SHOW_DAYS, "due": came + missed, "no_shows": missed,
                        "pct": round(100 * missed / (came + missed), 1) if came + missed else None}}
