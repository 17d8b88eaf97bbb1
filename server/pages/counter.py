"""The clerk's console at /counter: PIN login, the window's buttons and shortcuts (D7).

The page is static HTML and plain JavaScript; every action goes to the JSON API
(POST /api/v1/login, /api/v1/counters/<n>/<action>), with the token kept in the
browser tab's sessionStorage. This blueprint serves the page and its texts (gettext
domain "counter"), Persian right to left by default, English with ?lang=en.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from foundation.i18n import gettext_for
from server.floor import FloorError

bp = Blueprint("counter", __name__, url_prefix="/counter")

# Every text the script shows, translated once per page load.
TEXTS = (
    "Clerk console", "Log in", "Username", "PIN", "Window", "Choose your window", "Log out", "Open window",
    "Close window", "Next", "Recall", "Start", "Done", "Documents incomplete", "No-show", "Transfer", "Pause",
    "Resume", "Transfer to", "Current ticket", "No current ticket", "Sub-service", "Priority", "Regular",
    "Waited", "Why this ticket", "Documents to check at reception", "All documents present",
    "Tell the visitor what is missing:", "Waiting at this window's sub-services", "waiting", "min",
    "Nobody is waiting for this window's sub-services.", "open", "paused", "closed", "called", "serving",
    "Called {number}", "Recalled {number}", "Started {number}", "Finished {number}",
    "{number}: documents incomplete, recorded", "{number} did not come", "{number} transferred to {service}",
    "Window paused", "Window open", "Window closed", "Shortcuts", "Clerk", "Recalls", "Log in failed",
    "The hub did not answer; try again.", "primary skill", "backup skill", "waited {m} min of {t} target",
    "head start", "taken by {clerk}", "Est. wait", "Language", "Live", "Offline",
)


@bp.get("")
def page():  # noqa: ANN201
    lang = request.args.get("lang", "fa")
    if lang not in ("fa", "en"):
        raise FloorError(400, "bad_lang", "lang must be fa or en")
    _ = gettext_for("counter", lang)
    return render_template("counter/index.html", lang=lang, dir="rtl" if lang == "fa" else "ltr",
                           texts={t: _(t) for t in TEXTS}, other_lang="en" if lang == "fa" else "fa")
