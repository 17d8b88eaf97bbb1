"""Opening hours and the branch day: tickets only while the branch is open (409 branch_closed
otherwise, even with every window closed it is open to visitors), numbers restart every branch
day in the branch's time zone, and a numeric block wraps (199 -> 101)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from conftest import HandClock as Clock
from conftest import make_app

API = "/api/v1"
TEHRAN = ZoneInfo("Asia/Tehran")




def tehran(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TEHRAN)  # 20 Nov 2026 is a Friday


def issue(client, app, service: str, key: str):  # noqa: ANN001, ANN201
    return client.post(f"{API}/tickets", json={"service": service, "priority": None},
                       headers={"Authorization": f"Bearer {app.config['KIOSK_TOKEN']}", "Idempotency-Key": key})


def test_closed_on_friday_and_at_night(branch, tmp_path):  # noqa: ANN001
    clock = Clock(tehran(20, 10))  # Friday 10:00
    app = make_app(branch, tmp_path / "hub.sqlite", IGNORE_HOURS=False, CLOCK=clock)
    client = app.test_client()
    r = issue(client, app, "PR1", "fri")
    assert r.status_code == 409 and r.json["error"] == "branch_closed"
    assert "2026-11-21T07:30" in r.json["message"]  # Saturday 07:30, branch time
    info = client.get(f"{API}/branch").json
    assert info["open_now"] is False and info["next_opening"].startswith("2026-11-21T07:30")

    for when in (tehran(21, 23), tehran(21, 7, 29), tehran(21, 14, 30), tehran(26, 12, 0)):  # Thursday closes at noon
        clock.now = when
        r = issue(client, app, "PR1", f"late-{when.isoformat()}")
        assert r.status_code == 409 and r.json["error"] == "branch_closed", when
    assert app.extensions["navbat.hub"].floor.db.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_open_hours_issue_with_every_window_closed(branch, tmp_path):  # noqa: ANN001
    clock = Clock(tehran(21, 7, 30))  # Saturday, the minute the doors open
    app = make_app(branch, tmp_path / "hub.sqlite", IGNORE_HOURS=False, CLOCK=clock)
    client = app.test_client()
    assert all(c["state"] == "closed" for c in client.get(f"{API}/counters").json["counters"])
    r = issue(client, app, "PR1", "early-bird")
    assert r.status_code == 201 and r.json["number"] == "A-001"
    assert r.json["issued_at"] == "2026-11-21T04:00:00.000000+00:00"  # stored in UTC
    assert client.get(f"{API}/branch").json["open_now"] is True
    clock.now = tehran(26, 11, 59)  # Thursday, just before the short day ends
    thursday = issue(client, app, "PR1", "thursday")
    assert thursday.status_code == 201
    # A retry of a ticket issued in hours still answers after closing: nothing is issued twice.
    clock.now = tehran(26, 13)
    again = issue(client, app, "PR1", "thursday")
    assert again.status_code == 200 and again.json["id"] == thursday.json["id"]


def test_numbers_restart_each_branch_day(branch, tmp_path):  # noqa: ANN001
    clock = Clock(tehran(21, 10))
    app = make_app(branch, tmp_path / "hub.sqlite", CLOCK=clock)  # hours ignored: the day boundary is the point
    client = app.test_client()
    assert [issue(client, app, "IN1", f"sat-{i}").json["number"] for i in range(3)] == ["101", "102", "103"]
    assert issue(client, app, "PR3", "sat-pr3").json["number"] == "C-001"
    # 00:10 Sunday in Tehran is still Saturday in UTC: the branch's day decides.
    clock.now = tehran(22, 0, 10)
    assert clock().date() == dt.date(2026, 11, 21)
    sunday = [issue(client, app, "IN1", f"sun-{i}").json for i in range(2)]
    assert [t["number"] for t in sunday] == ["101", "102"]
    assert issue(client, app, "PR3", "sun-pr3").json["number"] == "C-001"
    # The day before's waiting tickets keep their own numbers and are still in the queue.
    db = app.extensions["navbat.hub"].floor.db
    days = db.execute("SELECT branch_day, count(*) FROM tickets GROUP BY branch_day ORDER BY 1").fetchall()
    assert days == [("2026-11-21", 4), ("2026-11-22", 3)]


def test_numeric_block_wraps(branch, tmp_path):  # noqa: ANN001
    app = make_app(branch, tmp_path / "hub.sqlite", CLOCK=Clock(tehran(21, 9)))
    floor = app.extensions["navbat.hub"].floor
    numbers = [floor.issue_ticket("IN1", None, f"k{i}", "kiosk-1")[0]["number"] for i in range(99)]
    assert numbers[0] == "101" and numbers[98] == "199"
    floor.cancel(1, "head")  # 101 and 102 are free again; everyone else still holds theirs
    floor.cancel(2, "head")
    numbers += [floor.issue_ticket("IN1", None, f"k{i}", "kiosk-1")[0]["number"] for i in range(99, 101)]
    assert numbers[99:] == ["101", "102"]  # the 100th ticket of the day wraps to the start of 101-199
    seqs = [r[0] for r in floor.db.execute("SELECT seq FROM tickets WHERE service='IN1' ORDER BY id")]
    assert seqs == list(range(1, 102))  # the day's count keeps going: no two tickets share a sequence


def test_yesterdays_leftovers_are_not_called_today(branch, tmp_path):  # noqa: ANN001
    clock = Clock(tehran(21, 13))  # Saturday, 13:00: a visitor takes 101 and goes home before it is called
    app = make_app(branch, tmp_path / "hub.sqlite", IGNORE_HOURS=False, CLOCK=clock)
    client = app.test_client()
    assert issue(client, app, "IN1", "sat").json["number"] == "101"
    clock.now = tehran(22, 7, 40)  # Sunday morning
    today = issue(client, app, "IN1", "sun").json
    assert today["number"] == "101"
    clerk = client.post(f"{API}/login", json={"username": "clerk3", "pin": "3333", "counter": 3}).json
    auth = {"Authorization": f"Bearer {clerk['token']}"}
    client.post(f"{API}/counters/3/open", headers=auth)
    assert today["position"] == 1
    called = client.post(f"{API}/counters/3/next", headers=auth).json
    assert called["id"] == today["id"]  # not Saturday's 101: the display would call two visitors at once
