"""The visitor's tracking page /t/<tracking_code> (F1): the QR on the ticket opens it.

Persian first (Persian digits, Jalali time), no script needed: while the ticket is live
the page refreshes itself; once done it shows the satisfaction faces (F2, S1), a plain
form that any phone can send.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from foundation.i18n import gettext_for
from foundation.persian import digits, format_datetime
from server import ratings
from server.api.common import floor
from server.floor import FloorError, parse_iso

bp = Blueprint("tracking", __name__)
LIVE_STATES = ("waiting", "called", "serving")
REFRESH_S = 20


def _lang() -> str:
    chosen = request.args.get("lang") or "fa"
    return chosen if chosen in ("fa", "en") else "fa"


def _render(code: str, error: str | None = None, status: int = 200):  # noqa: ANN202
    lang = _lang()
    _ = gettext_for("head", lang)
    f = floor()
    try:
        ticket = f.ticket(code.strip().upper())
    except FloorError:
        return render_template("tracking/unknown.html", _=_, lang=lang, code=code, branch=f.branch), 404
    service = f.branch.service(ticket["service"])
    counter = f.branch.counter(ticket["counter"]) if ticket["counter"] else None
    issued = parse_iso(ticket["issued_at"]).astimezone(f.branch.tz)
    called = parse_iso(ticket["called_at"]).astimezone(f.branch.tz) if ticket["called_at"] else None
    rated = ticket["state"] == "done" and ratings.rated(f, ticket["id"])
    faces = [(1, _("Bad")), (3, _("So-so")), (5, _("Good"))]
    return render_template(
        "tracking/ticket.html", _=_, lang=lang, dir="rtl" if lang == "fa" else "ltr", t=ticket,
        code=ticket["tracking_code"], branch=f.branch, service=service, counter=counter, d=lambda v: digits(v, lang),
        issued=format_datetime(issued, lang), called=format_datetime(called, lang) if called else None,
        refresh=REFRESH_S if ticket["state"] in LIVE_STATES else None, rated=rated, faces=faces, error=error,
        thanks=request.args.get("rated") == "1"), status


@bp.get("/t/<code>")
def track(code: str):  # noqa: ANN201
    return _render(code)


@bp.post("/t/<code>/rate")
def rate(code: str):  # noqa: ANN201
    _ = gettext_for("head", _lang())
    score = request.form.get("score", type=int)
    try:
        ratings.rate(floor(), {"tracking_code": code, "score": score, "comment": request.form.get("comment")})
    except FloorError as exc:
        messages = {"already_rated": _("Thank you, this visit has already been rated."),
                    "not_finished": _("You can rate the visit once it is done.")}
        return _render(code, messages.get(exc.code, exc.message), 409 if exc.status == 409 else 400)
    return redirect(url_for("tracking.track", code=code, lang=_lang(), rated=1), 303)
