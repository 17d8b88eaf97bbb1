"""The report figures of requests answered later (F3) on a hand-built month: the share answered
on time and the mean working days to answer, per sub-service, unit and in total; and the same
figures in the hub's monthly report, from the event log."""

from __future__ import annotations

import datetime as dt
import io

import jdatetime
from navbat.server.reports.requests import request_figures
from openpyxl import load_workbook


def day(jalali: str) -> dt.date:
    y, m, d = (int(p) for p in jalali.split("-"))
    return jdatetime.date(y, m, d).togregorian()


def opened(on: str, service: str, unit: str) -> dict:
    return {"type": "request.opened", "branch_day": day(on), "data": {"service": service, "unit": unit}}


def answered(on: str, service: str, unit: str, on_time: bool, days: int) -> dict:
    return {"type": "request.answered", "branch_day": day(on),
            "data": {"service": service, "unit": unit, "on_time": on_time, "days_taken": days}}


def test_figures_of_a_hand_built_month() -> None:
    events = [
        opened("1405-01-28", "PN4", "pension"),                  # last month: opened, not counted as opened
        answered("1405-02-01", "PN4", "pension", True, 2),       # ...answered this month: counted
        opened("1405-02-03", "RG3", "registration"),
        answered("1405-02-05", "RG3", "registration", True, 2),
        opened("1405-02-06", "RG3", "registration"),
        answered("1405-02-15", "RG3", "registration", False, 6),  # late
        opened("1405-02-10", "FN2", "finance"),
        answered("1405-02-20", "FN2", "finance", True, 7),
        opened("1405-02-31", "PN1", "pension"),                   # the month's last day: opened, still open
        opened("1405-02-30", "PN4", "pension"),
        answered("1405-03-01", "PN4", "pension", True, 1),        # next month: not in this one
        {"type": "ticket.done", "branch_day": day("1405-02-05"), "data": {"service": "RG3"}},  # not a request
    ]
    start, end = day("1405-02-01"), day("1405-03-01")
    figures = request_figures(events, start, end)
    total = figures["total"]
    assert (total["opened"], total["answered"], total["answered_on_time"]) == (5, 4, 3)
    assert total["on_time_pct"] == 75.0 and total["mean_days_to_answer"] == (2 + 2 + 6 + 7) / 4
    services = {r["code"]: r for r in figures["services"]}
    assert services["RG3"] | {"opened": 2, "answered": 2, "on_time_pct": 50.0, "mean_days_to_answer": 4.0} \
        == services["RG3"]
    assert services["PN1"]["answered"] == 0 and services["PN1"]["on_time_pct"] is None
    units = {r["code"]: r for r in figures["units"]}
    assert units["pension"]["opened"] == 2 and units["pension"]["answered"] == 1
    assert units["finance"]["mean_days_to_answer"] == 7.0
    # a day's figures are the same function over one day
    one = request_figures(events, day("1405-02-15"), day("1405-02-16"))["total"]
    assert (one["opened"], one["answered"], one["on_time_pct"]) == (0, 1, 0.0)


def test_the_monthly_report_has_them(branch, tmp_path) -> None:  # noqa: ANN001
    from requests_support import Desk, tehran

    desk = Desk(branch, tmp_path, tehran("1405-02-09", 10))
    try:
        code = desk.register("RG3")
        desk.register("PN4", counter=6)
        desk.clock.now = tehran("1405-02-12", 9)
        desk.client.post(f"/api/v1/requests/{code}/answer", json={"result": "ok"}, headers=desk.login("head"))
        report = desk.client.get("/api/v1/reports/monthly?month=1405-02", headers=desk.login("head")).json
        total = report["requests"]["total"]
        assert (total["opened"], total["answered"], total["on_time_pct"], total["mean_days_to_answer"]) == \
            (2, 1, 100.0, 2.0)
        xlsx = desk.client.get("/api/v1/reports/monthly?month=1405-02&format=xlsx", headers=desk.login("head"))
        sheet = load_workbook(io.BytesIO(xlsx.data))["requests"]
        assert ["total", "total", 2, 1, 1, 100, 2] in [list(r) for r in sheet.iter_rows(values_only=True)]
        daily = desk.client.get("/api/v1/reports/daily?date=1405-02-12", headers=desk.login("head")).json
        assert daily["requests"]["total"]["answered"] == 1 and daily["requests"]["total"]["opened"] == 0
    finally:
        desk.hub.stop()
