"""Report periods in the Jalali calendar (D9: the monthly report, due by the 5th)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import jdatetime
from navbat.foundation.persian import JALALI_MONTHS, fa_digits, jalali_month_range, latin_digits


@dataclass(frozen=True)
class Period:
    kind: str  # "day" | "month"
    label: str  # Jalali: "1404-07" or "1404-08-30"
    start: dt.date  # first branch day (Gregorian)
    end: dt.date  # first day after the period

    def title(self, lang: str = "fa") -> str:
        if self.kind == "month":
            year, month = (int(p) for p in self.label.split("-"))
            return fa_digits(f"{JALALI_MONTHS[month - 1]} {year}") if lang == "fa" else self.label
        j = jdatetime.date.fromgregorian(date=self.start)
        if lang == "fa":
            return fa_digits(f"{j.day} {JALALI_MONTHS[j.month - 1]} {j.year}")
        return f"{self.label} ({self.start.isoformat()})"

    def bounds_utc(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """The period's first and last instant (exclusive), from branch-local midnights."""
        start = dt.datetime.combine(self.start, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
        end = dt.datetime.combine(self.end, dt.time(0), tzinfo=tz).astimezone(dt.UTC)
        return start, end

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days)]


_MONTH = re.compile(r"^\s*(\d{4})[-/](\d{1,2})\s*$")
_DAY = re.compile(r"^\s*(\d{4})[-/](\d{1,2})[-/](\d{1,2})\s*$")


def parse_month(text: str) -> Period:
    """'1404-07' (Persian digits welcome) -> that Jalali month; ValueError with a readable message."""
    m = _MONTH.match(latin_digits(str(text)))
    if not m:
        raise ValueError(f'month must look like 1404-07, not "{text}"')
    year, month = int(m[1]), int(m[2])
    if not 1 <= month <= 12:
        raise ValueError(f"no Jalali month {month}")
    start, end = jalali_month_range(f"{year}-{month:02d}")
    return Period("month", f"{year}-{month:02d}", start, end)


def parse_day(text: str) -> Period:
    """'1404-08-30' (Jalali) or '2025-11-21' (Gregorian: any year after 1700) -> that branch day."""
    m = _DAY.match(latin_digits(str(text)))
    if not m:
        raise ValueError(f'date must look like 1404-08-30, not "{text}"')
    year, month, day = int(m[1]), int(m[2]), int(m[3])
    try:
        if year > 1700:
            g = dt.date(year, month, day)
            j = jdatetime.date.fromgregorian(date=g)
        else:
            j = jdatetime.date(year, month, day)
            g = j.togregorian()
    except ValueError as exc:
        raise ValueError(f'no such date "{text}"') from exc
    return Period("day", f"{j.year}-{j.month:02d}-{j.day:02d}", g, g + dt.timedelta(days=1))
