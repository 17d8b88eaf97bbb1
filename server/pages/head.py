"""The branch head's console (D8): live floor at /head, reports at /head/reports, and the
window tablets' satisfaction faces at /rate/<window> (F2, S1).

`bp` is a parent blueprint (server/app.py registers it): its children are the pages
here and the API in head_api.py under /api/v1. The ratings table's migrations are
applied when it is registered.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, render_template, request, send_from_directory

from foundation.i18n import gettext_for
from server import ratings
from server.api.common import floor
from server.pages import head_api

bp = Blueprint("head", __name__)
pages = Blueprint("head_pages", __name__)
FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
FONT_FILES = ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf")

# Strings the page scripts show, translated once per request and handed over as JSON.
JS_STRINGS = (
    "open", "paused", "closed", "Open", "Close", "Services", "Save", "Cancel", "idle", "min",
    "Waiting", "Longest wait", "Target", "Newcomer", "Served today", "Windows", "no window",
    "Live", "Reconnecting…", "Wrong PIN or user", "Wait {minutes} min past the {target} min target",
    "Nobody can serve {waiting} waiting", "{device} is {status}", "primary", "backup", "not served",
    "Windows needed", "Open now", "Expected wait", "Hour", "Arrivals", "Served", "Before", "After",
    "Waiting now", "Mean wait", "Newcomer's wait", "Rest of the day", "Within target", "P90 wait",
    "Sub-service", "Visitors", "Called", "Mean service", "No-shows", "Transfers", "Documents incomplete",
    "Ratings", "Satisfaction", "Total", "Window", "Clerk", "Unit", "No alerts", "Could not load: {error}",
    "Visitors not served by any open window", "ok", "offline", "paper_out", "paper_near_end", "error",
    "from history", "from the busy-day model", "Day", "Satisfied", "over capacity", "scaled to today's arrivals",
    "Visitors and served per day", "Visitors and served per unit",
)


def lang() -> str:
    chosen = request.args.get("lang") or request.cookies.get("navbat_lang") or "fa"
    return chosen if chosen in ("fa", "en") else "fa"


def page(template: str, **context: object) -> str:
    language = lang()
    _ = gettext_for("head", language)
    f = floor()
    return render_template(template, _=_, lang=language, dir="rtl" if language == "fa" else "ltr",
                           branch=f.branch, strings={s: _(s) for s in JS_STRINGS}, **context)


@pages.get("/head")
def live() -> str:
    f = floor()
    units = [{"code": u.code, "name": u.name.get(lang()),
              "services": [{"code": s.code, "name": s.name.get(lang())} for s in u.services]}
             for u in f.branch.units]
    return page("head/floor.html", units=units)


@pages.get("/head/reports")
def reports() -> str:
    return page("head/reports.html")


@pages.get("/rate/<int:number>")
def rate(number: int) -> str:
    f = floor()
    if f.branch.counter(number) is None:
        abort(404, description=f"no window {number}")
    faces = 5 if request.args.get("faces") == "5" else 3
    return page("head/rate.html", number=number, counter=f.branch.counter(number), faces=faces)


@pages.get("/head/fonts/<name>")
def font(name: str):  # noqa: ANN201
    if name not in FONT_FILES:
        abort(404)
    return send_from_directory(FONTS, name, max_age=86400)


bp.register_blueprint(pages)
bp.register_blueprint(head_api.bp, url_prefix="/api/v1")
bp.record_once(lambda state: ratings.ensure(state.app.extensions["navbat.floor"].db))
