"""Every report figure against a hand-built day of events (D9, F2).

The day (1404-07-13 = 2025-10-05, Tehran time) is driven through the Floor's own
methods with a fake clock, so the events are exactly what the hub writes:

  08:00 T1 PR1   08:05 T2 PR1   08:10 T3 PN1 (elderly)
  08:10 w1 calls T1 (wait 10), 08:12 recalls it, 08:13 starts, 08:22 done (12 min), rated 5 at the tablet
  08:15 w6 calls T3 (wait 5), 08:25 done with documents incomplete (10 min), rated 2 on the tracking page
  08:20 T4 PR2
  08:30 w1 calls T2 (wait 25 > target 20), 08:31 transfers it to PN1
  08:35 w6 calls T2 again (the wait stays 25), 08:50 done (15 min), rated 4
  08:40 w1 calls T4 (wait 20 > target 15), 08:41 no-show
  09:10 T5 PN1, 09:12 w6 calls it (wait 2), 09:20 done (8 min)
  09:30 T6 PR3, 09:40 cancelled by the head (never called)
A ticket of the next day (T7) must not appear in the day's report.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from navbat.server.floor.floor import Floor
from navbat.server.reports import build_report, parse_day, parse_month
from navbat.server.reports.export import to_csv, to_xlsx
from navbat.server.reports.rows import p90
from openpyxl import load_workbook
from reports_support import DAY, FakeClock, build_day, cell_value


@pytest.fixture
def day_floor(branch, tmp_path: Path) -> Floor:
    from conftest import make_app

    clock = FakeClock()
    app = make_app(branch, tmp_path / "day.sqlite", CLOCK=clock)
    hub = app.extensions["navbat.hub"]
    build_day(hub, clock)
    return hub.floor


@pytest.fixture
def day_report(day_floor: Floor):  # noqa: ANN201
    return build_report(day_floor.db, day_floor.branch, parse_day("1404-07-13"))


def row(rows, key):  # noqa: ANN001, ANN201
    return next(r for r in rows if r.key == key)


def test_p90_is_nearest_rank() -> None:
    assert p90([]) is None
    assert p90([7.0]) == 7.0
    assert p90([10.0, 25.0]) == 25.0
    assert p90([float(x) for x in range(1, 11)]) == 9.0  # ceil(0.9*10) = 9th value
    assert p90([float(x) for x in range(1, 21)]) == 18.0


def test_periods_are_jalali() -> None:
    month = parse_month("۱۴۰۴-۰۷")
    assert (month.start, month.end) == (dt.date(2025, 9, 23), dt.date(2025, 10, 23))
    assert month.title() == "مهر ۱۴۰۴"
    assert parse_day("1404-07-13").start == DAY == parse_day("2025-10-05").start
    assert parse_day("2025-10-05").label == "1404-07-13"
    for bad in ("1404-13", "July", ""):
        with pytest.raises(ValueError):
            parse_month(bad)
    with pytest.raises(ValueError):
        parse_day("1404-02-32")


def test_total_figures(day_report) -> None:  # noqa: ANN001
    t = day_report.total
    assert (t.visitors, t.called) == (6, 5)  # T6 was never called; T1's recall and T2's transfer count once
    assert t.mean_wait == pytest.approx((10 + 25 + 5 + 20 + 2) / 5)
    assert t.p90_wait == 25
    assert t.within_target_pct == pytest.approx(60.0)  # T1, T3, T5 within their targets
    assert t.served == 4
    assert t.mean_service == pytest.approx((12 + 10 + 15 + 8) / 4)
    assert (t.no_shows, t.transfers) == (1, 1)
    assert t.docs_incomplete == 1 and t.docs_incomplete_pct == pytest.approx(25.0)
    assert t.ratings == 3 and t.satisfaction == pytest.approx(11 / 3)
    assert t.satisfied_pct == pytest.approx(200 / 3)


def test_sub_service_figures(day_report) -> None:  # noqa: ANN001
    pr1, pr2, pr3, pn1 = (row(day_report.services, c) for c in ("PR1", "PR2", "PR3", "PN1"))
    assert (pr1.visitors, pr1.called, pr1.mean_wait, pr1.p90_wait, pr1.within_target_pct) == (2, 2, 17.5, 25, 50.0)
    assert (pr1.served, pr1.mean_service, pr1.transfers, pr1.no_shows) == (1, 12.0, 1, 0)
    assert (pr1.ratings, pr1.satisfaction, pr1.satisfied_pct) == (1, 5.0, 100.0)
    assert pr1.group == "premium"
    assert (pr2.visitors, pr2.called, pr2.mean_wait, pr2.within_target_pct, pr2.no_shows, pr2.served) == \
        (1, 1, 20.0, 0.0, 1, 0)
    assert pr2.mean_service is None and pr2.docs_incomplete_pct is None
    assert (pr3.visitors, pr3.called, pr3.mean_wait, pr3.p90_wait) == (1, 0, None, None)
    # PN1: asked for by T3 and T5; T2 was served under PN1 after its transfer.
    assert (pn1.visitors, pn1.called, pn1.mean_wait, pn1.p90_wait, pn1.within_target_pct) == (2, 2, 3.5, 5, 100.0)
    assert (pn1.served, pn1.docs_incomplete) == (3, 1)
    assert pn1.mean_service == pytest.approx(11.0)
    assert pn1.docs_incomplete_pct == pytest.approx(100 / 3)
    assert (pn1.ratings, pn1.satisfaction, pn1.satisfied_pct) == (2, 3.0, 50.0)
    others = [r for r in day_report.services if r.key not in ("PR1", "PR2", "PR3", "PN1")]
    assert all(r.visitors == r.served == r.ratings == 0 and r.mean_wait is None for r in others)
    assert len(day_report.services) == 17


def test_unit_figures(day_report) -> None:  # noqa: ANN001
    premium, pension = row(day_report.units, "premium"), row(day_report.units, "pension")
    assert (premium.visitors, premium.called, premium.p90_wait) == (4, 3, 25)
    assert premium.mean_wait == pytest.approx(55 / 3)
    assert premium.within_target_pct == pytest.approx(100 / 3)
    assert (premium.served, premium.transfers, premium.no_shows) == (1, 1, 1)
    assert (pension.visitors, pension.served, pension.ratings) == (2, 3, 2)
    assert sum(u.visitors for u in day_report.units) == day_report.total.visitors


def test_window_and_clerk_figures(day_report) -> None:  # noqa: ANN001
    w1, w6 = row(day_report.counters, "1"), row(day_report.counters, "6")
    assert (w1.called, w1.served, w1.mean_service, w1.transfers, w1.no_shows, w1.ratings, w1.satisfaction) == \
        (3, 1, 12.0, 1, 1, 1, 5.0)
    assert (w6.called, w6.served, w6.mean_service, w6.docs_incomplete, w6.ratings, w6.satisfaction) == \
        (3, 3, 11.0, 1, 2, 3.0)
    assert all(w.called == 0 for w in day_report.counters if w.key not in ("1", "6"))
    assert [c.key for c in day_report.clerks] == ["clerk1", "clerk6"]
    c1, c6 = day_report.clerks
    assert (c1.called, c1.served, c1.mean_service) == (3, 1, 12.0)
    assert (c6.called, c6.served, c6.satisfaction) == (3, 3, 3.0)


def test_hourly_arrivals_against_served(day_report) -> None:  # noqa: ANN001
    assert day_report.hourly == [{"hour": 8, "arrivals": 4, "served": 3}, {"hour": 9, "arrivals": 2, "served": 1}]


def test_month_holds_both_days_and_rebuild_changes_nothing(day_floor: Floor) -> None:
    month = build_report(day_floor.db, day_floor.branch, parse_month("1404-07"))
    assert month.total.visitors == 7  # the day's six and T7 the next morning
    days = {d["date"]: d for d in month.daily}
    assert len(days) == 30 and days["2025-10-05"]["visitors"] == 6 and days["2025-10-06"]["visitors"] == 1
    assert days["2025-10-05"]["served"] == 4
    before = build_report(day_floor.db, day_floor.branch, parse_day("1404-07-13")).as_dict()
    day_floor.rebuild()
    assert build_report(day_floor.db, day_floor.branch, parse_day("1404-07-13")).as_dict() == before


def test_empty_month_is_a_report_not_an_error(day_floor: Floor) -> None:
    empty = build_report(day_floor.db, day_floor.branch, parse_month("1403-01"))
    assert empty.total.visitors == 0 and empty.total.mean_wait is None and empty.hourly == []
    lines = to_csv(empty).splitlines()
    assert len(lines) == 1 + 17 + 1 and lines[-1].startswith("total,Total,,0,0,,")


def test_csv_and_xlsx_agree(day_report, branch) -> None:  # noqa: ANN001
    text = to_csv(day_report)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == ["code", "sub_service", "unit", "visitors", "called", "mean_wait_min"]
    assert rows[-1][0] == "total" and rows[-1][3] == "6"
    pn1 = next(r for r in rows if r[0] == "PN1")
    assert pn1[1] == branch.service("PN1").name.en and pn1[2] == "pension"
    assert pn1[3:9] == ["2", "2", "3.5", "5.0", "100.0", "3"]
    wb = load_workbook(io.BytesIO(to_xlsx(day_report)))
    assert wb.sheetnames == ["sub-services", "units", "counters", "clerks", "hourly", "daily", "requests",
                             "channels"]
    sheet = [[cell_value(v) for v in r] for r in wb["sub-services"].iter_rows(values_only=True)]
    assert sheet == [[cell_value(v) for v in r] for r in rows]
    assert len(sheet) == 19 and isinstance(wb["sub-services"]["D2"].value, int)  # numbers stay numbers
    assert [list(r) for r in wb["hourly"].iter_rows(values_only=True)] == [["hour", "arrivals", "served"],
                                                                          [8, 4, 3], [9, 2, 1]]
    w6 = next(r for r in wb["counters"].iter_rows(values_only=True) if r[0] == "6")
    assert [cell_value(v) for v in w6[2:8]] == [0, 3, "", "", "", 3]  # visitors, called, no waits per window, served


def test_in_target_counts_those_still_waiting_past_their_target_as_missed() -> None:
    """Issue 24: 38 visitors, 10 called inside their 20 minutes, 28 still waiting for an hour: not 100 %."""
    from navbat.server.reports.rows import in_target, make_row
    from navbat.server.reports.visits import Visit

    opened = dt.datetime(2025, 10, 5, 5, 0, tzinfo=dt.UTC)
    called = [Visit(n, "PR1", None, opened, first_call=opened + dt.timedelta(minutes=10)) for n in range(10)]
    waiting = [Visit(100 + n, "PR1", None, opened) for n in range(28)]
    fresh = Visit(200, "PR1", None, opened + dt.timedelta(minutes=55))  # 5 minutes in: not judged yet
    expired = Visit(300, "PR1", None, opened, left=opened + dt.timedelta(minutes=50), left_outcome="remote_expired")
    left = Visit(400, "PR1", None, opened, left=opened + dt.timedelta(minutes=30), left_outcome=None)
    visits, as_of = [*called, *waiting, fresh, expired, left], opened + dt.timedelta(hours=1)
    assert in_target(visits, {"PR1": 20.0}, as_of) == (10, 10 + 28 + 1)  # the one who left after 30 min missed
    row = make_row("PR1", {"en": "PR1"}, visits, [], {"PR1": 20.0}, as_of)
    assert row.within_target_pct == pytest.approx(100 * 10 / 39)
    assert (row.within_target, row.judged) == (10, 39)
