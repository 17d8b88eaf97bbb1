"""How a wait is said: the same words on the kiosk, the wall display and the phone.

The hub derives every estimate and its note (see server/summaries.py); screens only
word them, through this one function (gettext domain "common").
"""

from __future__ import annotations

from typing import Any

from foundation.i18n import gettext_for
from foundation.persian import digits

NOTES = ("not_served", "not_open", "no_wait")  # the hub's `note` on a summary, when there is one
# The words wait_text uses, for a page whose script words waits the same way (the web wall).
WAIT_WORDS = ("about {minutes} min", "{low}–{high} min", "no wait", "not served today", "counters not open yet",
              "no estimate yet")


def wait_words(lang: str) -> dict[str, str]:
    _ = gettext_for("common", lang)
    return {w: _(w) for w in WAIT_WORDS}


def wait_text(estimate: dict[str, Any] | None, note: str | None, lang: str) -> str:
    """A summary's or a ticket's wait in words: 'about 5 min', '5–12 min', 'no wait', ...

    `estimate` is the hub's {"low", "high"} (and maybe "minutes"); `note` explains why
    there is no honest number: no counter serves it today, or none is open yet.
    """
    _ = gettext_for("common", lang)
    if note == "not_served":
        return _("not served today")
    if note == "not_open":
        return _("counters not open yet")
    if note == "no_wait":
        return _("no wait")
    if not estimate or estimate.get("low") is None or estimate.get("high") is None:
        return _("no estimate yet")
    low, high = round(estimate["low"]), round(estimate["high"])
    if high <= 0:
        return _("no wait")
    if low == high:
        return _("about {minutes} min").format(minutes=digits(high, lang))
    return _("{low}–{high} min").format(low=digits(low, lang), high=digits(high, lang))
