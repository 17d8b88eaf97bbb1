"""The web wall display at /display for smart TVs: one page, EventSource, no build step.

The page reads the public API (branch, services, counters, events); this blueprint only
serves it, the Jalali date and clock (foundation.persian), and each call's spoken WAV,
assembled offline from the same clips as the Kivy display (foundation.speech).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from flask import Blueprint, Response, jsonify, render_template, request, send_from_directory

from foundation import speech
from foundation.i18n import gettext_for
from foundation.persian import digits, format_date
from server.api.common import floor
from server.floor import FloorError

bp = Blueprint("display", __name__, url_prefix="/display")
FONTS = Path(__file__).resolve().parents[2] / "assets" / "fonts"
TICKET_NUMBER = re.compile(r"^[A-Z]{0,2}-?\d{1,4}$")
TEXTS = ("Now calling", "Previous calls", "Waiting now", "{count} waiting", "about {minutes} min",
         "{low}–{high} min", "no wait", "not served today", "Please take a ticket from the kiosk",
         "No connection to the hub; reconnecting…", "Window {number}", "→", "Sound on", "Recall")


def _lang() -> str:
    lang = request.args.get("lang", "fa")
    if lang not in ("fa", "en"):
        raise FloorError(400, "bad_lang", "lang must be fa or en")
    return lang


def _now(lang: str) -> dict[str, str]:
    f = floor()
    local = f.clock().astimezone(f.branch.tz)
    return {"date": format_date(local, lang), "clock": digits(local.strftime("%H:%M"), lang),
            "utc_offset_minutes": int(local.utcoffset().total_seconds() // 60)}


@bp.get("")
def page():  # noqa: ANN201
    lang = _lang()
    _ = gettext_for("display", lang)
    b = floor().branch
    voice = [v for v in request.args.get("voice", "fa").split(",") if v in speech.LANGS]
    return render_template("display/index.html", lang=lang, dir="rtl" if lang == "fa" else "ltr",
                           branch=b.branch.name.get(lang), now=_now(lang), texts={t: _(t) for t in TEXTS},
                           title=_("Wall display"), voice=",".join(voice))


@bp.get("/fonts/<name>")
def font(name: str):  # noqa: ANN201
    """Vazirmatn for the display and the clerk console (assets/fonts, OFL)."""
    if name not in ("Vazirmatn-Regular.ttf", "Vazirmatn-Bold.ttf"):
        raise FloorError(404, "not_found", "no such font")
    return send_from_directory(FONTS, name, max_age=86400)


@bp.get("/clock")
def clock():  # noqa: ANN201
    return jsonify(_now(_lang()))


@bp.get("/announce.wav")
def announce():  # noqa: ANN201
    """GET /display/announce.wav?number=102&counter=3&voice=fa,en: chime and the call, spoken."""
    number = request.args.get("number", "")
    if not TICKET_NUMBER.match(number):
        raise FloorError(400, "bad_number", "number must be a ticket number like 102 or A-012")
    try:
        counter = int(request.args.get("counter", ""))
    except ValueError:
        raise FloorError(400, "bad_counter", "counter must be a window number") from None
    if floor().branch.counter(counter) is None:
        raise FloorError(404, "unknown_counter", f"no window {counter}")
    langs = tuple(v for v in request.args.get("voice", "fa").split(",") if v)
    if not langs or any(v not in speech.LANGS for v in langs):
        raise FloorError(400, "bad_voice", "voice must be fa, en or fa,en")
    wav = speech.announcement_wav(number, counter, langs)
    resp = Response(wav, mimetype="audio/wav")
    resp.headers["Cache-Control"] = "public, max-age=86400"  # the same call always sounds the same
    resp.last_modified = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return resp
