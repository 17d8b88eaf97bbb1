"""The branch head's console (D8): live floor at /head, reports at /head/reports, and the
counter tablets' satisfaction faces at /rate/<counter> (F2, S1). Pages only: what they
show comes from the API (server/web/api/head.py, ratings.py, reports.py)."""

from __future__ import annotations

from flask import Blueprint, render_template
from navbat.foundation.i18n import direction, gettext_for
from navbat.foundation.persian import digits
from navbat.server.floor.refusals import NotFound
from navbat.server.hub import current
from navbat.server.web.pages.common import lang

bp = Blueprint("head", __name__)

# Strings the page scripts show, translated once per request and handed over as JSON.
JS_STRINGS = (
    "open", "paused", "closed", "Open", "Close", "Services", "Save", "Cancel", "idle", "min",
    "Waiting", "Longest wait", "Target", "Newcomer", "Served today", "Counters", "no counter",
    "Live", "Reconnecting…", "Wrong PIN or user", "Wait {minutes} min past the {target} min target",
    "Nobody can serve {waiting} waiting", "{device} is {status}", "primary", "backup", "not served",
    "Counters needed", "Open now", "Expected wait", "Hour", "Arrivals", "Served", "Before", "After",
    "Waiting now", "Mean wait", "Newcomer's wait", "Rest of the day", "Within target", "P90 wait",
    "Sub-service", "Visitors", "Called", "Mean service", "No-shows", "Transfers", "Documents incomplete",
    "Ratings", "Satisfaction", "Total", "Counter", "Clerk", "Unit", "No alerts", "Could not load: {error}",
    "Visitors not served by any open counter", "ok", "offline", "paper_out", "paper_near_end", "error",
    "from history", "from the busy-day model", "Day", "Satisfied", "over capacity", "scaled to today's arrivals",
    "Visitors and served per day", "Visitors and served per unit",
    "Numbers of {name} are all in use: finish or cancel old tickets",
    "Only {free} of the {total} numbers of {name} are free",
    "Wrong PINs for {who}: logins refused until {until}",
    "Unlock",  # issue 23: the head lifts a lock-out
    "Channel",  # issue 18: the report's visits by channel
    "Requests opened", "Answered", "Answered on time", "Mean working days to answer",  # issue 16 (F3)
    # issue 24: the reports' refusals in the head's words, not the API's English
    "Give a Jalali month such as 1404-07, or a Jalali day such as 1404-07-13.",
    # issue 24: how often the printed wait held
    "Promised", "Judged", "Called inside the printed range", "Mean error of the estimate",
)


def page(template: str, **context: object) -> str:
    language = lang()
    _ = gettext_for("head", language)
    return render_template(template, _=_, lang=language, dir=direction(language), branch=current().branch,
                           strings={s: _(s) for s in JS_STRINGS}, d=lambda v: digits(v, language), **context)


@bp.get("/head")
def live() -> str:
    language = lang()
    units = [{"code": u.code, "name": u.name.get(language),
              "services": [{"code": s.code, "name": s.name.get(language)} for s in u.services]}
             for u in current().branch.units]
    return page("head/floor.html", units=units)


@bp.get("/head/reports")
def reports() -> str:
    return page("head/reports.html")


@bp.get("/rate/<int:number>")
def rate(number: int) -> str:
    from flask import request

    counter = current().branch.counter(number)
    if counter is None:
        raise NotFound("unknown_counter", f"no counter {number}")
    faces = 5 if request.args.get("faces") == "5" else 3
    return page("head/rate.html", number=number, counter=counter, faces=faces)
