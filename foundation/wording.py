"""How a wait is said: the same words on the kiosk, the wall display and the phone.

The hub derives every estimate and its note (see server/floor/summaries.py); screens only
word them, through this one function (gettext domain "common").
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from navbat.foundation.i18n import LANGUAGES, gettext_for
from navbat.foundation.persian import digits, fa_digits

NOTES = ("not_served", "not_open", "no_wait")  # the hub's `note` on a summary, when there is one
# The hub's `wait_note`: no open counter serves it (no number), or the day has not begun (a number
# counted from the planned opening, `opens_at`).
WAIT_NOTES = ("no_open_window", "before_opening")
# The words wait_text uses, for a page whose script words waits the same way (the web wall).
WAIT_WORDS = ("about {minutes} min", "{low}–{high} min", "no wait", "under a minute", "not served today",
              "no estimate yet",
              "no counter open now", "counters open at {time}: {wait}")


def wait_words(lang: str) -> dict[str, str]:
    _ = gettext_for("common", lang)
    return {w: _(w) for w in WAIT_WORDS}


def wait_of(item: dict[str, Any], lang: str) -> str:
    """wait_text of a hub summary or ticket, with every field the hub sent for it."""
    return wait_text(item.get("estimated_wait"), item.get("note"), lang, item.get("wait_note"), item.get("opens_at"))


def said_wait(item: dict[str, Any], lang: str) -> str:
    """The hub's words for an item's wait (its `wait_text`, shipped with every summary and ticket);
    worded here only for an item that came without them (an older hub)."""
    return (item.get("wait_text") or {}).get(lang) or wait_of(item, lang)


def worded_wait(item: dict[str, Any]) -> dict[str, str]:
    """wait_of in every language: what the hub ships ({"fa": ..., "en": ...}) so no screen words a wait itself."""
    return {lang: wait_of(item, lang) for lang in LANGUAGES}


def clock_time(iso: str, lang: str) -> str:
    """'07:30' of an ISO time, in its own offset (the branch's), with the language's digits."""
    return digits(dt.datetime.fromisoformat(iso).strftime("%H:%M"), lang)


def wait_text(estimate: dict[str, Any] | None, note: str | None, lang: str, wait_note: str | None = None,
              opens_at: str | None = None) -> str:
    """A summary's or a ticket's wait in words: 'about 5 min', '5–12 min', 'no wait', ...

    `estimate` is the hub's {"low", "high"} (and maybe "minutes"); `note` explains why
    there is no honest number: no counter serves it today, or none is open yet; `wait_note`
    is the ticket's and summary's word for the same: `no_open_window`, or `before_opening`
    with the estimate counted from `opens_at`.
    """
    _ = gettext_for("common", lang)
    if note == "not_served":
        return _("not served today")
    if wait_note == "before_opening" and opens_at:
        wait = wait_text(estimate, None, lang)
        return _("counters open at {time}: {wait}").format(time=clock_time(opens_at, lang), wait=wait)
    if wait_note == "no_open_window" or note == "not_open":
        return _("no counter open now")
    if note == "no_wait":
        return _("no wait")
    if not estimate or estimate.get("low") is None or estimate.get("high") is None:
        return _("no estimate yet")
    shown = shown_minutes(estimate["low"], estimate["high"])
    if shown is None:  # a ticket about to be called
        return _("under a minute")
    low, high = shown
    if low == high:
        return _("about {minutes} min").format(minutes=digits(high, lang))
    return _("{low}–{high} min").format(low=digits(low, lang), high=digits(high, lang))


def shown_minutes(low: float, high: float) -> tuple[int, int] | None:
    """A range of minutes as every surface says it, the slip included (issue 24): whole minutes, the
    low end rounded down and the high end up (the range a visitor reads is the one the reports judge:
    server/reports/promises.py), one value rounded; None: under a minute."""
    if high < 1:
        return None
    if low == high:
        return max(1, round(high)), max(1, round(high))
    return max(0, math.floor(low)), math.ceil(high)


def sms_text(message: str, **values: Any) -> str:
    """A Persian SMS (catalogue "remote"), numbers in Persian digits (a link keeps its own)."""
    _ = gettext_for("remote", "fa")
    return _(message).format(**{k: v if k == "link" else fa_digits(v) for k, v in values.items()})
