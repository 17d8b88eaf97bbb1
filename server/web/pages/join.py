"""/join: take a turn from a phone (issue 18 A, V2, V3), in plain forms that any phone can send.

1. GET /join: the units and their sub-services, each with how many wait and the honest wait;
2. GET /join?service=IN1: its documents, steps and expected time (D6), the wait, a mobile number;
3. POST /join/code: texts a one-time code (server/visitors/verify.py) and asks for it;
4. POST /join/turn: the turn (server/visitors/remote.py), then its tracking page /t/<code>.
Refusals (a second turn, outside the hours, a wrong code) are said on the page, in Persian first.
"""

from __future__ import annotations

import hashlib

from flask import Blueprint, redirect, render_template, request, url_for
from navbat.foundation.i18n import direction, gettext_for
from navbat.foundation.persian import digits
from navbat.foundation.wording import said_wait
from navbat.server.floor.refusals import Refused, TooMany
from navbat.server.hub import current
from navbat.server.visitors import remote, remote_settings, verify
from navbat.server.web import views
from navbat.server.web.errors import status_of, too_many
from navbat.server.web.pages.common import lang as _lang

bp = Blueprint("join", __name__)


def _page(step: str, status: int = 200, error: str | None = None, **values: object) -> tuple[str, int]:
    lang = _lang()
    hub = current()
    catalogue = views.services(hub)
    items = {s["code"]: s for s in catalogue["services"]}
    code = values.pop("service", None) or request.args.get("service")
    chosen = items.get(code) if isinstance(code, str) else None
    with hub.read() as db:
        settings = hub.settings.remote(db)
    closed = None
    try:
        remote_settings.refuse_if_closed(hub.branch, settings, hub.clock(), hub.settings.ignore_hours)
    except Refused as exc:
        closed = exc.code
    return render_template(
        "join/page.html", _=gettext_for("remote", lang), lang=lang, dir=direction(lang), branch=hub.branch,
        step=step if chosen or step == "pick" else "pick", units=catalogue["units"], items=items, chosen=chosen,
        wait=lambda item: said_wait(item, lang), d=lambda v: digits(v, lang), error=error, closed=closed,
        hours=settings.hours, **values), status


def _message(exc: Refused, lang: str) -> str:
    _ = gettext_for("remote", lang)
    words = {
        "open_turn": _("This phone already has a turn waiting here. You can take another once it is over."),
        "daily_cap": _("This phone has taken as many turns today as a phone may."),
        "remote_closed": _("Turns are not taken from afar at this hour."),
        "branch_closed": _("The branch is closed now; turns from afar are taken while it is open."),
        "wrong_code": _("The code is not right. Check the SMS and type it again."),
        "no_code": _("This code has expired or was used up. Ask for a new one."),
        "bad_phone": _("Type a mobile number such as 09121234567."),
        "bad_code": _("Type the digits of the code sent by SMS."),
        "open_turn_elsewhere": _("This phone already has a turn waiting at another branch. You can take another "
                                 "once it is over."),
        "service_unavailable": _("No counter serves this today."),
    }
    return words.get(exc.code, exc.message)


def _refused(step: str, exc: Refused, **values: object):  # noqa: ANN202 - a page or a 429 answer
    """The page again, saying why; a rate limit (codes, the SMS budget) is the one 429 (server.errors)."""
    if isinstance(exc, TooMany):
        return too_many(exc, _lang(), lambda words: _page(step, error=words, **values)[0])
    return _page(step, status_of(exc), _message(exc, _lang()), **values)


@bp.get("/join")
def pick():  # noqa: ANN201
    return _page("details" if request.args.get("service") else "pick")


@bp.post("/join/code")
def ask_code():  # noqa: ANN201
    service, phone = request.form.get("service", ""), request.form.get("phone", "")
    hub = current()
    if hub.branch.service(service) is None:  # no code for a turn that cannot be taken
        return _page("pick", 404)
    try:
        verify.send_code(hub.floor, hub.outbox, phone, request.remote_addr or "unknown")
    except Refused as exc:
        return _refused("details", exc, service=service, phone=phone)
    return _page("code", service=service, phone=verify.normal_phone(phone))


@bp.post("/join/turn")
def take():  # noqa: ANN201
    service, phone, code = (request.form.get(k, "") for k in ("service", "phone", "code"))
    try:
        # (phone, code) names one attempt (a code is used once): the same form sent again, after an
        # answer lost on the way (HQ's relay timing out), shows the turn it made instead of "code used"
        day = current().branch.branch_day(current().clock())
        key = hashlib.sha256(f"{day}|{service}|{phone}|{code}".encode()).hexdigest()[:32]
        hub = current()
        row, _ = remote.join(hub.floor, hub.read, hub.branch, hub.estimates, hub.outbox, hub.link, hub.ignore_hours,
                             service, phone, code, request.url_root, key)
    except Refused as exc:
        step = "code" if exc.code in ("wrong_code", "bad_code") else "details"
        return _refused(step, exc, service=service, phone=phone)
    return redirect(url_for("tracking.track", code=row["tracking_code"], lang=_lang()), 303)
