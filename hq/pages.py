"""The national dashboard at /hq (F4): Persian first, Jalali months, the branch pages' look.

A page only: its figures come from the API (hq/api.py) with the user's token. The look (head.css,
the Vazirmatn font) is the branch's own, read from the installed package, not copied.
"""

from __future__ import annotations

import datetime as dt
from importlib.resources import as_file, files
from zoneinfo import ZoneInfo

import jdatetime
from flask import Blueprint, Response, render_template, request, send_file
from navbat.foundation.i18n import direction, gettext_for, parse_lang
from navbat.foundation.persian import JALALI_MONTHS, fa_digits
from navbat.server.reports.period import parse_month

bp = Blueprint("hq_pages", __name__, template_folder="templates", static_folder="static",
               static_url_path="/hq/static")
TEHRAN = ZoneInfo("Asia/Tehran")
MONTHS_SHOWN = 13

JS_STRINGS = (
    "Visitors", "Served", "Mean wait (min)", "Within target", "Satisfied", "Complaints", "Province", "Region",
    "Branch", "Sub-service", "Lagging: no batch for {minutes} min", "Never reported", "Backlog {events} events",
    "All provinces", "Wrong PIN or user", "Could not load: {error}", "No complaints with comments", "min",
    "Every branch has submitted", "{count} branches have not submitted (due {due})", "late",
    "No branch keeps its link to HQ now", "SMS {percent} of the budget ({used} of {budget} this hour)",
    "No branch is near its SMS budget", "{count} phones hold open turns at more than one branch",
    "A second hub was refused ({address})",
)


def months(today: dt.date, lang: str) -> list[dict[str, str]]:
    """The last MONTHS_SHOWN Jalali months, newest first, with their Gregorian first and last days."""
    j = jdatetime.date.fromgregorian(date=today)
    year, month, out = j.year, j.month, []
    for _ in range(MONTHS_SHOWN):
        period = parse_month(f"{year}-{month:02d}")
        name = f"{JALALI_MONTHS[month - 1]} {year}"
        out.append({"code": period.label, "label": fa_digits(name) if lang == "fa" else period.label,
                    "from": period.start.isoformat(),
                    "to": (period.end - dt.timedelta(days=1)).isoformat()})
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


@bp.get("/hq")
def dashboard() -> str:
    lang = parse_lang(request.args.get("lang"))
    _ = gettext_for("hq", lang)
    today = dt.datetime.now(TEHRAN).date()
    jtoday = jdatetime.date.fromgregorian(date=today)
    today_label = f"{jtoday.day} {JALALI_MONTHS[jtoday.month - 1]} {jtoday.year}"
    return render_template("hq.html", _=_, lang=lang, dir=direction(lang), strings={s: _(s) for s in JS_STRINGS},
                           months=months(today, lang), today=today.isoformat(),
                           today_label=fa_digits(today_label) if lang == "fa" else today.isoformat())


@bp.get("/hq/look/head.css")
def look() -> Response:
    with as_file(files("navbat.server.web") / "static" / "head" / "head.css") as path:
        return send_file(path, mimetype="text/css", max_age=3600)


@bp.get("/hq/font/<any('Vazirmatn-Regular.ttf', 'Vazirmatn-Bold.ttf'):name>")
def font(name: str) -> Response:
    with as_file(files("navbat.assets") / "fonts" / name) as path:
        return send_file(path, mimetype="font/ttf", max_age=86400)
