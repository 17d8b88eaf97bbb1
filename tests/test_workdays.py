"""Working days for answer deadlines (F3): Fridays, the branch's weekly closures and the
official holidays of the Solar Hijri year, at the end of a Jalali month and of a year."""

from __future__ import annotations

import datetime as dt

import jdatetime
import pytest
from navbat.foundation.config import Branch, load_config
from navbat.foundation.workdays import DEFAULT_HOLIDAYS, Calendar, branch_calendar, jalali_day, read_holidays


def j(text: str) -> dt.date:
    year, month, day = (int(p) for p in text.split("-"))
    return jdatetime.date(year, month, day).togregorian()


@pytest.fixture(scope="module")
def cal(branch: Branch) -> Calendar:
    return branch_calendar(branch)  # the demo branch: Saturday to Thursday, Friday closed


def test_a_friday_is_skipped(cal: Calendar) -> None:
    wed = j("1405-02-09")
    assert wed.weekday() == 2  # Wednesday 29 April 2026
    # Thursday 10, (Friday 11), Saturday 12, Sunday 13
    assert jalali_day(cal.add_working_days(wed, 3)) == "1405-02-13"
    assert cal.working_days_between(wed, j("1405-02-13")) == 3
    assert cal.working_days_between(j("1405-02-13"), wed) == -3


def test_nowruz_and_the_end_of_the_year(cal: Calendar) -> None:
    # Wednesday 27 Esfand 1404: Thursday 28 works; 29 Esfand is a Friday, 1-4 Farvardin are Nowruz
    # (1 and 2 also Eid al-Fitr), so the 2nd and 3rd working days are 5 and 6 Farvardin 1405.
    start = j("1404-12-27")
    assert jalali_day(cal.add_working_days(start, 1)) == "1404-12-28"
    assert jalali_day(cal.add_working_days(start, 3)) == "1405-01-06"
    # 7 days from the 6th: 8 and 9 Farvardin (7 is a Friday), 10, 11, then 12 and 13 (holidays),
    # 14 is a Friday, 15, 16, 17
    assert jalali_day(cal.add_working_days(j("1405-01-06"), 7)) == "1405-01-17"
    # Thursday 27 Esfand 1405 into 1406: 28 is a Friday, 29 Esfand and 1-4 Farvardin 1406 are
    # holidays, then Thursday 5, (Friday 6), Saturday 7
    assert jalali_day(cal.add_working_days(j("1405-12-27"), 2)) == "1406-01-07"


def test_a_holiday_and_the_end_of_a_month(cal: Calendar) -> None:
    # Khordad has 31 days: Saturday 30 Khordad 1405, 3 days ->
    # Sunday 31 Khordad, Monday 1 Tir, Tuesday 2 Tir; Wednesday and Thursday 3-4 Tir are Tasua and Ashura.
    assert jalali_day(cal.add_working_days(j("1405-03-30"), 3)) == "1405-04-02"
    assert jalali_day(cal.add_working_days(j("1405-03-30"), 4)) == "1405-04-06"  # 5 Tir is a Friday
    # 13 and 14 Khordad: 14 (Khomeini, Ghadir) and 15 Khordad are holidays, 15 is a Friday too
    assert jalali_day(cal.add_working_days(j("1405-03-13"), 1)) == "1405-03-16"
    assert not cal.is_working_day(j("1405-11-22"))  # 22 Bahman


def test_a_branch_closed_on_thursdays_and_its_own_holidays(branch: Branch) -> None:
    hours = {k: v for k, v in branch.branch.opening_hours.items() if k != "thu"}
    closed = branch.branch.model_copy(update={"opening_hours": hours, "holidays": [j("1405-02-12")]})
    cal = branch_calendar(branch.model_copy(update={"branch": closed}))
    # Wednesday 9 Ordibehesht: (Thu 10, Fri 11 closed), Sat 12 the branch's own closure, Sun 13, Mon 14, Tue 15
    assert jalali_day(cal.add_working_days(j("1405-02-09"), 3)) == "1405-02-15"


def test_the_shipped_file_and_a_branch_file_of_its_own(tmp_path) -> None:  # noqa: ANN001
    days = read_holidays(DEFAULT_HOLIDAYS)
    years = {h.jalali[:4] for h in days}
    assert years == {"1405", "1406"}
    fixed = {"01-01", "01-02", "01-03", "01-04", "01-12", "01-13", "03-14", "03-15", "11-22", "12-29"}
    for year in years:
        assert fixed <= {h.jalali[5:] for h in days if h.jalali.startswith(year)}
    assert any(h.en == "Ashura" and h.jalali == "1405-04-04" and not h.estimated for h in days)
    # a branch keeps its own file, named relative to its branch file
    (tmp_path / "ours.yaml").write_text('holidays:\n  - {date: "1405-02-13", fa: "تعطیل محلی", en: "Local"}\n',
                                        encoding="utf-8")
    raw = (DEFAULT_HOLIDAYS.parent / "branches.yaml").read_text(encoding="utf-8")
    (tmp_path / "branch.yaml").write_text(raw.replace("  holidays: []", "  holidays: []\n  holidays_file: ours.yaml"),
                                          encoding="utf-8")
    own = load_config(tmp_path / "branch.yaml")
    assert own.branch.holidays_file == str(tmp_path / "ours.yaml")
    cal = branch_calendar(own)
    assert not cal.is_working_day(j("1405-02-13"))
    # its file replaces the shipped list (a branch copies and updates it): 12 Farvardin is not in ours
    assert cal.is_working_day(j("1405-01-12"))


def test_a_bad_holidays_file_says_where(tmp_path) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.yaml"
    bad.write_text('holidays:\n  - {date: "1405-13-01"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"holidays\[0\]"):
        read_holidays(bad)


def test_a_deadline_past_ten_working_days_is_refused() -> None:
    import yaml
    from navbat.foundation.config import ConfigError, parse_config

    raw = yaml.safe_load((DEFAULT_HOLIDAYS.parent / "branches.yaml").read_text(encoding="utf-8"))
    demo = parse_config(raw)
    assert {s.code: s.answer_working_days for s in demo.services if s.answer_working_days} == \
        {"RG3": 3, "PN1": 10, "PN2": 10, "PN3": 10, "PN4": 3, "FN2": 7}  # F3: 3 insurance, 7 medical, 10 at most
    raw["units"][0]["services"][0]["answer_working_days"] = 11
    with pytest.raises(ConfigError, match=r"units\[0\]\.services\[0\]\.answer_working_days"):
        parse_config(raw)
