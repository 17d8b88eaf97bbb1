"""Working days in the branch's calendar, for answer deadlines (F3): pure date arithmetic.

A working day is a day the branch works: not a Friday, not a weekday the branch's opening
hours leave out, not an official holiday (the holidays file, `config/holidays.yaml` unless the
branch file names its own in `branch.holidays_file`) nor one of the branch's own closures
(`branch.holidays`). A deadline of n working days is the n-th working day after the day the
request was registered: a request registered on a Wednesday with 3 days is due the next Monday
(Thursday, Saturday, Sunday... unless the branch works Thursdays).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jdatetime
from navbat.foundation import yaml_text
from navbat.foundation.config import WEEKDAYS, Branch

DEFAULT_HOLIDAYS = Path(str(files("navbat.config"))) / "holidays.yaml"  # package data
FRIDAY = 4  # datetime.weekday()


@dataclass(frozen=True)
class Holiday:
    day: dt.date  # Gregorian
    jalali: str  # "1405-01-01", as in the file
    fa: str
    en: str
    estimated: bool = False  # a lunar date not yet confirmed by the official calendar


@dataclass(frozen=True)
class Calendar:
    """Which days are working days; everything else here is arithmetic on it."""

    closed_weekdays: frozenset[int]  # datetime.weekday() numbers
    holidays: frozenset[dt.date]

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.closed_weekdays and day not in self.holidays

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start` (`start` itself is not counted)."""
        if days < 0:
            raise ValueError("days must be 0 or more")
        day = start
        while days > 0:
            day += dt.timedelta(days=1)
            days -= self.is_working_day(day)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end`; negative when `end` is before `start`."""
        if end < start:
            return -self.working_days_between(end, start)
        return sum(self.is_working_day(start + dt.timedelta(days=k)) for k in range(1, (end - start).days + 1))


def read_holidays(path: str | Path) -> list[Holiday]:
    """A holidays file: `holidays: [{date: "1405-01-01" (Jalali), fa, en, estimated?}, ...]`."""
    raw = yaml_text.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for i, item in enumerate(raw.get("holidays") or []):
        try:
            year, month, day = (int(p) for p in str(item["date"]).split("-"))
            gregorian = jdatetime.date(year, month, day).togregorian()
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}: holidays[{i}]: a Jalali date like \"1405-01-01\" is needed ({exc})") from None
        out.append(Holiday(gregorian, str(item["date"]), str(item.get("fa", "")), str(item.get("en", "")),
                           bool(item.get("estimated", False))))
    return out


@lru_cache(maxsize=8)
def _holiday_days(path: str) -> frozenset[dt.date]:
    return frozenset(h.day for h in read_holidays(path))


def holidays_path(branch: Branch) -> Path:
    return Path(branch.branch.holidays_file) if branch.branch.holidays_file else DEFAULT_HOLIDAYS


def branch_calendar(branch: Branch) -> Calendar:
    """The branch's calendar: Fridays and the weekdays its opening hours leave out are closed,
    and the official holidays with the branch's own closures."""
    hours = branch.branch.opening_hours
    closed = {FRIDAY} | ({i for i, name in enumerate(WEEKDAYS) if name not in hours} if hours else set())
    return Calendar(frozenset(closed), _holiday_days(str(holidays_path(branch))) | frozenset(branch.branch.holidays))


def jalali_day(day: dt.date) -> str:
    """A Gregorian day as "1405-01-05"."""
    j = jdatetime.date.fromgregorian(date=day)
    return f"{j.year}-{j.month:02d}-{j.day:02d}"
