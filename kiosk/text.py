"""Words and numbers as the visitor reads them: the kiosk's catalogue, Persian digits, opening times.

Message ids are English (foundation/locale/fa/LC_MESSAGES/kiosk.po holds the Persian).
Waits are not worded here: foundation.wording.wait_text says them for every screen.
Nothing here shapes Persian for the screen; that is the Kivy layer's job (foundation.shaping).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from navbat.foundation.i18n import gettext_for
from navbat.foundation.persian import digits, format_date

DOMAIN = "kiosk"
WEEKDAYS_FA = ("دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه")  # datetime.weekday() order


def translator(lang: str) -> Callable[[str], str]:
    return gettext_for(DOMAIN, lang)


def waiting_count(count: int, lang: str) -> str:
    _ = translator(lang)
    if count == 0:
        return _("nobody waiting")
    if count == 1 and lang == "en":
        return "1 person waiting"
    return _("{count} people waiting").format(count=digits(count, lang))


def people_ahead(count: int, lang: str) -> str:
    _ = translator(lang)
    if count == 0:
        return _("You are next")
    if count == 1 and lang == "en":
        return "1 person ahead of you"
    return _("{count} people ahead of you").format(count=digits(count, lang))


RLM = "\u200f"  # a right-to-left mark: ends a left-to-right run inside a Persian sentence


def ticket_number(number: str, lang: str) -> str:
    """A ticket number inside a sentence. A lettered one ("F-003") is a left-to-right run; in a
    Persian sentence the mark after it keeps the next number out of that run, or the bidi
    algorithm draws the two side by side in swapped order ("number 1 ... F-003 people ahead")."""
    return f"{digits(number, lang)}{RLM}" if lang == "fa" else number


def opening_text(when: dt.datetime | None, now: dt.datetime, lang: str) -> str:
    """'The branch opens tomorrow, Saturday 1 Azar 1405, at 07:30' — Jalali and Persian digits in fa."""
    _ = translator(lang)
    if when is None:
        return _("The branch is closed.")
    now = now.astimezone(when.tzinfo)
    days = (when.date() - now.date()).days
    clock = digits(when.strftime("%H:%M"), lang)
    if lang == "fa":
        weekday = WEEKDAYS_FA[when.weekday()]
        date = f"{weekday} {format_date(when, 'fa')}"
    else:
        date = when.strftime("%A %d %B %Y")
    if days == 0:
        return _("The branch is closed now. It opens today at {time}.").format(time=clock)
    if days == 1:
        return _("The branch is closed now. It opens tomorrow, {date}, at {time}.").format(date=date, time=clock)
    return _("The branch is closed now. It opens on {date} at {time}.").format(date=date, time=clock)
