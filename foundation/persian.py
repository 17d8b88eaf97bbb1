"""Showing numbers and dates the Persian way: Persian digits, Jalali calendar."""

from __future__ import annotations

import datetime as dt

import jdatetime
from navbat.foundation.i18n import gettext_for

_FA_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_LATIN_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
JALALI_MONTHS = ("فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                 "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند")


def fa_digits(value: object) -> str:
    """'A-012' -> 'A-۰۱۲'; Latin letters are kept (ticket prefixes print as is)."""
    return str(value).translate(_FA_DIGITS)


def latin_digits(value: str) -> str:
    return value.translate(_LATIN_DIGITS)


def digits(value: object, lang: str) -> str:
    return fa_digits(value) if lang == "fa" else str(value)


def jalali(when: dt.datetime) -> jdatetime.datetime:
    """An aware datetime (any zone) as a Jalali datetime in the same zone."""
    return jdatetime.datetime.fromgregorian(datetime=when)


def format_date(when: dt.datetime, lang: str = "fa") -> str:
    """'۱ آذر ۱۴۰۵' in Persian; '2026-11-22' otherwise."""
    if lang != "fa":
        return when.strftime("%Y-%m-%d")
    j = jalali(when)
    return fa_digits(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}")


def format_day(day: dt.date, lang: str = "fa") -> str:
    """A calendar day (no time, no zone): '۱۳ اردیبهشت ۱۴۰۵' in Persian; '2026-05-03' otherwise."""
    if lang != "fa":
        return day.isoformat()
    j = jdatetime.date.fromgregorian(date=day)
    return fa_digits(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}")


def format_datetime(when: dt.datetime, lang: str = "fa") -> str:
    """'۱ آذر ۱۴۰۵، ساعت ۱۰:۰۵': side by side in a right-to-left line, the year and the time ran
    together ("۱۰:۰۵۱۴۰۵"), so Persian joins them with a word; '2026-11-22 10:05' otherwise."""
    if lang != "fa":
        return f"{format_date(when, lang)} {when.strftime('%H:%M')}"
    return gettext_for("common", lang)("{date}, at {time}").format(
        date=format_date(when, lang), time=digits(when.strftime("%H:%M"), lang))


def jalali_month_range(month: str) -> tuple[dt.date, dt.date]:
    """'1404-07' -> the Gregorian [first day, first day of next month) of that Jalali month."""
    year, mon = (int(p) for p in latin_digits(month).split("-"))
    if not 1 <= mon <= 12:
        raise ValueError(f"no Jalali month {mon}")
    first = jdatetime.date(year, mon, 1)
    nxt = jdatetime.date(year + (mon == 12), mon % 12 + 1, 1)
    return first.togregorian(), nxt.togregorian()
