"""The clerk's console at /counter: PIN login, the counter's buttons and shortcuts (D7).

The page is static HTML and plain JavaScript modules (static/counter/main.js and its parts,
on the shared static/shared/navbat.js); every action goes to the JSON API
(POST /api/v1/login, /api/v1/counters/<n>/<action>), with the token kept in the
browser tab's sessionStorage. This blueprint serves the page and its texts (gettext
domain "counter"), Persian right to left by default, English with ?lang=en.
"""

from __future__ import annotations

from flask import Blueprint, render_template
from navbat.foundation.i18n import direction, gettext_for
from navbat.server.web.pages.common import lang

bp = Blueprint("counter", __name__, url_prefix="/counter")

# Every text the script shows, translated once per page load.
TEXTS = (
    "Clerk console", "Log in", "Username", "PIN", "Counter", "Choose your counter", "Log out", "Open counter",
    "Close counter", "Next", "Recall", "Start", "Done", "Documents incomplete", "No-show", "Transfer", "Pause",
    "Resume", "Transfer to", "Current ticket", "No current ticket", "Sub-service", "Priority", "Regular",
    "Waited", "Why this ticket", "Documents to check at reception", "All documents present",
    "Tell the visitor what is missing:", "Waiting at this counter's sub-services", "waiting", "min",
    "Nobody is waiting for this counter's sub-services.", "open", "paused", "closed", "called", "serving",
    "Called {number}", "Recalled {number}", "Started {number}", "Finished {number}",
    "{number}: documents incomplete, recorded", "{number} did not come", "{number} transferred to {service}",
    "Counter paused", "Counter open", "Counter closed", "Shortcuts", "Clerk", "Recalls", "Log in failed",
    "The hub did not answer; try again.", "taken by {clerk}", "Est. wait", "Language", "Live", "Offline",
    "Actions",
    "Came by", "Remote turn, checked in", "Kiosk", "Check in a turn taken from a phone", "Tracking code",
    "Check in", "{number} is checked in, in its place in line.", "No turn or booking has this code.",
    "This turn is over.",
    "Undo",
    "Do it now",
    "Keyboard shortcuts (Alt + letter)",
    "Choose a sub-service",
    "Wrong username or PIN. Check both and try again.",
    "Choose your counter, then log in.",
    "Another clerk holds this counter. Choose your own counter, or ask the branch head to free it.",
    "A visitor is still at the counter: finish, transfer or mark a no-show first.",
    "The counter is closed: open it first.",
    "The counter is paused: resume it first.",
    "There is no visitor at the counter.",
    "The visitor is already at that sub-service: choose another.",
    "Not done ({message}). Try again, or ask the branch head.",
    "Your session has ended: log in again.",
    "Undo within a few seconds if this was a mistake.",
    "Undone: {number} is still at the counter.",
    # issue 24: a call made by mistake is taken back by the hub
    "Call taken back: {number} keeps their place in line.",
    "Too late to take the call back: recall the visitor, or mark a no-show.",
    "Choose where to transfer the visitor first.",
    "The visitor is already being served.",
    "Register a request",  # issue 16: the visit ends with a request answered later (F3)
    "{number}: request registered; the visitor follows the answer with the tracking code",
    "Answer a request", "Tracking code", "Result", "Mark answered",
    "Request {number} answered; the visitor sees the result with the tracking code.",
    "No request has this tracking code: check it with the visitor.",
    "This request was already answered with another result.",
    "Write the result in a few words (at most 500 letters).",
    # issue 18 B: a checked-in appointment
    "appointment at {time}",
    "The counter is open already.",  # issue 25: why a shortcut cannot act, as the hub ships it
    # issue 26: the hub does not answer; what the clerk pressed meanwhile is named, never replayed
    "The hub is not answering.",
    "{number} stays at your counter; nothing you press is recorded until the hub is back.",
    "Nothing you press is recorded until the hub is back.",
    "“{action}” for {number} was not recorded; press it again when the hub is back.",
    "“{action}” was not recorded; press it again when the hub is back.",
    "The hub is back; the counter was read again.",
)


@bp.get("")
def page() -> str:
    language = lang()
    _ = gettext_for("counter", language)
    return render_template("counter/index.html", lang=language, dir=direction(language),
                           texts={t: _(t) for t in TEXTS}, other_lang="en" if language == "fa" else "fa")
