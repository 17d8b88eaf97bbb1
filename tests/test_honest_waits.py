"""Honest waits (issue 12): when no open counter serves a sub-service the hub gives no number
(`estimated_wait_minutes: null`, `wait_note: "no_open_window"`) on POST /tickets, GET
/tickets/<code> and GET /services; before the day's planned opening it counts from the opening
(`before_opening`, `opens_at`). The kiosk, the slip and the wall word it from the one answer;
the phone page and the web wall are checked in Chromium (test_phone_page, test_wall_display)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from conftest import HandClock, make_app
from navbat.counter_display.viewmodel import WallModel
from navbat.foundation.wording import wait_of, wait_text
from navbat.kiosk.views import service_row, ticket_view
from navbat.printer.layout import ticket_blocks, wait_line
from navbat.printer.paper import Paper
from navbat.printer.slip import slip_from_ticket
from navbat.server.hub import EXTENSION

API = "/api/v1"
NO_WINDOW = "اکنون باجهٔ بازی ندارد"


def by_code(items: list[dict]) -> dict[str, dict]:
    return {i["code"]: i for i in items}


def test_no_open_counter_means_no_number_everywhere(client, actions) -> None:  # noqa: ANN001
    issued = actions.issue("PN1")
    assert issued.status_code == 201
    t = issued.json
    assert (t["estimated_wait_minutes"], t["estimated_wait"], t["wait_note"]) == (None, None, "no_open_window")
    looked = client.get(f"{API}/tickets/{t['tracking_code']}").json
    assert (looked["estimated_wait_minutes"], looked["wait_note"]) == (None, "no_open_window")
    services = client.get(f"{API}/services").json
    pn1 = by_code(services["services"])["PN1"]
    assert (pn1["estimated_wait_minutes"], pn1["wait_note"], pn1["open_counters"]) == (None, "no_open_window", 0)
    assert by_code(services["units"])["pension"]["wait_note"] == "no_open_window"

    # the kiosk, the slip and the Kivy wall say it in words, from these very answers
    assert wait_of(pn1, "fa") == NO_WINDOW
    assert service_row(pn1, "fa").estimate == NO_WINDOW
    assert NO_WINDOW in ticket_view(t, True, "fa").estimate and "دقیقه" not in ticket_view(t, True, "fa").estimate
    slip = slip_from_ticket(t, "http://127.0.0.1:8080")
    assert slip.wait_note == "no_open_window" and "اکنون باجهٔ بازی" in wait_line(slip)
    assert ticket_blocks(slip, Paper.of(80, "TM-T88V"))  # and it lays out
    wall = WallModel("fa")
    wall.load_queue(services)
    assert dict((r.code, r.estimate) for r in wall.view().units)["pension"] == NO_WINDOW

    # a counter serving it opens: a number again, and no note
    actions.open_counter(6)
    again = client.get(f"{API}/tickets/{t['tracking_code']}").json
    assert again["wait_note"] is None and again["estimated_wait_minutes"] is not None


def test_before_the_planned_opening_the_wait_counts_from_it(branch, tmp_path) -> None:  # noqa: ANN001
    # Saturday 07:00 in Tehran, the branch opens at 07:30; hours kept, no counter touched today
    clock = HandClock(dt.datetime(2026, 11, 21, 7, 0, tzinfo=ZoneInfo("Asia/Tehran")))
    app = make_app(branch, tmp_path / "early.sqlite", IGNORE_HOURS=False, CLOCK=clock)
    try:
        services = app.test_client().get(f"{API}/services").json
        pn1 = by_code(services["services"])["PN1"]
        assert pn1["wait_note"] == "before_opening" and pn1["opens_at"].startswith("2026-11-21T07:30")
        assert pn1["estimated_wait_minutes"] == 30  # nobody ahead: the opening itself
        assert wait_of(pn1, "fa") == "باجه‌ها ساعت ۰۷:۳۰ باز می‌شوند: حدود ۳۰ دقیقه"
        assert wait_of(pn1, "en").startswith("counters open at 07:30")
        unit = by_code(services["units"])["pension"]
        assert unit["wait_note"] == "before_opening"
    finally:
        app.extensions[EXTENSION].stop()


def test_wording_of_the_notes() -> None:
    assert wait_text(None, None, "en", "no_open_window") == "no counter open now"
    assert wait_text(None, "not_served", "en", "no_open_window") == "not served today"  # the stronger word
    assert wait_text({"low": 5, "high": 9}, None, "en", "before_opening", "2026-11-21T07:30+03:30") == \
        "counters open at 07:30: 5–9 min"
