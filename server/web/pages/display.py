"""The web wall display at /display for smart TVs: one page, EventSource, no build step.

The page reads the public API (branch, services, counters, events); this blueprint only
serves it with its settings (how many earlier calls it lists, how old a call it still speaks:
foundation/wall.py, the same the Kivy wall reads in GET /branch), the Jalali date and clock
(foundation.persian), and each call's spoken WAV, assembled offline from the same clips as the
Kivy display (foundation.speech).
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from flask import Blueprint, Response, jsonify, render_template, request
from navbat.foundation import speech
from navbat.foundation.i18n import direction, gettext_for
from navbat.foundation.persian import digits, format_date
from navbat.foundation.wall import wall_settings
from navbat.server.floor.refusals import Invalid, NotFound
from navbat.server.hub import current
from navbat.server.web.pages.common import lang as _lang

bp = Blueprint("display", __name__, url_prefix="/display")
TICKET_NUMBER = re.compile(r"^[A-Z]{0,2}-?\d{1,4}$")
WAV_CACHE = 32  # calls; one in both voices is 0.25 MB, so at most 8 MB
TEXTS = ("Now calling", "Previous calls", "Waiting now", "{count} waiting", "Please take a ticket from the kiosk",
         "No connection to the hub; reconnecting…", "Counter {number}", "Sound on", "Recall",
         "Last number called before the connection was lost", "The numbers on this screen may be out of date.")
# The arrow for each direction of the branch file, as seen on the wall (not mirrored in RTL).
ARROWS = {"left": "←", "right": "→", "ahead": "↑", "behind": "↓", "upstairs": "↑", "downstairs": "↓"}


def _now(lang: str) -> dict[str, str]:
    hub = current()
    local = hub.clock().astimezone(hub.branch.tz)
    return {"date": format_date(local, lang), "clock": digits(local.strftime("%H:%M"), lang),
            "utc_offset_minutes": int(local.utcoffset().total_seconds() // 60)}


@bp.get("")
def page() -> str:
    lang = _lang()
    _ = gettext_for("display", lang)
    b = current().branch
    voice = dict.fromkeys(v for v in request.args.get("voice", "fa").split(",") if v in speech.LANGS)  # each once
    texts = {t: _(t) for t in TEXTS}  # waits come worded by the hub (summaries' wait_text)
    # ?display=NAME: this wall's directions from the branch file; none named, no arrows at all
    wall = b.display(request.args.get("display", "")[:40])
    arrows = {str(n): ARROWS[d] for n, d in wall.directions.items()} if wall else {}
    return render_template("display/index.html", lang=lang, dir=direction(lang), branch=b.branch.name.get(lang),
                           now=_now(lang), texts=texts, title=_("Wall display"), voice=",".join(voice), arrows=arrows,
                           wall=wall_settings())


@bp.get("/clock")
def clock() -> Response:
    return jsonify(_now(_lang()))


@bp.get("/announce.wav")
def announce() -> Response:
    """GET /display/announce.wav?number=102&counter=3&voice=fa,en: chime and the call, spoken."""
    number = request.args.get("number", "")
    if not TICKET_NUMBER.match(number):
        raise Invalid("bad_number", "number must be a ticket number like 102 or A-012")
    raw = request.args.get("counter", "")
    if not raw.isdigit() or len(raw) > 3:  # counters are numbered 1-999 (the branch file)
        raise Invalid("bad_counter", "counter must be a counter number")
    counter = int(raw)
    if current().branch.counter(counter) is None:
        raise NotFound("unknown_counter", f"no counter {counter}")
    langs = tuple(v for v in request.args.get("voice", "fa").split(",") if v)
    if not langs or not set(langs) <= set(speech.LANGS) or len(set(langs)) != len(langs):
        raise Invalid("bad_voice", f"voice is the languages the branch speaks, each once: {', '.join(speech.LANGS)}")
    resp = Response(_wav(number, counter, langs), mimetype="audio/wav")
    resp.headers["Cache-Control"] = "public, max-age=86400"  # the same call always sounds the same
    resp.last_modified = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return resp


@functools.lru_cache(maxsize=WAV_CACHE)
def _wav(number: str, counter: int, langs: tuple[str, ...]) -> bytes:
    """Every wall in the hall asks for the same call at once: built once, kept for the next few calls."""
    return speech.announcement_wav(number, counter, langs)
