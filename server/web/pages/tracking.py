"""The visitor's tracking page /t/<tracking_code> (F1): the QR on the ticket opens it.

Persian first (Persian digits, Jalali time). While the ticket is live a small script follows
the hub's event stream and swaps in the changing part from /t/<code>/live (no reload, so a
screen reader does not start over); with no script the page still reads right once. Once done
it shows the satisfaction faces (F2, S1): a face, an optional comment, then send, a plain form
that any phone can send.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, redirect, render_template, request, url_for
from navbat.foundation.i18n import direction, gettext_for
from navbat.foundation.persian import digits, format_datetime, format_day
from navbat.foundation.wording import said_wait
from navbat.server.floor.refusals import Refused
from navbat.server.floor.times import parse_iso
from navbat.server.hub import current
from navbat.server.visitors import ratings
from navbat.server.web import views
from navbat.server.web.errors import status_of
from navbat.server.web.pages.common import lang as _lang

bp = Blueprint("tracking", __name__)
LIVE_STATES = ("waiting", "called", "serving", "remote")


def _render(code: str, error: str | None = None, status: int = 200, part: bool = False) -> tuple[str, int]:
    lang = _lang()
    _ = gettext_for("head", lang)
    hub = current()
    try:
        ticket = views.ticket_by_code(hub, code.strip().upper())
    except Refused:
        return render_template("tracking/unknown.html", _=_, lang=lang, code=code, branch=hub.branch), 404
    service = hub.branch.service(ticket["service"])
    counter = hub.branch.counter(ticket["counter"]) if ticket["counter"] else None
    issued = parse_iso(ticket["issued_at"]).astimezone(hub.branch.tz)
    called = parse_iso(ticket["called_at"]).astimezone(hub.branch.tz) if ticket["called_at"] else None
    with hub.read() as db:
        rated = ticket["state"] == "done" and ratings.rated(db, ticket["id"])
    faces = [(1, _("Bad")), (3, _("So-so")), (5, _("Good"))]
    req = _request(ticket, lang)
    return render_template(
        "tracking/status.html" if part else "tracking/ticket.html", _=_, lang=lang, dir=direction(lang), t=ticket,
        code=ticket["tracking_code"], branch=hub.branch, service=service, counter=counter, d=lambda v: digits(v, lang),
        issued=format_datetime(issued, lang), called=format_datetime(called, lang) if called else None,
        follow=ticket["state"] in LIVE_STATES, rated=rated, faces=faces, error=error, wait=said_wait(ticket, lang),
        thanks=request.args.get("rated") == "1", req=req,
        grace_ends=_grace_ends(ticket, hub.branch.tz, lang)), status


def _request(ticket: dict, lang: str) -> dict | None:
    """A registered visit's request as the page words it: due day in Jalali, who answers (F1, F3)."""
    req = ticket.get("request")
    if req is None:
        return None
    branch = current().branch
    service = branch.service(ticket["service"])
    unit = branch.unit_of(ticket["service"])
    who = service.answered_by if service and service.answered_by else (unit.name if unit else None)
    answered = parse_iso(req["answered_at"]).astimezone(branch.tz) if req["answered_at"] else None
    return {**req, "due_text": format_day(dt.date.fromisoformat(req["due"]), lang),
            "answered_text": format_datetime(answered, lang) if answered else None,
            "answered_by": who.get(lang) if who else None}


def _grace_ends(ticket: dict, tz: object, lang: str) -> str | None:
    """A remote turn passed over: the time its place is kept until (issue 18 A)."""
    ends = (ticket.get("remote") or {}).get("grace_ends_at")
    return digits(parse_iso(ends).astimezone(tz).strftime("%H:%M"), lang) if ends else None


@bp.get("/t/<code>")
def track(code: str):  # noqa: ANN201
    return _render(code)


@bp.get("/t/<code>/live")
def live(code: str):  # noqa: ANN201
    """The changing part of the page, for its script (after an event on the hub's stream)."""
    return _render(code, part=True)


@bp.post("/t/<code>/rate")
def rate(code: str):  # noqa: ANN201
    _ = gettext_for("head", _lang())
    score = request.form.get("score", type=int)
    try:
        hub = current()
        ratings.rate(hub.floor, hub.branch, hub.clock,
                     {"tracking_code": code, "score": score, "comment": request.form.get("comment")})
    except Refused as exc:
        messages = {"already_rated": _("Thank you, this visit has already been rated."),
                    "not_finished": _("You can rate the visit once it is done.")}
        return _render(code, messages.get(exc.code, exc.message), 409 if status_of(exc) == 409 else 400)
    return redirect(url_for("tracking.track", code=code, lang=_lang(), rated=1), 303)
