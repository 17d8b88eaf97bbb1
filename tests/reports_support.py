"""tests/test_reports.py's hand-built day (DAY, driven by FakeClock through the Floor's own methods),
for every test that needs a branch's day of events."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from navbat.server.hub import Hub
from navbat.server.visitors import ratings
from navbat.server.web import views

TEHRAN = ZoneInfo("Asia/Tehran")


DAY = dt.date(2025, 10, 5)


class FakeClock:
    def __init__(self) -> None:
        self.now = dt.datetime.combine(DAY, dt.time(7, 0), tzinfo=TEHRAN)

    def at(self, hhmm: str, day: dt.date = DAY) -> None:
        h, m = map(int, hhmm.split(":"))
        self.now = dt.datetime.combine(day, dt.time(h, m), tzinfo=TEHRAN)

    def __call__(self) -> dt.datetime:
        return self.now.astimezone(dt.UTC)


def build_day(hub: Hub, clock: FakeClock) -> dict[str, int]:
    """The day above; returns ticket ids by name."""
    floor = hub.floor
    ids: dict[str, int] = {}

    def issue(name: str, hhmm: str, service: str, priority: str | None = None) -> None:
        clock.at(hhmm)
        ticket, _ = floor.issue_ticket(service, priority, name, "kiosk-1")
        ids[name] = ticket["id"]

    def at(hhmm: str, fn, *args, **kw):  # noqa: ANN001, ANN002, ANN003, ANN202
        clock.at(hhmm)
        return fn(*args, **kw)

    clock.at("07:50")
    floor.set_services(1, {"PR1": 1.0, "PR2": 1.0, "PR3": 1.0}, "head")
    floor.set_services(6, {"PN1": 1.0}, "head")
    floor.set_counter_state(1, "open", "clerk1")
    floor.set_counter_state(6, "open", "clerk6")
    issue("T1", "08:00", "PR1")
    issue("T2", "08:05", "PR1")
    issue("T3", "08:10", "PN1", "elderly")
    assert at("08:10", floor.call_next, 1, "clerk1")["id"] == ids["T1"]
    at("08:12", floor.act, 1, "recall", "clerk1")
    at("08:13", floor.act, 1, "start", "clerk1")
    assert at("08:15", floor.call_next, 6, "clerk6")["id"] == ids["T3"]
    issue("T4", "08:20", "PR2")
    at("08:22", floor.act, 1, "done", "clerk1", outcome="served")
    at("08:23", ratings.rate, hub.floor, hub.branch, hub.clock, {"counter": 1, "ticket": ids["T1"], "score": 5})
    at("08:25", floor.act, 6, "done", "clerk6", outcome="documents_incomplete")
    t3 = views.ticket_by_id(hub, ids["T3"])["tracking_code"]
    at("08:26", ratings.rate, hub.floor, hub.branch, hub.clock,
       {"tracking_code": t3, "score": 2, "comment": "مدارک را زودتر بگویید"})
    assert at("08:30", floor.call_next, 1, "clerk1")["id"] == ids["T2"]
    at("08:31", floor.act, 1, "transfer", "clerk1", service="PN1")
    assert at("08:35", floor.call_next, 6, "clerk6")["id"] == ids["T2"]
    assert at("08:40", floor.call_next, 1, "clerk1")["id"] == ids["T4"]
    at("08:41", floor.act, 1, "no-show", "clerk1")
    at("08:50", floor.act, 6, "done", "clerk6")
    t2 = views.ticket_by_id(hub, ids["T2"])["tracking_code"]
    at("08:55", ratings.rate, hub.floor, hub.branch, hub.clock, {"tracking_code": t2, "score": 4})
    issue("T5", "09:10", "PN1")
    assert at("09:12", floor.call_next, 6, "clerk6")["id"] == ids["T5"]
    at("09:20", floor.act, 6, "done", "clerk6")
    issue("T6", "09:30", "PR3")
    at("09:40", floor.cancel, ids["T6"], "head")
    clock.at("08:00", DAY + dt.timedelta(days=1))
    ids["T7"] = floor.issue_ticket("PR1", None, "T7", "kiosk-1")[0]["id"]
    return ids


def cell_value(value: object) -> object:
    """A CSV cell or an XLSX value, compared as numbers where they are numbers."""
    if value is None or value == "":
        return ""
    try:
        return float(value)
    except (TypeError, ValueError):
        return value
