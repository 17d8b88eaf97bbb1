"""The visitor's booking page /book (issue 18 B, V2, V3): Persian first, plain forms that any
phone can send, no script needed.

    /book                         pick the sub-service and the day
    /book?service=PR1&date=…      the day's free slots and the phone number  → POST /book/code
    POST /book/code               the SMS code is sent; type it               → POST /book/confirm
    POST /book/confirm            booked                                      → /book/<code>
    /book/<code>                  the booking: its code, when to check in, cancel or move it
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from navbat.foundation.i18n import direction, gettext_for
from navbat.foundation.persian import digits, format_date
from navbat.server.floor.refusals import Refused, TooMany, too_many_words
from navbat.server.hub import current
from navbat.server.visitors import appointment_shares, appointments, verify
from navbat.server.web.errors import too_many
from navbat.server.web.pages.common import lang as _lang

bp = Blueprint("book", __name__)


def _messages(_: Any, lang: str) -> dict[str, str]:
    """The refusals a visitor can meet here, in their words (and digits)."""
    return {
        "booking_closed": _("Bookings are taken only between {hours}.").format(
            hours=digits(current().branch.appointments.booking_hours.replace("-", " – "), lang)),
        "branch_closed": _("The branch is closed that day. Please pick another day."),
        "too_far_ahead": _("That day is too far ahead. Please pick one of the coming days."),
        "day_past": _("That day has passed. Please pick a coming day."),
        "no_appointments": _("This service takes no appointments. Please take a turn at the kiosk."),
        "slot_full": _("That time has just been taken. Please pick another."),
        "slot_past": _("That time has begun. Please pick a later one."),
        "bad_start": _("Please pick a time."),
        "booking_exists": _("This phone number already has a booking. Cancel or move it first."),
        "bad_phone": _("Please type a mobile number such as 09121234567."),
        "bad_code": _("Please type the code we sent you."),
        "wrong_code": _("The code is not right. Please try again."),
        "no_code": _("The code has expired or was used. Please ask for a new one."),
        "checked_in": _("This booking has checked in; its turn is in the queue."),
        "unknown_service": _("Please pick a service."),
        "bad_date": _("Please pick a day."),
    }


def _days(hub: Any, lang: str) -> list[tuple[str, str]]:
    """The coming working days that can be booked: (YYYY-MM-DD, the day as the visitor reads it)."""
    b = hub.branch
    today = b.branch_day(hub.clock())
    out = []
    for k in range(60):
        day = today + dt.timedelta(days=k)
        span = b.opening_span(day)
        if span is not None:
            out.append((day.isoformat(), format_date(span[0], lang)))
        if len(out) >= b.appointments.booking_days:
            break
    return out


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    lang = _lang()
    _ = gettext_for("book", lang)
    hub = current()
    with hub.read() as db:
        share = appointment_shares.shares(db, hub.branch)
    units = [(u, [s for s in u.services if s.enabled and share.get(s.code, 0) > 0]) for u in hub.branch.units]
    error = context.pop("error", None)
    if isinstance(error, TooMany):  # worded as every rate limit is (server.refusals)
        error = too_many_words(error, lang)
    elif isinstance(error, Refused):
        error = _messages(_, lang).get(error.code, error.message)
    return render_template(f"book/{template}.html", _=_, lang=lang, dir=direction(lang), branch=hub.branch,
                           d=lambda v: digits(v, lang), units=[(u, ss) for u, ss in units if ss],
                           days=_days(hub, lang), error=error, **context), status


def _form(*names: str) -> dict[str, str]:
    return {n: (request.form.get(n) or "").strip()[:40] for n in names}


def _mask(phone: str) -> str:
    """The number as the page repeats it: its last four digits only."""
    try:
        return "•" * 7 + verify.normal_phone(phone)[-4:]
    except Refused:
        return "•" * 11


def _slots(service: str, date: str) -> tuple[list[dict[str, Any]], Refused | None]:
    try:
        hub = current()
        return appointments.slots(hub.read, hub.branch, hub.estimates.rules, hub.clock, service, date), None
    except Refused as exc:
        return [], exc


@bp.get("/book")
def choose():  # noqa: ANN201
    service, date = request.args.get("service", "")[:40], request.args.get("date", "")[:40]
    if not service or not date:
        return _page("choose", service=service, date=date)
    slots, error = _slots(service, date)
    return _page("choose", service=service, date=date, slots=slots, error=error, shown=error is None)


@bp.post("/book/code")
def send_code():  # noqa: ANN201
    f = _form("service", "date", "start", "phone")
    slots, error = _slots(f["service"], f["date"])
    if error is None and not any(s["start"] == f["start"] and s["free"] > 0 for s in slots):
        error = Refused("bad_start" if not f["start"] else "slot_full", "pick a time")
    if error is None:
        try:
            hub = current()
            verify.send_code(hub.floor, hub.outbox, f["phone"], request.remote_addr or "unknown")
        except Refused as exc:
            error = exc
    if isinstance(error, TooMany):  # the one 429 (server.errors), on this page
        return too_many(error, _lang(), lambda _: _page("choose", **f, slots=slots, error=error,
                                                        shown=bool(slots))[0])
    if error is not None:
        status = 409 if error.code in ("slot_full", "booking_exists") else 400
        return _page("choose", status, **f, slots=slots, error=error, shown=bool(slots))
    return _page("code", **f, masked=_mask(f["phone"]))


@bp.post("/book/confirm")
def confirm():  # noqa: ANN201
    f = _form("service", "date", "start", "phone", "code")
    hub = current()
    try:
        phone = verify.check_code(hub.floor, f["phone"], f["code"])
        row = appointments.book(hub.floor, hub.branch, hub.estimates.rules, f["service"], f["date"], f["start"], phone,
                                prove=lambda tx: verify.use_code(tx, phone), address=request.remote_addr or "unknown")
    except Refused as exc:
        if exc.code in ("wrong_code", "bad_code"):
            return _page("code", 400, **f, masked=_mask(f["phone"]), error=exc)
        # its code just proved the phone: show it the booking it holds (one whose answer it may have
        # lost, say when HQ's relay timed out), rather than only "you already have one"
        if exc.code == "booking_exists" and (held := appointments.open_booking(hub.read, hub.branch, hub.clock, phone)):
            # and say why: the visitor asked for a new time and sees the old one (issue 24)
            return redirect(url_for("book.booking", code=held, lang=_lang(), held=1), 303)
        slots, _ = _slots(f["service"], f["date"])
        if isinstance(limit := exc, TooMany):  # the one 429 (server.errors), on this page
            return too_many(limit, _lang(), lambda _: _page("choose", **f, slots=slots, error=limit,
                                                            shown=bool(slots))[0])
        return _page("choose", 409, **f, slots=slots, error=exc, shown=bool(slots))
    return redirect(url_for("book.booking", code=row["code"], lang=_lang()), 303)


@bp.get("/book/<code>")
def booking(code: str):  # noqa: ANN201
    hub = current()
    with hub.read() as db:
        try:
            row = appointments.appointment_row(db, code)
        except Refused:
            return _page("unknown", 404, code=code)
    cfg, tz = hub.branch.appointments, hub.branch.tz
    due = dt.datetime.fromisoformat(row["due_at"]).astimezone(tz)
    window = (due - dt.timedelta(minutes=cfg.check_in_before_minutes)).strftime("%H:%M"), \
        (due + dt.timedelta(minutes=cfg.check_in_after_minutes)).strftime("%H:%M")
    return _page("booking", b=row, service=hub.branch.service(row["service"]), day=format_date(due, _lang()),
                 window=window, error=Refused(e, e) if (e := request.args.get("error", "")[:40]) else None,
                 held=request.args.get("held") == "1")


@bp.post("/book/<code>/<any(cancel, move):action>")
def change(code: str, action: str):  # noqa: ANN201
    hub = current()
    try:
        row = appointments.cancel(hub.floor, code)
    except Refused as exc:
        if exc.code == "unknown_appointment":
            return _page("unknown", 404, code=code)
        return redirect(url_for("book.booking", code=code, lang=_lang(), error=exc.code), 303)
    if action == "move":  # move = cancel + book again, the same service and day offered first
        return redirect(url_for("book.choose", service=row["service"], date=row["day"], lang=_lang()), 303)
    return redirect(url_for("book.booking", code=row["code"], lang=_lang()), 303)
